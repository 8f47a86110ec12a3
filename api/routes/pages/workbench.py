"""The regulator's workbench: each step of the regulator's work as a form over one record.

Every step is a :class:`api.routes.pages.forms.Step` under ``/institutions/{iid}/workbench/``:
it reads the record for a caller who may decide on it (:mod:`projections.workbench`), shows
what the step needs, parses the form into the API's request body (the same limits), runs
one application command through ``Once`` and goes back to the institution's file. What the
rules require, and whether the command is allowed, come from the application.

The steps a record leaves open (:func:`projections.workbench.open_steps`) are linked from
the institution's file (``workbench/_actions.html``) and from the worklist
(:func:`worklist_step`), both through the templates' globals installed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.templating import Jinja2Templates

from api.commands import Once
from api.i18n import Translator
from api.routes.pages.common import LEVELS, SignedIn, level_text
from api.routes.pages.forms import Fields, Step, register
from api.schemas.casework import (
    AcceptRectificationRequest,
    DecideAppealRequest,
    DecideCaseRequest,
    DefenceRequest,
    InterviewRequest,
    IssueNoticeRequest,
    OpenCaseRequest,
    RecordFindingRequest,
    ServeRequest,
)
from api.schemas.institutions import ApproveFilingRequest, Dated, ReasonedRequest
from domain.access import PERMISSIONS, Principal
from domain.application import OversightApplication
from domain.errors import DomainError
from projections.workbench import (
    CASE_STEPS,
    CaseDesk,
    DecisionDesk,
    Desk,
    FindingDesk,
    OpenStep,
    appeal_desk,
    case_desk,
    decision_desk,
    desk,
    finding_desk,
    open_steps,
)

router = APIRouter(include_in_schema=False)
BASE = "/institutions/{iid}/workbench"


class OnDesk(Protocol):
    @property
    def desk(self) -> Desk: ...


def file_of(view: OnDesk) -> str:
    """The institution's file, where every step goes back to."""
    return f"/institutions/{view.desk.institution.id}"


def day(body: Dated, view: OnDesk) -> date:
    """The business date the form names, today by default."""
    return body.occurred_on or view.desk.today


def today(page: SignedIn, view: OnDesk) -> Mapping[str, object]:
    return {"occurred_on": view.desk.today}


def _iid(view: OnDesk) -> UUID:
    return view.desk.institution.id


# --- the filing ------------------------------------------------------------------------


def review_filing(once: Once, view: Desk, fields: Fields) -> object:
    if fields.choice("decision", ("approve", "reject")) == "approve":
        approval = fields.body(ApproveFilingRequest)
        approve = once.app.filing.approve_filing
        return once(approve, _iid(view), day(approval, view), approval.receipt_number)
    rejection = fields.body(ReasonedRequest)
    reject = once.app.filing.reject_filing
    return once(reject, _iid(view), day(rejection, view), rejection.reason)


REVIEW = Step(
    template="workbench/review.html",
    names=("decision", "occurred_on", "receipt_number", "reason"),
    view=lambda page, p: desk(page.app, page.principal, p["iid"]),
    run=review_filing,
    done=file_of,
    defaults=lambda page, view: {"occurred_on": view.today, "decision": "approve"},
)
register(router, f"{BASE}/review", REVIEW)


# --- evidence --------------------------------------------------------------------------


def on_date(page: SignedIn) -> date | None:
    """``?on=``: the business date a step's page reads the rules at (the finding's picker,
    a case's requirement); today when absent or not a date."""
    value = page.request.query_params.get("on", "").strip()
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def record_finding(once: Once, view: FindingDesk, fields: Fields) -> object:
    body = fields.body(RecordFindingRequest)
    return once(
        once.app.findings.record_finding,
        _iid(view),
        rule_id=body.rule_id,
        severity=body.severity,
        occurred_on=body.occurred_on,
        source=body.source,
        reference=body.reference,
        facts=body.facts,
        evidence=[],
    )


