"""The workbench's officer step (``/institutions/{iid}/workbench/officer``): assign the
officer of the file or of one work item, or reassign it with the reason. The form runs the
same command as ``POST /api/v1/institutions/{iid}/officers``."""

from __future__ import annotations

from fastapi import APIRouter

from api.commands import Once
from api.routes.pages.forms import Fields, Step, register
from api.routes.pages.workbench import BASE, day, file_of
from api.schemas.officers import AssignOfficerRequest
from projections.officer_desk import OfficerDesk, officer_desk

router = APIRouter(include_in_schema=False)


def assign_officer(once: Once, view: OfficerDesk, fields: Fields) -> object:
    kind, _, item_id = fields.get("item").partition(":")
    body = fields.body(AssignOfficerRequest, item_kind=kind, item_id=item_id)
    return once(
        once.app.officers.assign_officer,
        view.desk.institution.id,
        day(body, view),
        item_kind=body.item_kind,
        item_id=body.item_id,
        officer=body.officer,
        reason=body.reason,
    )


OFFICER = Step(
    template="workbench/officer.html",
    names=("item", "officer", "reason", "occurred_on"),
    view=lambda page, p: officer_desk(page.app, page.principal, p["iid"]),
    run=assign_officer,
    done=file_of,
    defaults=lambda page, view: {"occurred_on": view.desk.today, "item": "file:"},
)
register(router, f"{BASE}/officer", OFFICER)
