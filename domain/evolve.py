"""The fold: ``evolve(state, event)`` is the institution after one more event.

Pure and total over the institution's events: every event class has one handler here,
which returns a new state (:func:`domain.state.changed`, a faster ``dataclasses.replace``)
and never changes the one it was given. A keyed collection changes by
``Keyed.set``, which shares the rest with the one before, so an event costs the same
whatever the number of batches, findings or cases already folded.
The aggregate runs it for every event it records or replays; the deciders' tests run it
over events they write by hand. It never refuses: an event is a fact already recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from domain import events as ev
from domain.keyed import Keyed
from domain.state import (
    AppealState,
    AssessmentState,
    AttachmentState,
    BatchState,
    CaseState,
    ComplaintState,
    DecisionState,
    FindingState,
    InstitutionState,
    OpinionState,
    PendingScopeChange,
    Rectification,
    SessionState,
    changed,
    officer_key,
    scope_items,
)

K = TypeVar("K")
V = TypeVar("V")
E = TypeVar("E", bound=ev.LedgerEvent)
Handler = Callable[[InstitutionState, Any], InstitutionState]

_HANDLERS: dict[type[ev.LedgerEvent], Handler] = {}


def evolve(state: InstitutionState, event: ev.LedgerEvent) -> InstitutionState:
    # An event class derived from another (an imported filing) is folded as its base.
    handler = next((_HANDLERS[c] for c in type(event).__mro__ if c in _HANDLERS), None)
    if handler is None:
        raise TypeError(f"an institution has no handler for {type(event).__name__}")
    return handler(state, event)


def institution_events() -> tuple[type[ev.LedgerEvent], ...]:
    """Every event class an institution's history holds (subclasses included)."""
    return tuple(_HANDLERS)


def fold(
    events: Iterable[ev.LedgerEvent], state: InstitutionState | None = None
) -> InstitutionState:
    """The state after ``events``, from ``state`` or from an empty file."""
    current = state if state is not None else InstitutionState()
    for event in events:
        current = evolve(current, event)
    return current


def _on(
    event_class: type[E],
) -> Callable[[Callable[[InstitutionState, E], InstitutionState]], Handler]:
    def register(handler: Callable[[InstitutionState, E], InstitutionState]) -> Handler:
        _HANDLERS[event_class] = handler
        return handler

    return register


def _put(mapping: Keyed[K, V], key: K, value: V) -> Keyed[K, V]:
    return mapping.set(key, value)


def _without(items: tuple[str, ...], item: str) -> tuple[str, ...]:
    return tuple(i for i in items if i != item)


# --- filing -----------------------------------------------------------------------------


def _take_application(
    state: InstitutionState, e: ev.FilingSubmitted | ev.FilingResubmitted
) -> InstitutionState:
    return changed(
        state,
        name=e.name,
        kind=e.kind,
        district=e.district,
        address=e.address,
        scope=scope_items(e.scope),
        test_sites=tuple(e.test_sites),
        legal_representative=e.legal_representative,
        contact={"name": e.contact["name"], "phone": e.contact["phone"]},
        status="submitted",
        submitted_on=e.occurred_on,
        renewal_requested_on=None,
        pending_scope_change=None,
    )


@_on(ev.FilingSubmitted)
def _submitted(state: InstitutionState, e: ev.FilingSubmitted) -> InstitutionState:
    state = changed(
        state,
        credit_code=e.credit_code,
        jurisdiction=e.jurisdiction,
        receipt_number=None,
        valid_from=None,
        valid_until=None,
        approvals=0,
        evaluations_reported=0,
    )
    return _take_application(state, e)


@_on(ev.FilingResubmitted)
def _resubmitted(state: InstitutionState, e: ev.FilingResubmitted) -> InstitutionState:
    return _take_application(state, e)


