"""/api/v1/supervisors, /api/v1/assignments, /api/v1/visits and /api/v1/campaigns.

Each handler parses, makes one application call and answers with the record as that call
left it (an ``Idempotency-Key`` replay answers with the record at the version it produced).
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.commands import once
from api.deps import AppDep, ContextDep, PrincipalDep
from api.schemas.casework import CommandResult, RectificationReportRequest, SessionRequest
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
from domain.ledger import Context
from domain.supervisor import Supervisor

supervisors = APIRouter(prefix="/api/v1/supervisors", tags=["supervisors"])
assignments = APIRouter(prefix="/api/v1/assignments", tags=["assignments"])
visits = APIRouter(prefix="/api/v1/visits", tags=["visits"])
campaigns = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
router = APIRouter()

#: Bytes of randomness in a generated draw seed (hex-encoded).
SEED_BYTES = 32


def _on(app: OversightApplication, body: Dated) -> date:
    return body.occurred_on or app.today()


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


# --- supervisors ---------------------------------------------------------------------------


def _supervisor_view(
    app: OversightApplication, ctx: Context, response: Response, result: dict[str, Any]
) -> SupervisorOut:
    sup = app.supervisor(ctx.principal, UUID(result["supervisor_id"]), int(result["version"]))
    return _supervisor_out(app, sup, response)


def _supervisor_out(
    app: OversightApplication, sup: Supervisor, response: Response
) -> SupervisorOut:
    _etag(response, sup.version)
    today = app.today()
    return SupervisorOut.of(sup, app.supervision_policy(sup.jurisdiction, today), today)


@supervisors.post("", status_code=201, summary="Certify a supervisor (颁发督导员证卡)")
def certify_supervisor(
    body: CertifySupervisorRequest, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.certify_supervisor(
            ctx,
            jurisdiction=body.jurisdiction,
            district=body.district,
            kind=body.kind,
            institution=body.institution_id,
            name=body.name,
            subject=body.subject,
            card_number=body.card_number,
            on=_on(app, body),
        ),
    )
    response.headers["Location"] = f"/api/v1/supervisors/{result['supervisor_id']}"
    return _supervisor_view(app, ctx, response, result)


@supervisors.get("", summary="The supervisors registered in a jurisdiction")
def list_supervisors(
    app: AppDep, principal: PrincipalDep, jurisdiction: Annotated[str, Query()]
) -> list[SupervisorOut]:
    found = app.supervisors(principal, jurisdiction)
    today = app.today()
    policy = app.supervision_policy(jurisdiction, today)
    return [SupervisorOut.of(s, policy, today) for s in found]


@supervisors.get("/{sid}", summary="One supervisor, now or at a past version")
def get_supervisor(
    sid: UUID,
    app: AppDep,
    principal: PrincipalDep,
    response: Response,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> SupervisorOut:
    return _supervisor_out(app, app.supervisor(principal, sid, version), response)


@supervisors.get("/{sid}/events", summary="The supervisor's audit trail")
def supervisor_events(sid: UUID, app: AppDep, principal: PrincipalDep) -> list[EventOut]:
    return [EventOut.of(e) for e in app.supervision_events(principal, sid)]


@supervisors.post("/{sid}/appointments", summary="Engage for a term (聘任, hunan-2023/8)")
def appoint_supervisor(
    sid: UUID, body: Dated, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(app, ctx, response, lambda: app.appoint_supervisor(ctx, sid, _on(app, body)))
    return _supervisor_view(app, ctx, response, result)


@supervisors.post("/{sid}/card-renewal", summary="A new card after retraining")
def renew_card(
    sid: UUID, body: Dated, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(app, ctx, response, lambda: app.renew_supervisor_card(ctx, sid, _on(app, body)))
    return _supervisor_view(app, ctx, response, result)


@supervisors.post("/{sid}/annual-reviews", summary="Record the annual review (年度考核)")
def record_annual_review(
    sid: UUID, body: AnnualReviewRequest, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.record_annual_review(
            ctx, sid, year=body.year, passed=body.passed, remarks=body.remarks, on=_on(app, body)
        ),
    )
    return _supervisor_view(app, ctx, response, result)


@supervisors.post("/{sid}/suspension", summary="Suspend assignments (hunan-2023/30)")
def suspend_supervisor(
    sid: UUID, body: SuspendRequest, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.suspend_supervisor(
            ctx,
            sid,
            reason=body.reason,
            articles=body.articles,
            until=body.until,
            on=_on(app, body),
        ),
    )
    return _supervisor_view(app, ctx, response, result)


@supervisors.post("/{sid}/suspension/lifting", summary="Lift a suspension of assignments")
def lift_suspension(
    sid: UUID, body: ReasonedRequest, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.lift_supervisor_suspension(ctx, sid, reason=body.reason, on=_on(app, body)),
    )
    return _supervisor_view(app, ctx, response, result)


@supervisors.post("/{sid}/decertification", summary="Withdraw the qualification (取消资质)")
def decertify_supervisor(
    sid: UUID, body: DecertifyRequest, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.decertify_supervisor(
            ctx, sid, reason=body.reason, articles=body.articles, on=_on(app, body)
        ),
    )
    return _supervisor_view(app, ctx, response, result)


@supervisors.post("/{sid}/conflicts", summary="Declare a conflict of interest (回避)")
def declare_conflict(
    sid: UUID, body: DeclareConflictRequest, app: AppDep, ctx: ContextDep, response: Response
) -> SupervisorOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.declare_conflict(
            ctx, sid, institution=body.institution_id, relation=body.relation, on=_on(app, body)
        ),
    )
    return _supervisor_view(app, ctx, response, result)


@supervisors.post("/{sid}/conflicts/{iid}/end", summary="End a declared conflict of interest")
def end_conflict(
    sid: UUID,
    iid: UUID,
    body: ReasonedRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> SupervisorOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.end_conflict(ctx, sid, institution=iid, reason=body.reason, on=_on(app, body)),
    )
    return _supervisor_view(app, ctx, response, result)


# --- assignments ---------------------------------------------------------------------------


def _assignment_view(
    app: OversightApplication, ctx: Context, response: Response, result: dict[str, Any]
) -> AssignmentOut:
    a = app.assignment(ctx.principal, UUID(result["assignment_id"]), int(result["version"]))
    _etag(response, a.version)
    return AssignmentOut.of(a)


@assignments.post(
    "", status_code=201, summary="Assign supervisors to a daily or special supervision"
)
def assign_supervision(
    body: AssignSupervisionRequest, app: AppDep, ctx: ContextDep, response: Response
) -> AssignmentOut:
    on = _on(app, body)
    result = once(
        app,
        ctx,
        response,
        lambda: app.assign_supervision(
            ctx,
            institution=body.institution_id,
            kind=body.kind,
            supervisors=body.supervisors,
            starts_on=body.starts_on or on,
            sessions=[s.plain() for s in body.sessions],
            matters=body.matters,
            on=on,
        ),
    )
    response.headers["Location"] = f"/api/v1/assignments/{result['assignment_id']}"
    return _assignment_view(app, ctx, response, result)


@assignments.get("/{aid}", summary="One assignment with the visits filed under it")
def get_assignment(
    aid: UUID, app: AppDep, principal: PrincipalDep, response: Response
) -> AssignmentOut:
    a = app.assignment(principal, aid)
    _etag(response, a.version)
    return AssignmentOut.of(a)


@assignments.get("/{aid}/events", summary="The assignment's audit trail")
def assignment_events(aid: UUID, app: AppDep, principal: PrincipalDep) -> list[EventOut]:
    return [EventOut.of(e) for e in app.supervision_events(principal, aid)]


@assignments.post("/{aid}/withdrawal", summary="Withdraw an assignment not yet visited")
def withdraw_assignment(
    aid: UUID, body: ReasonedRequest, app: AppDep, ctx: ContextDep, response: Response
) -> AssignmentOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.withdraw_assignment(ctx, aid, reason=body.reason, on=_on(app, body)),
    )
    return _assignment_view(app, ctx, response, result)


# --- visits --------------------------------------------------------------------------------


@visits.post("", status_code=201, summary="File a visit record (督导情况记录) under an assignment")
def record_visit(
    body: RecordVisitRequest, app: AppDep, ctx: ContextDep, response: Response
) -> VisitOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.record_visit(
            ctx,
            assignment=body.assignment_id,
            mode=body.mode,
            supervisors=body.supervisors,
            sessions=[s.plain() for s in body.sessions],
            checked=body.checked,
            findings=[f.plain() for f in body.findings],
            summary=body.summary,
            on=_on(app, body),
        ),
    )
    response.headers["Location"] = f"/api/v1/visits/{result['visit_id']}"
    visit = app.visit(ctx.principal, UUID(result["visit_id"]), int(result["version"]))
    _etag(response, visit.version)
    return VisitOut.of(visit)


@visits.get("/{vid}", summary="One visit record")
def get_visit(vid: UUID, app: AppDep, principal: PrincipalDep, response: Response) -> VisitOut:
    visit = app.visit(principal, vid)
    _etag(response, visit.version)
    return VisitOut.of(visit)


@visits.get("/{vid}/events", summary="The visit record's audit trail")
def visit_events(vid: UUID, app: AppDep, principal: PrincipalDep) -> list[EventOut]:
    return [EventOut.of(e) for e in app.supervision_events(principal, vid)]


@visits.post("/{vid}/opinion", summary="Close a special supervision with an opinion letter")
def issue_opinion(
    vid: UUID, body: OpinionRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    return CommandResult.of(
        once(
            app,
            ctx,
            response,
            lambda: app.issue_opinion(
                ctx, vid, _on(app, body), opinions=body.opinions, report_days=body.report_days
            ),
        )
    )


@visits.post("/{vid}/rectification-report", summary="The institution's report on the opinions")
def submit_opinion_report(
    vid: UUID, body: RectificationReportRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    return CommandResult.of(
        once(
            app,
            ctx,
            response,
            lambda: app.submit_opinion_report(ctx, vid, _on(app, body), body.report),
        )
    )


@assignments.post("/{aid}/sessions/{session_id}/pause", summary="Pause a session on site (17.3)")
def pause_session(
    aid: UUID,
    session_id: str,
    body: SessionRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return CommandResult.of(
        once(
            app,
            ctx,
            response,
            lambda: app.pause_session(ctx, aid, session_id, _on(app, body), body.text),
        )
    )


@assignments.post("/{aid}/sessions/{session_id}/resume", summary="Resume after correction")
def resume_session(
    aid: UUID,
    session_id: str,
    body: SessionRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return CommandResult.of(
        once(
            app,
            ctx,
            response,
            lambda: app.resume_session(ctx, aid, session_id, _on(app, body), body.text),
        )
    )


# --- campaigns -----------------------------------------------------------------------------


def _campaign_view(
    app: OversightApplication, ctx: Context, response: Response, result: dict[str, Any]
) -> CampaignOut:
    c = app.campaign(ctx.principal, UUID(result["campaign_id"]), int(result["version"]))
    _etag(response, c.version)
    return CampaignOut.of(c)


@campaigns.post("", status_code=201, summary="Open a random spot-check campaign (双随机)")
def open_campaign(
    body: OpenCampaignRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CampaignOut:
    result = once(
        app,
        ctx,
        response,
        lambda: app.open_campaign(
            ctx,
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
            on=_on(app, body),
        ),
    )
    response.headers["Location"] = f"/api/v1/campaigns/{result['campaign_id']}"
    return _campaign_view(app, ctx, response, result)


@campaigns.get("/{cid}", summary="One campaign with its recorded draw")
def get_campaign(
    cid: UUID, app: AppDep, principal: PrincipalDep, response: Response
) -> CampaignOut:
    c = app.campaign(principal, cid)
    _etag(response, c.version)
    return CampaignOut.of(c)


@campaigns.get("/{cid}/events", summary="The campaign's audit trail")
def campaign_events(cid: UUID, app: AppDep, principal: PrincipalDep) -> list[EventOut]:
    return [EventOut.of(e) for e in app.supervision_events(principal, cid)]


@campaigns.post("/{cid}/draw", summary="Draw targets and groups; makes the assignments")
def draw_campaign(
    cid: UUID, body: DrawRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CampaignOut:
    seed, source = (
        (body.seed, "supplied") if body.seed else (secrets.token_hex(SEED_BYTES), "generated")
    )
    result = once(
        app,
        ctx,
        response,
        lambda: app.draw_campaign(ctx, cid, seed=seed, seed_source=source, on=_on(app, body)),
    )
    return _campaign_view(app, ctx, response, result)


@campaigns.get("/{cid}/verification", summary="Re-run the recorded draw from its seed")
def verify_campaign(cid: UUID, app: AppDep, principal: PrincipalDep) -> VerificationOut:
    campaign = app.campaign(principal, cid)
    return VerificationOut.of(cid, campaign.publication(), app.verify_campaign(cid))


@campaigns.post("/{cid}/publication", summary="Publish the draw result (一公开)")
def publish_campaign(
    cid: UUID, body: Dated, app: AppDep, ctx: ContextDep, response: Response
) -> CampaignOut:
    result = once(app, ctx, response, lambda: app.publish_campaign(ctx, cid, on=_on(app, body)))
    return _campaign_view(app, ctx, response, result)


@campaigns.get(
    "/{cid}/publication",
    summary="The published draw: public, no token; enough to re-run the draw offline",
)
def get_publication(cid: UUID, app: AppDep) -> dict[str, Any]:
    return app.campaign_publication(cid)


router.include_router(supervisors)
router.include_router(assignments)
router.include_router(visits)
router.include_router(campaigns)
