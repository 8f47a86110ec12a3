"""Findings, batches, complaints, assessment, cases, effects, appeals and explanations."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.command_route import CommandRoute
from api.commands import OnceDep, SessionStep, on
from api.deps import AppDep, PrincipalDep
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
from api.schemas.fields import BusinessDate, Code
from api.schemas.institutions import Dated
from domain.commands.findings import BatchReport

router = APIRouter(prefix="/api/v1/institutions/{iid}", tags=["casework"], route_class=CommandRoute)

AsOf = Annotated[BusinessDate | None, Query(description="business date; default today")]


# --- findings, batches, complaints, assessments ----------------------------------------------


@router.post("/findings", status_code=201, summary="Record a finding; the engine assesses it")
def record_finding(
    iid: UUID, body: RecordFindingRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    evidence = [e.model_dump() for e in body.evidence]
    return CommandResult.of(
        once(
            app.findings.record_finding,
            iid,
            rule_id=body.rule_id,
            severity=body.severity,
            occurred_on=body.occurred_on,
            source=body.source,
            reference=body.reference,
            facts=body.facts,
            evidence=evidence,
        )
    )


@router.post("/findings/{finding_id}/dismissal", summary="Dismiss a finding, with the reason")
def dismiss_finding(
    iid: UUID, finding_id: Code, body: ReasonRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.findings.dismiss_finding
    return CommandResult.of(once(command, iid, finding_id, on(app, body), body.reason))


@router.post("/evaluations", status_code=201, summary="Report an evaluation batch (always kept)")
def report_evaluation(
    iid: UUID, body: ReportEvaluationRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    report = BatchReport(**body.model_dump())
    return CommandResult.of(once(app.findings.report_evaluation, iid, report))


@router.post("/complaints", status_code=201, summary="Receive a complaint (投诉举报)")
def receive_complaint(
    iid: UUID, body: ReceiveComplaintRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.findings.receive_complaint
    return CommandResult.of(
        once(command, iid, on(app, body), body.channel, body.summary, body.reference)
    )


@router.post("/complaints/{complaint_id}/verification", summary="Verify a complaint")
def verify_complaint(
    iid: UUID, complaint_id: Code, body: VerifyComplaintRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    return CommandResult.of(
        once(
            app.findings.verify_complaint,
            iid,
            complaint_id,
            on(app, body),
            body.substantiated,
            body.reason,
            body.finding_rule_id,
            body.finding_occurred_on,
        )
    )


@router.get("/assessment", summary="What the rules require at a business date")
def get_assessment(
    iid: UUID, app: AppDep, principal: PrincipalDep, as_of: AsOf = None
) -> dict[str, Any]:
    return app.records.assessment(principal, iid, as_of or app.ledger.today())


@router.post("/annual-assessments", status_code=201, summary="Record the annual assessment")
def record_annual_assessment(
    iid: UUID, body: AnnualAssessmentRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    return CommandResult.of(
        once(
            app.findings.record_annual_assessment,
            iid,
            on(app, body),
            year=body.year,
            assessing_body=body.assessing_body,
            passed=body.passed,
            grade=body.grade,
            scores=body.scores,
            remarks=body.remarks,
        )
    )


@router.get("/credit-rating", summary="The credit rating at a date, with every change and why")
def get_credit_rating(
    iid: UUID, app: AppDep, principal: PrincipalDep, as_of: AsOf = None
) -> dict[str, Any]:
    return app.records.credit_rating(principal, iid, as_of or app.ledger.today())


# --- cases ------------------------------------------------------------------------------------


@router.post("/cases", status_code=201, summary="Open a case from one or more findings")
def open_case(iid: UUID, body: OpenCaseRequest, app: AppDep, once: OnceDep) -> CommandResult:
    return CommandResult.of(once(app.cases.open_case, iid, on(app, body), body.finding_ids))


@router.post("/cases/{case_id}/notice", summary="Notify the intended decision (告知)")
def issue_notice(
    iid: UUID, case_id: Code, body: IssueNoticeRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    return CommandResult.of(
        once(
            app.cases.issue_notice,
            iid,
            case_id,
            on(app, body),
            facts=body.facts,
            reasons=body.reasons,
            intended_level=body.intended_level,
            defence_days=body.defence_days,
        )
    )


@router.post("/cases/{case_id}/defences", summary="Submit a statement and defence (陈述申辩)")
def submit_defence(
    iid: UUID, case_id: Code, body: DefenceRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    evidence = [e.model_dump() for e in body.evidence]
    return CommandResult.of(
        once(app.cases.submit_defence, iid, case_id, on(app, body), body.statement, evidence)
    )


@router.post("/cases/{case_id}/defence-waiver", summary="Waive the defence")
def waive_defence(
    iid: UUID, case_id: Code, body: Dated, app: AppDep, once: OnceDep
) -> CommandResult:
    return CommandResult.of(once(app.cases.waive_defence, iid, case_id, on(app, body)))


@router.post("/cases/{case_id}/decision", summary="Decide the case")
def decide_case(
    iid: UUID, case_id: Code, body: DecideCaseRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    return CommandResult.of(
        once(
            app.cases.decide_case,
            iid,
            case_id,
            on(app, body),
            reasons=body.reasons,
            level=body.level,
            below_reason=body.below_reason,
            deciding_body=body.deciding_body,
            rectification_days=body.rectification_days,
        )
    )


@router.post("/cases/{case_id}/service", summary="Serve the decision; its effects apply")
def serve_decision(
    iid: UUID, case_id: Code, body: ServeRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.cases.serve_decision
    return CommandResult.of(once(command, iid, case_id, on(app, body), body.void_batch_ids))


# --- effects and appeals ----------------------------------------------------------------------


@router.post("/decisions/{decision_id}/interview", summary="Record the interview held (约谈)")
def hold_interview(
    iid: UUID, decision_id: Code, body: InterviewRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.cases.hold_interview
    return CommandResult.of(
        once(command, iid, decision_id, on(app, body), body.attendees, body.pledge)
    )


@router.post(
    "/decisions/{decision_id}/rectification-reports", summary="Submit a rectification report"
)
def submit_rectification_report(
    iid: UUID, decision_id: Code, body: RectificationReportRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.cases.submit_rectification_report
    return CommandResult.of(once(command, iid, decision_id, on(app, body), body.report))


@router.post(
    "/decisions/{decision_id}/rectification-acceptance", summary="Accept the rectification"
)
def accept_rectification(
    iid: UUID, decision_id: Code, body: AcceptRectificationRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.cases.accept_rectification
    return CommandResult.of(once(command, iid, decision_id, on(app, body), body.remarks))


@router.post("/decisions/{decision_id}/appeals", status_code=201, summary="File an appeal")
def file_appeal(
    iid: UUID, decision_id: Code, body: FileAppealRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    command = app.cases.file_appeal
    return CommandResult.of(once(command, iid, decision_id, on(app, body), body.kind, body.grounds))


@router.post("/appeals/{appeal_id}/decision", summary="Decide an appeal: upheld, varied, annulled")
def decide_appeal(
    iid: UUID, appeal_id: Code, body: DecideAppealRequest, app: AppDep, once: OnceDep
) -> CommandResult:
    return CommandResult.of(
        once(
            app.cases.decide_appeal,
            iid,
            appeal_id,
            on(app, body),
            outcome=body.outcome,
            reasons=body.reasons,
            new_level=body.new_level,
        )
    )


@router.get("/decisions/{decision_id}/explain", summary="Reconstruct a decision for review")
def explain_decision(
    iid: UUID, decision_id: Code, app: AppDep, principal: PrincipalDep
) -> dict[str, Any]:
    return app.records.explain_decision(principal, iid, decision_id)


# --- on site (hunan-2023/17.3) ----------------------------------------------------------------


def institution_session(
    iid: UUID, session_id: Code, body: SessionRequest, app: AppDep, once: OnceDep
) -> SessionStep:
    return SessionStep(iid, session_id, on(app, body), body, once)


OnSite = Annotated[SessionStep, Depends(institution_session)]


@router.post("/sessions/{session_id}/pause", summary="Pause on site (hunan-2023/17.3)")
def pause_evaluation(app: AppDep, step: OnSite) -> CommandResult:
    return step.run(app.cases.pause_evaluation, step.body.text)


@router.post("/sessions/{session_id}/resume", summary="Resume after an on-the-spot correction")
def resume_evaluation(app: AppDep, step: OnSite) -> CommandResult:
    return step.run(app.cases.resume_evaluation, step.body.text)


@router.post("/sessions/{session_id}/stop", summary="Stop it and void its results")
def stop_evaluation(app: AppDep, step: OnSite) -> CommandResult:
    return step.run(app.cases.stop_evaluation, step.body.text, step.body.batch_id)