@_on(ev.FilingApproved)
def _approved(state: InstitutionState, e: ev.FilingApproved) -> InstitutionState:
    return changed(
        state,
        status="active",
        receipt_number=e.receipt_number,
        valid_from=e.valid_from,
        valid_until=e.valid_until,
        approvals=state.approvals + 1,
    )


@_on(ev.FilingRejected)
def _rejected(state: InstitutionState, e: ev.FilingRejected) -> InstitutionState:
    return changed(state, status="rejected")


@_on(ev.FilingCancelled)
def _cancelled(state: InstitutionState, e: ev.FilingCancelled) -> InstitutionState:
    return changed(state, status="cancelled", pending_scope_change=None, renewal_requested_on=None)


@_on(ev.DetailsChanged)
def _details_changed(state: InstitutionState, e: ev.DetailsChanged) -> InstitutionState:
    changes: dict[str, Any] = {
        k: dict(v) if isinstance(v, Mapping) else v for k, v in e.changes.items()
    }
    return changed(state, **changes)


@_on(ev.ScopeChangeRequested)
def _scope_change_requested(
    state: InstitutionState, e: ev.ScopeChangeRequested
) -> InstitutionState:
    pending = PendingScopeChange(
        change_id=e.change_id,
        scope=scope_items(e.scope),
        test_sites=tuple(e.test_sites),
        requested_on=e.occurred_on,
        reason=e.reason,
    )
    return changed(state, pending_scope_change=pending)


@_on(ev.ScopeChangeApproved)
def _scope_change_approved(state: InstitutionState, e: ev.ScopeChangeApproved) -> InstitutionState:
    pending = state.pending_scope_change
    assert pending is not None
    return changed(
        state, scope=pending.scope, test_sites=pending.test_sites, pending_scope_change=None
    )


@_on(ev.ScopeChangeRejected)
def _scope_change_rejected(state: InstitutionState, e: ev.ScopeChangeRejected) -> InstitutionState:
    return changed(state, pending_scope_change=None)


@_on(ev.RenewalRequested)
def _renewal_requested(state: InstitutionState, e: ev.RenewalRequested) -> InstitutionState:
    return changed(state, renewal_requested_on=e.occurred_on)


@_on(ev.RenewalApproved)
def _renewal_approved(state: InstitutionState, e: ev.RenewalApproved) -> InstitutionState:
    return changed(state, valid_until=e.valid_until, renewal_requested_on=None, status="active")


@_on(ev.RenewalRejected)
def _renewal_rejected(state: InstitutionState, e: ev.RenewalRejected) -> InstitutionState:
    return changed(state, renewal_requested_on=None)


@_on(ev.FilingExpired)
def _expired(state: InstitutionState, e: ev.FilingExpired) -> InstitutionState:
    return changed(state, status="expired")


@_on(ev.FilingLapsed)
def _lapsed(state: InstitutionState, e: ev.FilingLapsed) -> InstitutionState:
    return changed(state, status="lapsed", pending_scope_change=None)


# --- findings, batches, complaints, annual assessments ---------------------------------


@_on(ev.FindingRecorded)
def _finding_recorded(state: InstitutionState, e: ev.FindingRecorded) -> InstitutionState:
    finding = FindingState(e.rule_id, e.severity, e.occurred_on, e.source)
    return changed(state, findings=_put(state.findings, e.finding_id, finding))


@_on(ev.FindingDismissed)
def _finding_dismissed(state: InstitutionState, e: ev.FindingDismissed) -> InstitutionState:
    finding = changed(state.findings[e.finding_id], dismissed=True)
    return changed(state, findings=_put(state.findings, e.finding_id, finding))


@_on(ev.EvaluationReported)
def _evaluation_reported(state: InstitutionState, e: ev.EvaluationReported) -> InstitutionState:
    last = state.last_evaluated_on
    return changed(
        state,
        batches=_put(state.batches, e.batch_id, BatchState(e.occurred_on, len(e.flags))),
        evaluations_reported=state.evaluations_reported + 1,
        last_evaluated_on=e.occurred_on if last is None or e.occurred_on > last else last,
    )


