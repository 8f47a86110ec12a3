"""/api/v1/supervisors, /api/v1/assignments, /api/v1/visits and /api/v1/campaigns.

Each handler parses, makes one application call and answers with the record as that call
left it (an ``Idempotency-Key`` replay answers with the record at the version it produced).
"""

from __future__ import annotations

import secrets
from inspect import Parameter, Signature
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from api.command_route import CommandRoute
from api.commands import OnceDep, RecordView, SessionStep, on
from api.deps import AppDep, PrincipalDep
from api.schemas.casework import CommandResult, RectificationReportRequest, SessionRequest
from api.schemas.fields import Code, Version
from api.schemas.institutions import Dated, EventOut, ReasonedRequest
from api.schemas.supervision import (
    AnnualReviewRequest,
    AssignmentOut,
    AssignSupervisionRequest,
    CampaignOut,
    CertifySupervisorRequest,
    DecertifyRequest,
    DeclareConflictRequest,
    DrawRequest,
    OpenCampaignRequest,
    OpinionRequest,
    RecordVisitRequest,
    SupervisorOut,
    SuspendRequest,
    VerificationOut,
    VisitOut,
)
from domain.application import OversightApplication
from domain.records import Records
from domain.supervisor import Supervisor

supervisors = APIRouter(
    prefix="/api/v1/supervisors", tags=["supervisors"], route_class=CommandRoute
)
assignments = APIRouter(
    prefix="/api/v1/assignments", tags=["assignments"], route_class=CommandRoute
)
visits = APIRouter(prefix="/api/v1/visits", tags=["visits"], route_class=CommandRoute)
campaigns = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"], route_class=CommandRoute)
router = APIRouter()

#: Bytes of randomness in a generated draw seed (hex-encoded).
SEED_BYTES = 32


def _supervisor_out(app: OversightApplication, sup: Supervisor) -> SupervisorOut:
    today = app.ledger.today()
    return SupervisorOut.of(sup, app.ledger.supervision_policy(sup.jurisdiction, today), today)


SUPERVISOR = RecordView("supervisor_id", supervisors.prefix, Records.supervisor, _supervisor_out)
ASSIGNMENT = RecordView(
    "assignment_id", assignments.prefix, Records.assignment, lambda _, a: AssignmentOut.of(a)
)
VISIT = RecordView("visit_id", visits.prefix, Records.visit, lambda _, v: VisitOut.of(v))
CAMPAIGN = RecordView(
    "campaign_id", campaigns.prefix, Records.campaign, lambda _, c: CampaignOut.of(c)
)


def record_routes(
    router: APIRouter,
    view: RecordView[Any, Any],
    model: type[Any],
    param: str,
    noun: str,
    *,
    one: str,
    trail: str,
    versions: bool = False,
) -> None:
    """``GET /{param}``: the record now (with ``?version=`` at a past version if
    ``versions``) with its ETag; ``GET /{param}/events``: its audit trail. The operations
    are named ``get_<noun>`` and ``<noun>_events``."""
    record_id = Parameter(param, Parameter.KEYWORD_ONLY, annotation=UUID)
    app = Parameter("app", Parameter.KEYWORD_ONLY, annotation=AppDep)
    principal = Parameter("principal", Parameter.KEYWORD_ONLY, annotation=PrincipalDep)
    response = Parameter("response", Parameter.KEYWORD_ONLY, annotation=Response)
    version = Parameter("version", Parameter.KEYWORD_ONLY, annotation=Version | None, default=None)

    def current(**given: Any) -> Any:
        record: UUID = given[param]
        return view.current(
            given["app"], given["principal"], given["response"], record, given.get("version")
        )

    def events(**given: Any) -> list[EventOut]:
        found = given["app"].records.supervision_events(given["principal"], given[param])
        return [EventOut.of(e) for e in found]

    one_params = [record_id, app, principal, response] + ([version] if versions else [])
    current.__signature__ = Signature(one_params)  # type: ignore[attr-defined]
    events.__signature__ = Signature([record_id, app, principal])  # type: ignore[attr-defined]
    router.add_api_route(
        f"/{{{param}}}",
        current,
        methods=["GET"],
        summary=one,
        response_model=model,
        name=f"get_{noun}",
    )
    router.add_api_route(
        f"/{{{param}}}/events",
        events,
        methods=["GET"],
        summary=trail,
        response_model=list[EventOut],
        name=f"{noun}_events",
    )


record_routes(
    supervisors,
    SUPERVISOR,
    SupervisorOut,
    "sid",
    "supervisor",
    one="One supervisor, now or at a past version",
    trail="The supervisor's audit trail",
    versions=True,
)
record_routes(
    assignments,
    ASSIGNMENT,
    AssignmentOut,
    "aid",
    "assignment",
    one="One assignment with the visits filed under it",
    trail="The assignment's audit trail",
)
record_routes(
    visits,
    VISIT,
    VisitOut,
    "vid",
    "visit",
    one="One visit record",
    trail="The visit record's audit trail",
)
record_routes(
    campaigns,
    CAMPAIGN,
    CampaignOut,
    "cid",
    "campaign",
    one="One campaign with its recorded draw",
    trail="The campaign's audit trail",
)


