"""Findings, batches, complaints, assessment, cases, effects, appeals and explanations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.commands import once
from api.deps import AppDep, ContextDep, PrincipalDep
from api.schemas.casework import (
    AcceptRectificationRequest,
    AnnualAssessmentRequest,
    CommandResult,
    DecideAppealRequest,
    DecideCaseRequest,
    DefenceRequest,
    FileAppealRequest,
    InterviewRequest,
    IssueNoticeRequest,
    OpenCaseRequest,
    ReasonRequest,
    ReceiveComplaintRequest,
    RecordFindingRequest,
    RectificationReportRequest,
    ReportEvaluationRequest,
    ServeRequest,
    SessionRequest,
    VerifyComplaintRequest,
)
from api.schemas.institutions import Dated
from domain.application import OversightApplication
from domain.casework_app import BatchReport
from domain.ledger import Context

router = APIRouter(prefix="/api/v1/institutions/{iid}", tags=["casework"])


def run(
    app: OversightApplication, ctx: Context, response: Response, command: Callable[[], Any]
) -> CommandResult:
    """Run a command once per Idempotency-Key; a replay returns the first result."""
    return CommandResult.of(once(app, ctx, response, command))


def on(app: OversightApplication, body: Dated) -> date:
    return body.occurred_on or app.today()


@router.post("/findings", status_code=201, summary="Record a finding; the engine assesses it")
def record_finding(
    iid: UUID, body: RecordFindingRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.record_finding(
            ctx,
            iid,
            rule_id=body.rule_id,
            severity=body.severity,
            occurred_on=body.occurred_on,
            source=body.source,
            reference=body.reference,
            facts=body.facts,
            evidence=[e.model_dump() for e in body.evidence],
        ),
    )


@router.post("/findings/{finding_id}/dismissal", summary="Dismiss a finding, with the reason")
def dismiss_finding(
    iid: UUID,
    finding_id: str,
    body: ReasonRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.dismiss_finding(ctx, iid, finding_id, on(app, body), body.reason),
    )


@router.post("/evaluations", status_code=201, summary="Report an evaluation batch (always kept)")
def report_evaluation(
    iid: UUID, body: ReportEvaluationRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    report = BatchReport(**body.model_dump())
    return run(app, ctx, response, lambda: app.report_evaluation(ctx, iid, report))


@router.post("/complaints", status_code=201, summary="Receive a complaint (投诉举报)")
def receive_complaint(
    iid: UUID, body: ReceiveComplaintRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.receive_complaint(
            ctx, iid, on(app, body), body.channel, body.summary, body.reference
        ),
    )


@router.post("/complaints/{complaint_id}/verification", summary="Verify a complaint")
def verify_complaint(
    iid: UUID,
    complaint_id: str,
    body: VerifyComplaintRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.verify_complaint(
            ctx,
            iid,
            complaint_id,
            on(app, body),
            body.substantiated,
            body.reason,
            body.finding_rule_id,
            body.finding_occurred_on,
        ),
    )


@router.get("/assessment", summary="What the rules require at a business date")
def get_assessment(
    iid: UUID,
    app: AppDep,
    principal: PrincipalDep,
    as_of: Annotated[date | None, Query(description="business date; default today")] = None,
) -> dict[str, Any]:
    return app.assessment(principal, iid, as_of or app.today())


@router.post("/annual-assessments", status_code=201, summary="Record the annual assessment")
def record_annual_assessment(
    iid: UUID, body: AnnualAssessmentRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.record_annual_assessment(
            ctx,
            iid,
            on(app, body),
            year=body.year,
            assessing_body=body.assessing_body,
            passed=body.passed,
            grade=body.grade,
            scores=body.scores,
            remarks=body.remarks,
        ),
    )


@router.get("/credit-rating", summary="The credit rating at a date, with every change and why")
def get_credit_rating(
    iid: UUID,
    app: AppDep,
    principal: PrincipalDep,
    as_of: Annotated[date | None, Query(description="business date; default today")] = None,
) -> dict[str, Any]:
    return app.credit_rating(principal, iid, as_of or app.today())


@router.post("/cases", status_code=201, summary="Open a case from one or more findings")
def open_case(
    iid: UUID, body: OpenCaseRequest, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    return run(app, ctx, response, lambda: app.open_case(ctx, iid, on(app, body), body.finding_ids))


@router.post("/cases/{case_id}/notice", summary="Notify the intended decision (告知)")
def issue_notice(
    iid: UUID,
    case_id: str,
    body: IssueNoticeRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.issue_notice(
            ctx,
            iid,
            case_id,
            on(app, body),
            facts=body.facts,
            reasons=body.reasons,
            intended_level=body.intended_level,
            defence_days=body.defence_days,
        ),
    )


@router.post("/cases/{case_id}/defences", summary="Submit a statement and defence (陈述申辩)")
def submit_defence(
    iid: UUID,
    case_id: str,
    body: DefenceRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.submit_defence(
            ctx,
            iid,
            case_id,
            on(app, body),
            body.statement,
            [e.model_dump() for e in body.evidence],
        ),
    )


@router.post("/cases/{case_id}/defence-waiver", summary="Waive the defence")
def waive_defence(
    iid: UUID, case_id: str, body: Dated, app: AppDep, ctx: ContextDep, response: Response
) -> CommandResult:
    return run(app, ctx, response, lambda: app.waive_defence(ctx, iid, case_id, on(app, body)))


@router.post("/cases/{case_id}/decision", summary="Decide the case")
def decide_case(
    iid: UUID,
    case_id: str,
    body: DecideCaseRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.decide_case(
            ctx,
            iid,
            case_id,
            on(app, body),
            reasons=body.reasons,
            level=body.level,
            below_reason=body.below_reason,
            deciding_body=body.deciding_body,
            rectification_days=body.rectification_days,
        ),
    )


@router.post("/cases/{case_id}/service", summary="Serve the decision; its effects apply")
def serve_decision(
    iid: UUID,
    case_id: str,
    body: ServeRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.serve_decision(ctx, iid, case_id, on(app, body), body.void_batch_ids),
    )


@router.post("/decisions/{decision_id}/interview", summary="Record the interview held (约谈)")
def hold_interview(
    iid: UUID,
    decision_id: str,
    body: InterviewRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.hold_interview(
            ctx, iid, decision_id, on(app, body), body.attendees, body.pledge
        ),
    )


@router.post(
    "/decisions/{decision_id}/rectification-reports", summary="Submit a rectification report"
)
def submit_rectification_report(
    iid: UUID,
    decision_id: str,
    body: RectificationReportRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.submit_rectification_report(ctx, iid, decision_id, on(app, body), body.report),
    )


@router.post(
    "/decisions/{decision_id}/rectification-acceptance", summary="Accept the rectification"
)
def accept_rectification(
    iid: UUID,
    decision_id: str,
    body: AcceptRectificationRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.accept_rectification(ctx, iid, decision_id, on(app, body), body.remarks),
    )


@router.post("/decisions/{decision_id}/appeals", status_code=201, summary="File an appeal")
def file_appeal(
    iid: UUID,
    decision_id: str,
    body: FileAppealRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.file_appeal(ctx, iid, decision_id, on(app, body), body.kind, body.grounds),
    )


@router.post("/appeals/{appeal_id}/decision", summary="Decide an appeal: upheld, varied, annulled")
def decide_appeal(
    iid: UUID,
    appeal_id: str,
    body: DecideAppealRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.decide_appeal(
            ctx,
            iid,
            appeal_id,
            on(app, body),
            outcome=body.outcome,
            reasons=body.reasons,
            new_level=body.new_level,
        ),
    )


@router.get("/decisions/{decision_id}/explain", summary="Reconstruct a decision for review")
def explain_decision(
    iid: UUID, decision_id: str, app: AppDep, principal: PrincipalDep
) -> dict[str, Any]:
    return app.explain_decision(principal, iid, decision_id)


@router.post("/sessions/{session_id}/pause", summary="Pause on site (hunan-2023/17.3)")
def pause_evaluation(
    iid: UUID,
    session_id: str,
    body: SessionRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.pause_evaluation(ctx, iid, session_id, on(app, body), body.text),
    )


@router.post("/sessions/{session_id}/resume", summary="Resume after an on-the-spot correction")
def resume_evaluation(
    iid: UUID,
    session_id: str,
    body: SessionRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.resume_evaluation(ctx, iid, session_id, on(app, body), body.text),
    )


@router.post("/sessions/{session_id}/stop", summary="Stop it and void its results")
def stop_evaluation(
    iid: UUID,
    session_id: str,
    body: SessionRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> CommandResult:
    return run(
        app,
        ctx,
        response,
        lambda: app.stop_evaluation(ctx, iid, session_id, on(app, body), body.text, body.batch_id),
    )