@_on(ev.BatchFlagged)
def _batch_flagged(state: InstitutionState, e: ev.BatchFlagged) -> InstitutionState:
    batch = state.batches.get(e.batch_id)
    if batch is None:
        return state
    return changed(
        state, batches=_put(state.batches, e.batch_id, changed(batch, flags=batch.flags + 1))
    )


@_on(ev.SanctionImported)
def _sanction_imported(state: InstitutionState, e: ev.SanctionImported) -> InstitutionState:
    """An earlier sanction changes nothing else the file holds now: its effects ended before
    the register was brought in; the history (``domain/history.py``) keeps it for the rules."""
    return changed(state, imported_sanctions=(*state.imported_sanctions, e.sanction_id))


@_on(ev.ComplaintReceived)
def _complaint_received(state: InstitutionState, e: ev.ComplaintReceived) -> InstitutionState:
    complaint = ComplaintState(e.occurred_on)
    return changed(state, complaints=_put(state.complaints, e.complaint_id, complaint))


@_on(ev.ComplaintVerified)
def _complaint_verified(state: InstitutionState, e: ev.ComplaintVerified) -> InstitutionState:
    complaint = changed(state.complaints[e.complaint_id], substantiated=e.substantiated)
    return changed(state, complaints=_put(state.complaints, e.complaint_id, complaint))


@_on(ev.AnnualAssessmentRecorded)
def _assessment_recorded(
    state: InstitutionState, e: ev.AnnualAssessmentRecorded
) -> InstitutionState:
    assessment = AssessmentState(e.year, e.passed, e.grade, e.occurred_on)
    return changed(
        state, annual_assessments=_put(state.annual_assessments, e.assessment_id, assessment)
    )


# --- cases and due process --------------------------------------------------------------


def _with_case(state: InstitutionState, case_id: str, **changes: Any) -> InstitutionState:
    case = changed(state.cases[case_id], **changes)
    return changed(state, cases=_put(state.cases, case_id, case))


@_on(ev.CaseOpened)
def _case_opened(state: InstitutionState, e: ev.CaseOpened) -> InstitutionState:
    case = CaseState(tuple(e.finding_ids), "opened", e.occurred_on)
    opened = {fid: changed(state.findings[fid], case_id=e.case_id) for fid in e.finding_ids}
    return changed(
        state, cases=_put(state.cases, e.case_id, case), findings=state.findings.updated(opened)
    )


@_on(ev.NoticeIssued)
def _notice_issued(state: InstitutionState, e: ev.NoticeIssued) -> InstitutionState:
    return _with_case(
        state,
        e.case_id,
        step="noticed",
        noticed_on=e.occurred_on,
        defence_deadline=e.defence_deadline,
        intended_level=e.intended_level,
    )


@_on(ev.DefenceSubmitted)
def _defence_submitted(state: InstitutionState, e: ev.DefenceSubmitted) -> InstitutionState:
    return _with_case(state, e.case_id, defences=state.cases[e.case_id].defences + 1)


@_on(ev.DefenceWaived)
def _defence_waived(state: InstitutionState, e: ev.DefenceWaived) -> InstitutionState:
    return _with_case(state, e.case_id, waived=True)


@_on(ev.CaseDecided)
def _case_decided(state: InstitutionState, e: ev.CaseDecided) -> InstitutionState:
    state = _with_case(state, e.case_id, step="decided", decision_id=e.decision_id)
    findings = state.findings.updated(
        {
            fid: changed(state.findings[fid], decided=True)
            for fid in state.cases[e.case_id].finding_ids
        }
    )
    decision = DecisionState(
        case_id=e.case_id,
        level=e.level,
        actions=tuple(e.actions),
        articles=tuple(e.articles),
        decided_on=e.occurred_on,
        rectification_days=e.rectification_days,
        ban_years=e.ban_years,
        ban_indefinite=e.ban_indefinite,
        below_requirement=e.below_requirement,
    )
    return changed(
        state, findings=findings, decisions=_put(state.decisions, e.decision_id, decision)
    )