# --- supervisors ---------------------------------------------------------------------------


@supervisors.post("", status_code=201, summary="Certify a supervisor (颁发督导员证卡)")
def certify_supervisor(body: CertifySupervisorRequest, app: AppDep, once: OnceDep) -> SupervisorOut:
    result = once(
        app.supervision.certify_supervisor,
        jurisdiction=body.jurisdiction,
        district=body.district,
        kind=body.kind,
        institution=body.institution_id,
        name=body.name,
        subject=body.subject,
        card_number=body.card_number,
        on=on(app, body),
    )
    return SUPERVISOR.created(once, result)


@supervisors.get("", summary="The supervisors registered in a jurisdiction")
def list_supervisors(
    app: AppDep, principal: PrincipalDep, jurisdiction: Annotated[Code, Query()]
) -> list[SupervisorOut]:
    found = app.records.supervisors(principal, jurisdiction)
    today = app.ledger.today()
    policy = app.ledger.supervision_policy(jurisdiction, today)
    return [SupervisorOut.of(s, policy, today) for s in found]


@supervisors.post("/{sid}/appointments", summary="Engage for a term (聘任, hunan-2023/8)")
def appoint_supervisor(sid: UUID, body: Dated, app: AppDep, once: OnceDep) -> SupervisorOut:
    result = once(app.supervision.appoint_supervisor, sid, on(app, body))
    return SUPERVISOR.left_by(once, result)


@supervisors.post("/{sid}/card-renewal", summary="A new card after retraining")
def renew_card(sid: UUID, body: Dated, app: AppDep, once: OnceDep) -> SupervisorOut:
    result = once(app.supervision.renew_supervisor_card, sid, on(app, body))
    return SUPERVISOR.left_by(once, result)


@supervisors.post("/{sid}/annual-reviews", summary="Record the annual review (年度考核)")
def record_annual_review(
    sid: UUID, body: AnnualReviewRequest, app: AppDep, once: OnceDep
) -> SupervisorOut:
    result = once(
        app.supervision.record_annual_review,
        sid,
        year=body.year,
        passed=body.passed,
        remarks=body.remarks,
        on=on(app, body),
    )
    return SUPERVISOR.left_by(once, result)


@supervisors.post("/{sid}/suspension", summary="Suspend assignments (hunan-2023/30)")
def suspend_supervisor(
    sid: UUID, body: SuspendRequest, app: AppDep, once: OnceDep
) -> SupervisorOut:
    result = once(
        app.supervision.suspend_supervisor,
        sid,
        reason=body.reason,
        articles=body.articles,
        until=body.until,
        on=on(app, body),
    )
    return SUPERVISOR.left_by(once, result)


@supervisors.post("/{sid}/suspension/lifting", summary="Lift a suspension of assignments")
def lift_suspension(sid: UUID, body: ReasonedRequest, app: AppDep, once: OnceDep) -> SupervisorOut:
    command = app.supervision.lift_supervisor_suspension
    result = once(command, sid, reason=body.reason, on=on(app, body))
    return SUPERVISOR.left_by(once, result)


@supervisors.post("/{sid}/decertification", summary="Withdraw the qualification (取消资质)")
def decertify_supervisor(
    sid: UUID, body: DecertifyRequest, app: AppDep, once: OnceDep
) -> SupervisorOut:
    command = app.supervision.decertify_supervisor
    result = once(command, sid, reason=body.reason, articles=body.articles, on=on(app, body))
    return SUPERVISOR.left_by(once, result)


@supervisors.post("/{sid}/conflicts", summary="Declare a conflict of interest (回避)")
def declare_conflict(
    sid: UUID, body: DeclareConflictRequest, app: AppDep, once: OnceDep
) -> SupervisorOut:
    result = once(
        app.supervision.declare_conflict,
        sid,
        institution=body.institution_id,
        relation=body.relation,
        on=on(app, body),
    )
    return SUPERVISOR.left_by(once, result)


@supervisors.post("/{sid}/conflicts/{iid}/end", summary="End a declared conflict of interest")
def end_conflict(
    sid: UUID, iid: UUID, body: ReasonedRequest, app: AppDep, once: OnceDep
) -> SupervisorOut:
    command = app.supervision.end_conflict
    result = once(command, sid, institution=iid, reason=body.reason, on=on(app, body))
    return SUPERVISOR.left_by(once, result)


# --- assignments ---------------------------------------------------------------------------


@assignments.post(
    "", status_code=201, summary="Assign supervisors to a daily or special supervision"
)
def assign_supervision(body: AssignSupervisionRequest, app: AppDep, once: OnceDep) -> AssignmentOut:
    day = on(app, body)
    result = once(
        app.supervision.assign_supervision,
        institution=body.institution_id,
        kind=body.kind,
        supervisors=body.supervisors,
        starts_on=body.starts_on or day,
        sessions=[s.plain() for s in body.sessions],
        matters=body.matters,
        on=day,
    )
    return ASSIGNMENT.created(once, result)