FINDING = Step(
    template="workbench/finding.html",
    names=("rule_id", "severity", "occurred_on", "source", "reference", "facts"),
    view=lambda page, p: finding_desk(page.app, page.principal, p["iid"], on_date(page)),
    run=record_finding,
    done=file_of,
    defaults=lambda page, view: {
        "occurred_on": view.items.on,
        "severity": "minor",
        "source": "inspection",
    },
)
register(router, f"{BASE}/finding", FINDING)


def open_case(once: Once, view: Desk, fields: Fields) -> object:
    body = fields.body(OpenCaseRequest)
    return once(once.app.cases.open_case, _iid(view), day(body, view), body.finding_ids)


CASE = Step(
    template="workbench/case.html",
    names=("finding_ids", "occurred_on"),
    view=lambda page, p: desk(page.app, page.principal, p["iid"]),
    run=open_case,
    done=file_of,
    defaults=lambda page, view: {
        "occurred_on": view.today,
        "finding_ids": [f.finding_id for f in view.open_findings],
    },
    lists=("finding_ids",),
)
register(router, f"{BASE}/case", CASE)


# --- due process -----------------------------------------------------------------------


def read_case(page: SignedIn, p: Mapping[str, str]) -> CaseDesk:
    return case_desk(page.app, page.principal, p["iid"], p["case_id"], on_date(page))


def issue_notice(once: Once, view: CaseDesk, fields: Fields) -> object:
    body = fields.body(IssueNoticeRequest)
    return once(
        once.app.cases.issue_notice,
        _iid(view),
        view.case.case_id,
        day(body, view),
        facts=body.facts,
        reasons=body.reasons,
        intended_level=body.intended_level,
        defence_days=body.defence_days,
    )


NOTICE = Step(
    template="workbench/notice.html",
    names=("facts", "reasons", "intended_level", "defence_days", "occurred_on"),
    view=read_case,
    run=issue_notice,
    done=file_of,
    defaults=lambda page, view: {
        "occurred_on": view.required.on,
        "intended_level": view.required.level,
    },
)
register(router, f"{BASE}/cases/{{case_id}}/notice", NOTICE)


def answer_notice(once: Once, view: CaseDesk, fields: Fields) -> object:
    case_id = view.case.case_id
    if fields.choice("answer", ("defence", "waiver")) == "waiver":
        waiver = fields.body(Dated)
        return once(once.app.cases.waive_defence, _iid(view), case_id, day(waiver, view))
    body = fields.body(DefenceRequest)
    command = once.app.cases.submit_defence
    return once(command, _iid(view), case_id, day(body, view), body.statement, [])


DEFENCE = Step(
    template="workbench/defence.html",
    names=("answer", "statement", "occurred_on"),
    view=read_case,
    run=answer_notice,
    done=file_of,
    defaults=lambda page, view: {"occurred_on": view.required.on, "answer": "defence"},
)
register(router, f"{BASE}/cases/{{case_id}}/defence", DEFENCE)


def decide_case(once: Once, view: CaseDesk, fields: Fields) -> object:
    body = fields.body(DecideCaseRequest)
    return once(
        once.app.cases.decide_case,
        _iid(view),
        view.case.case_id,
        day(body, view),
        reasons=body.reasons,
        level=body.level,
        below_reason=body.below_reason,
        deciding_body=body.deciding_body,
        rectification_days=body.rectification_days,
    )


DECISION = Step(
    template="workbench/decision.html",
    names=(
        "level",
        "reasons",
        "below_reason",
        "rectification_days",
        "deciding_body",
        "occurred_on",
    ),
    view=read_case,
    run=decide_case,
    done=file_of,
    defaults=lambda page, view: {"occurred_on": view.required.on, "level": view.required.level},
)
register(router, f"{BASE}/cases/{{case_id}}/decision", DECISION)


def serve_decision(once: Once, view: CaseDesk, fields: Fields) -> object:
    body = fields.body(ServeRequest)
    command = once.app.cases.serve_decision
    return once(command, _iid(view), view.case.case_id, day(body, view), body.void_batch_ids)


SERVICE = Step(
    template="workbench/service.html",
    names=("void_batch_ids", "occurred_on"),
    view=read_case,
    run=serve_decision,
    done=file_of,
    defaults=today,
    lists=("void_batch_ids",),
)
register(router, f"{BASE}/cases/{{case_id}}/service", SERVICE)