# --- service and the effects that follow ------------------------------------------------


def _with_decision(state: InstitutionState, decision_id: str, **changes: Any) -> InstitutionState:
    decision = changed(state.decisions[decision_id], **changes)
    return changed(state, decisions=_put(state.decisions, decision_id, decision))


def _with_rectification(
    current: InstitutionState, decision_id: str, **changes: Any
) -> InstitutionState:
    rect = current.decisions[decision_id].rectification
    assert rect is not None
    return _with_decision(current, decision_id, rectification=changed(rect, **changes))


@_on(ev.DecisionServed)
def _served(state: InstitutionState, e: ev.DecisionServed) -> InstitutionState:
    state = _with_case(state, e.case_id, step="served")
    return _with_decision(state, e.decision_id, served_on=e.occurred_on)


@_on(ev.ResultsVoided)
def _results_voided(state: InstitutionState, e: ev.ResultsVoided) -> InstitutionState:
    return _void_batch(state, e.batch_id, e.decision_id)


def _void_batch(state: InstitutionState, batch_id: str, by: str) -> InstitutionState:
    batch = state.batches.get(batch_id)
    if batch is None:
        return state
    return changed(state, batches=_put(state.batches, batch_id, changed(batch, voided_by=by)))


@_on(ev.RectificationOrdered)
def _rectification_ordered(state: InstitutionState, e: ev.RectificationOrdered) -> InstitutionState:
    state = _with_decision(state, e.decision_id, rectification=Rectification(e.deadline, "ordered"))
    if e.decision_id in state.suspensions:
        return state
    return changed(state, suspensions=(*state.suspensions, e.decision_id))


@_on(ev.FilingRevoked)
def _revoked(state: InstitutionState, e: ev.FilingRevoked) -> InstitutionState:
    return changed(
        state,
        status_before_revocation=state.status,
        status="revoked",
        ban_until=e.ban_until,
        ban_indefinite=e.ban_indefinite,
        ban_decision=e.decision_id,
    )


@_on(ev.InterviewHeld)
def _interview_held(state: InstitutionState, e: ev.InterviewHeld) -> InstitutionState:
    return _with_decision(state, e.decision_id, interview_held=True)


@_on(ev.RectificationReportSubmitted)
def _rectification_reported(
    state: InstitutionState, e: ev.RectificationReportSubmitted
) -> InstitutionState:
    rect = state.decisions[e.decision_id].rectification
    assert rect is not None
    new_state = "reported" if rect.state == "ordered" else rect.state
    return _with_rectification(state, e.decision_id, reports=rect.reports + 1, state=new_state)


@_on(ev.AttachmentsSubmitted)
def _attachments_submitted(state: InstitutionState, e: ev.AttachmentsSubmitted) -> InstitutionState:
    added = tuple(
        AttachmentState(
            a["sha256"], a["name"], a["size"], a["media_type"], e.decision_id, e.occurred_on
        )
        for a in e.attachments
    )
    return changed(state, attachments=state.attachments + added)


@_on(ev.RectificationAccepted)
def _rectification_accepted(
    state: InstitutionState, e: ev.RectificationAccepted
) -> InstitutionState:
    state = _with_rectification(state, e.decision_id, state="accepted")
    return changed(state, suspensions=_without(state.suspensions, e.decision_id))


@_on(ev.RectificationOverdue)
def _rectification_overdue(state: InstitutionState, e: ev.RectificationOverdue) -> InstitutionState:
    return _with_rectification(state, e.decision_id, state="overdue")


# --- appeals ----------------------------------------------------------------------------


@_on(ev.AppealFiled)
def _appeal_filed(state: InstitutionState, e: ev.AppealFiled) -> InstitutionState:
    appeal = AppealState(e.decision_id, e.kind, e.occurred_on)
    return changed(state, appeals=_put(state.appeals, e.appeal_id, appeal))


