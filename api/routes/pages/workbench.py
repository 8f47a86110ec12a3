"""The regulator's workbench: each step of the regulator's work as a form over one record.

Every step is a :class:`api.routes.pages.forms.Step` under ``/institutions/{iid}/…``:
it reads the record for a caller who may decide on it (:func:`projections.workbench.desk`),
shows what the step needs, runs one application command through ``Once`` and goes back to
the institution's file. The rules' requirement, and whether the command is allowed, come
from the application; the step only parses the form.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter

from api.commands import Once
from api.routes.pages.common import SignedIn
from api.routes.pages.forms import Fields, Step, register
from projections.workbench import Desk, desk

router = APIRouter(include_in_schema=False)


def file_of(view: Desk) -> str:
    """The institution's file, where every step goes back to."""
    return f"/institutions/{view.institution.id}"


def read_desk(page: SignedIn, params: Mapping[str, str]) -> Desk:
    return desk(page.app, page.principal, params["iid"])


# --- the filing ------------------------------------------------------------------------


def review_filing(once: Once, view: Desk, fields: Fields) -> object:
    day = fields.date("occurred_on") or view.today
    iid = view.institution.id
    if fields.choice("decision", ("approve", "reject")) == "approve":
        receipt = fields.text("receipt_number") or None
        return once(once.app.filing.approve_filing, iid, day, receipt)
    return once(once.app.filing.reject_filing, iid, day, fields.text("reason"))


REVIEW = Step(
    template="workbench/review.html",
    names=("decision", "occurred_on", "receipt_number", "reason"),
    view=read_desk,
    run=review_filing,
    done=file_of,
    defaults=lambda page, view: {"occurred_on": view.today, "decision": "approve"},
)
register(router, "/institutions/{iid}/workbench/review", REVIEW)