# --- effects and appeals ---------------------------------------------------------------


def read_decision(page: SignedIn, p: Mapping[str, str]) -> DecisionDesk:
    return decision_desk(page.app, page.principal, p["iid"], p["decision_id"])


def hold_interview(once: Once, view: DecisionDesk, fields: Fields) -> object:
    body = fields.body(InterviewRequest, attendees=fields.lines("attendees"))
    command = once.app.cases.hold_interview
    decision_id = view.decision.decision_id
    return once(command, _iid(view), decision_id, day(body, view), body.attendees, body.pledge)


INTERVIEW = Step(
    template="workbench/interview.html",
    names=("attendees", "pledge", "occurred_on"),
    view=read_decision,
    run=hold_interview,
    done=file_of,
    defaults=today,
)
register(router, f"{BASE}/decisions/{{decision_id}}/interview", INTERVIEW)


def accept_rectification(once: Once, view: DecisionDesk, fields: Fields) -> object:
    body = fields.body(AcceptRectificationRequest)
    command = once.app.cases.accept_rectification
    decision_id = view.decision.decision_id
    return once(command, _iid(view), decision_id, day(body, view), body.remarks)


RECTIFICATION = Step(
    template="workbench/rectification.html",
    names=("remarks", "occurred_on"),
    view=read_decision,
    run=accept_rectification,
    done=file_of,
    defaults=today,
)
register(router, f"{BASE}/decisions/{{decision_id}}/rectification", RECTIFICATION)


def decide_appeal(once: Once, view: DecisionDesk, fields: Fields) -> object:
    body = fields.body(DecideAppealRequest)
    assert view.appeal is not None
    return once(
        once.app.cases.decide_appeal,
        _iid(view),
        view.appeal.appeal_id,
        day(body, view),
        outcome=body.outcome,
        reasons=body.reasons,
        new_level=body.new_level,
    )


APPEAL = Step(
    template="workbench/appeal.html",
    names=("outcome", "reasons", "new_level", "occurred_on"),
    view=lambda page, p: appeal_desk(page.app, page.principal, p["iid"], p["appeal_id"]),
    run=decide_appeal,
    done=file_of,
    defaults=today,
)
register(router, f"{BASE}/appeals/{{appeal_id}}/outcome", APPEAL)


# --- links to the steps ----------------------------------------------------------------


def steps_for(request: Request, principal: Principal | None, iid: object) -> tuple[OpenStep, ...]:
    """The steps the caller may take on the institution now; none for a caller who may
    not decide on it (a reviewer, the institution, a regulator elsewhere)."""
    if principal is None:
        return ()
    app: OversightApplication = request.app.state.oversight
    try:
        return open_steps(desk(app, principal, str(iid)))
    except DomainError:
        return ()


def worklist_step(principal: Principal | None, table: str, item: Any) -> str | None:
    """The step a worklist item opens, by the worklist's table and the item's state; none
    for a caller whose role does not decide."""
    if principal is None or "decide" not in PERMISSIONS.get(principal.role, ()):
        return None
    if table == "filings":
        return f"/institutions/{item.id}/workbench/review"
    base = f"/institutions/{item.institution_id}/workbench"
    if table == "findings":
        return f"{base}/case"
    if table == "appeals":
        return f"{base}/appeals/{item.appeal_id}/outcome"
    if table == "rectifications":
        return f"{base}/decisions/{item.decision_id}/rectification"
    if table == "cases" and item.interview_pending and item.decision_id:
        return f"{base}/decisions/{item.decision_id}/interview"
    if table == "cases" and item.step in CASE_STEPS:
        return f"{base}/cases/{item.case_id}/{CASE_STEPS[item.step][-1]}"
    return None


def level_options(tr: Translator) -> list[tuple[str, str]]:
    """The sanction levels as a select's options: ``("2", "2 整改")``."""
    return [(str(level), level_text(level, tr)) for level in LEVELS]


def install_links(templates: Jinja2Templates) -> None:
    """The templates' globals that link pages to the steps."""
    templates.env.globals["workbench_steps"] = steps_for
    templates.env.globals["workbench_step"] = worklist_step
    templates.env.globals["level_options"] = level_options