@_on(ev.AppealDecided)
def _appeal_decided(state: InstitutionState, e: ev.AppealDecided) -> InstitutionState:
    appeal = changed(state.appeals[e.appeal_id], outcome=e.outcome)
    state = changed(state, appeals=_put(state.appeals, e.appeal_id, appeal))
    if e.outcome == "upheld":
        return state
    return _compensate(state, e)


def _compensate(state: InstitutionState, e: ev.AppealDecided) -> InstitutionState:
    """The old decision's effects stop applying; nothing recorded is deleted."""
    state = changed(state, suspensions=_without(state.suspensions, e.decision_id))
    if state.decisions[e.decision_id].rectification is not None:
        state = _with_rectification(state, e.decision_id, state="lifted")
    if state.ban_decision == e.decision_id:
        state = changed(
            state,
            status=state.status_before_revocation or "active",
            ban_until=None,
            ban_indefinite=False,
            ban_decision=None,
        )
    if e.outcome == "annulled":
        return _with_decision(state, e.decision_id, rescinded=True)
    return _with_decision(
        state,
        e.decision_id,
        level=e.new_level,
        actions=tuple(e.new_actions),
        rectification=None,
        interview_held=False,
    )


# --- on-site sessions and opinion letters -----------------------------------------------


@_on(ev.EvaluationPaused)
def _paused(state: InstitutionState, e: ev.EvaluationPaused) -> InstitutionState:
    session = SessionState("paused", e.occurred_on)
    return changed(state, sessions=_put(state.sessions, e.session_id, session))


@_on(ev.EvaluationResumed)
def _resumed(state: InstitutionState, e: ev.EvaluationResumed) -> InstitutionState:
    session = changed(state.sessions[e.session_id], state="resumed")
    return changed(state, sessions=_put(state.sessions, e.session_id, session))


@_on(ev.EvaluationStopped)
def _stopped(state: InstitutionState, e: ev.EvaluationStopped) -> InstitutionState:
    session = changed(state.sessions[e.session_id], state="stopped")
    state = changed(state, sessions=_put(state.sessions, e.session_id, session))
    return _void_batch(state, e.batch_id, f"stopped:{e.session_id}")


def _with_opinion(
    state: InstitutionState, visit_id: str, opinion: OpinionState
) -> InstitutionState:
    return changed(state, opinions=_put(state.opinions, visit_id, opinion))


@_on(ev.SupervisionOpinionIssued)
def _opinion_issued(state: InstitutionState, e: ev.SupervisionOpinionIssued) -> InstitutionState:
    return _with_opinion(state, e.visit_id, OpinionState(e.report_due, "awaiting_report"))


@_on(ev.SupervisionReportSubmitted)
def _opinion_reported(
    state: InstitutionState, e: ev.SupervisionReportSubmitted
) -> InstitutionState:
    return _with_opinion(state, e.visit_id, changed(state.opinions[e.visit_id], state="reported"))


@_on(ev.SupervisionReportOverdue)
def _opinion_overdue(state: InstitutionState, e: ev.SupervisionReportOverdue) -> InstitutionState:
    return _with_opinion(state, e.visit_id, changed(state.opinions[e.visit_id], state="overdue"))


# --- officers ---------------------------------------------------------------------------


@_on(ev.OfficerAssigned)
def _officer_assigned(state: InstitutionState, e: ev.OfficerAssigned) -> InstitutionState:
    key = officer_key(e.item_kind, e.item_id)
    return changed(state, officers=_put(state.officers, key, e.officer))


@_on(ev.OfficerReassigned)
def _officer_reassigned(state: InstitutionState, e: ev.OfficerReassigned) -> InstitutionState:
    key = officer_key(e.item_kind, e.item_id)
    return changed(state, officers=_put(state.officers, key, e.to_officer))