@assignments.post("/{aid}/withdrawal", summary="Withdraw an assignment not yet visited")
def withdraw_assignment(
    aid: UUID, body: ReasonedRequest, app: AppDep, once: OnceDep
) -> AssignmentOut:
    result = once(app.supervision.withdraw_assignment, aid, reason=body.reason, on=on(app, body))
    return ASSIGNMENT.left_by(once, result)


# --- visits --------------------------------------------------------------------------------


@visits.post("", status_code=201, summary="File a visit record (督导情况记录) under an assignment")
def record_visit(body: RecordVisitRequest, app: AppDep, once: OnceDep) -> VisitOut:
    result = once(
        app.supervision.record_visit,
        assignment=body.assignment_id,
        mode=body.mode,
        supervisors=body.supervisors,
        sessions=[s.plain() for s in body.sessions],
        checked=body.checked,
        findings=[f.plain() for f in body.findings],
        summary=body.summary,
        on=on(app, body),
    )
    return VISIT.created(once, result)


@visits.post("/{vid}/opinion", summary="Close a special supervision with an opinion letter")
def issue_opinion(vid: UUID, body: OpinionRequest, app: AppDep, once: OnceDep) -> CommandResult:
    return CommandResult.of(
        once(
            app.supervision.issue_opinion,
            vid,
            on(app, body),
            opinions=body.opinions,
            report_days=body.report_days,
        )
    )


@visits.post("/{vid}/rectification-report", summary="The institution's report on the opinions")
def submit_opinion_report(
    vid: UUID, body: RectificationReportRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.supervision.submit_opinion_report
    return CommandResult.of(once(command, vid, on(app, body), body.report))


def assignment_session(
    aid: UUID, session_id: Code, body: SessionRequest, app: AppDep, once: OnceDep
) -> SessionStep:
    return SessionStep(aid, session_id, on(app, body), body, once)


OnSite = Annotated[SessionStep, Depends(assignment_session)]


@assignments.post("/{aid}/sessions/{session_id}/pause", summary="Pause a session on site (17.3)")
def pause_session(app: AppDep, step: OnSite) -> CommandResult:
    return step.run(app.supervision.pause_session, step.body.text)


@assignments.post("/{aid}/sessions/{session_id}/resume", summary="Resume after correction")
def resume_session(app: AppDep, step: OnSite) -> CommandResult:
    return step.run(app.supervision.resume_session, step.body.text)


# --- campaigns -----------------------------------------------------------------------------


@campaigns.post("", status_code=201, summary="Open a random spot-check campaign (双随机)")
def open_campaign(body: OpenCampaignRequest, app: AppDep, once: OnceDep) -> CampaignOut:
    result = once(
        app.campaigns.open_campaign,
        reference=body.reference,
        title=body.title,
        jurisdiction=body.jurisdiction,
        district=body.district,
        kind=body.kind,
        matters=body.matters,
        institution_kinds=list(body.institution_kinds),
        occupations=body.occupations,
        supervisor_district=body.supervisor_district,
        target_count=body.target_count,
        group_size=body.group_size,
        max_targets_per_supervisor=body.max_targets_per_supervisor,
        planned_on=body.planned_on,
        on=on(app, body),
    )
    return CAMPAIGN.created(once, result)


@campaigns.post("/{cid}/draw", summary="Draw targets and groups; makes the assignments")
def draw_campaign(cid: UUID, body: DrawRequest, app: AppDep, once: OnceDep) -> CampaignOut:
    seed, source = (
        (body.seed, "supplied") if body.seed else (secrets.token_hex(SEED_BYTES), "generated")
    )
    command = app.campaigns.draw_campaign
    result = once(command, cid, seed=seed, seed_source=source, on=on(app, body))
    return CAMPAIGN.left_by(once, result)


@campaigns.get("/{cid}/verification", summary="Re-run the recorded draw from its seed")
def verify_campaign(cid: UUID, app: AppDep, principal: PrincipalDep) -> VerificationOut:
    campaign = app.records.campaign(principal, cid)
    return VerificationOut.of(cid, campaign.publication(), app.campaigns.verify_campaign(cid))


@campaigns.post("/{cid}/publication", summary="Publish the draw result (一公开)")
def publish_campaign(cid: UUID, body: Dated, app: AppDep, once: OnceDep) -> CampaignOut:
    result = once(app.campaigns.publish_campaign, cid, on=on(app, body))
    return CAMPAIGN.left_by(once, result)


@campaigns.get(
    "/{cid}/publication",
    summary="The published draw: public, no token; enough to re-run the draw offline",
)
def get_publication(cid: UUID, app: AppDep) -> dict[str, Any]:
    return app.records.campaign_publication(cid)


router.include_router(supervisors)
router.include_router(assignments)
router.include_router(visits)
router.include_router(campaigns)
