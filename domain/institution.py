"""The Institution aggregate: one evaluation institution's file in one jurisdiction.

The id is derived from (jurisdiction, credit code), so one credit code has one record per
jurisdiction whatever happens to its filings; a new application after a rejection,
cancellation or lapse continues the same history, which is what escalation needs.

The file is one event stream, because its rules span all of it (a ban from a revocation
stops a re-filing; a rectification suspends evaluation). The aggregate only records and
folds: each command asks a decider (``domain.deciders``) what to record over the frozen
``state`` and records what it returns; ``when`` folds each event with
``domain.evolve.evolve``. The read attributes below are the state's, in the shapes the
file has always shown (records as dicts, sequences as lists), copied on every read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Generic, TypeVar, overload
from uuid import UUID

from domain.base import LedgerAggregate, Stamp
from domain.deciders import appeals, cases, effects, filing, onsite, register
from domain.deciders import evidence as _evidence
from domain.deciders import officers as _officers
from domain.deciders import opinions as _opinions
from domain.deciders.common import NewEvent
from domain.deciders.filing import (
    CHANGEABLE_DETAILS,
    KINDS,
    OCCUPATION_CODE,
    FilingApplication,
    normalise_scope,
    validate_scope,
)
from domain.events import Attachment, LedgerCreated, LedgerEvent, ScopeLine
from domain.evolve import evolve
from domain.rulebook import Rulebook
from domain.state import (
    INSTITUTION_NAMESPACE,
    OPEN_STATUSES,
    InstitutionState,
    Status,
    institution_id,
    plain,
    plain_records,
    state_from_plain,
)

__all__ = [
    "CHANGEABLE_DETAILS",
    "INSTITUTION_NAMESPACE",
    "KINDS",
    "OCCUPATION_CODE",
    "OPEN_STATUSES",
    "FilingApplication",
    "Institution",
    "Status",
    "institution_id",
    "normalise_scope",
    "validate_scope",
]

C = TypeVar("C")
T = TypeVar("T")


class _read(Generic[T]):  # noqa: N801 - used like ``property``
    """A read-only attribute computed from the aggregate's state."""

    def __init__(self, read: Callable[[InstitutionState], T]) -> None:
        self.read = read

    @overload
    def __get__(self, aggregate: None, owner: type[Institution]) -> _read[T]: ...
    @overload
    def __get__(self, aggregate: Institution, owner: type[Institution] | None = None) -> T: ...
    def __get__(
        self, aggregate: Institution | None, owner: type[Institution] | None = None
    ) -> T | _read[T]:
        return self if aggregate is None else self.read(aggregate.state)


def _pending_scope_change(state: InstitutionState) -> dict[str, Any] | None:
    pending: dict[str, Any] | None = plain(state.pending_scope_change)
    return pending


class Institution(LedgerAggregate):
    #: 2: the attributes are one ``state`` (snapshots before it stored them one by one).
    class_version = 2

    def __init__(self) -> None:
        super().__init__()
        self.state = InstitutionState()

    def when(self, event: LedgerEvent) -> None:
        self.chain_head = event.chain_hash
        self.state = evolve(self.state, event)

    @classmethod
    def with_state(cls, iid: UUID, version: int, state: InstitutionState) -> Institution:
        """The institution ``iid`` at ``version`` holding ``state``, made as a snapshot
        makes it, without its events (for what is read of its state alone; its chain head
        is not known and it records nothing)."""
        inst = object.__new__(cls)
        object.__setattr__(
            inst,
            "__dict__",
            {"_id": iid, "_version": version, "_pending_events": [], "state": state},
        )
        return inst

    @staticmethod
    def upcast_v1_v2(attrs: dict[str, Any]) -> None:
        """A snapshot of the attributes one by one becomes a snapshot of the state."""
        state = state_from_plain(attrs)
        kept: dict[str, Any] = {
            k: attrs[k] for k in ("_created_on", "_modified_on", "chain_head") if k in attrs
        }
        attrs.clear()
        attrs.update(kept, state=state)

    def _decide(
        self,
        decider: Callable[[InstitutionState, C], Sequence[NewEvent]],
        command: C,
        stamp: Stamp,
    ) -> list[str]:
        """Record what ``decider`` decides over the current state; the names recorded."""
        decided = decider(self.state, command)
        for event in decided:
            self._record(event.type, stamp=stamp, occurred_on=event.occurred_on, **event.fields)
        return [event.name for event in decided]

    # --- filing ---------------------------------------------------------------------------

    @classmethod
    def submit(cls, application: FilingApplication, on: date, stamp: Stamp) -> Institution:
        first = filing.submit(filing.Submit(application, on))
        assert issubclass(first.type, LedgerCreated)
        return cls._start(
            first.type,
            id=institution_id(application.jurisdiction, application.credit_code),
            stamp=stamp,
            occurred_on=first.occurred_on,
            **first.fields,
        )

    @classmethod
    def import_filing(cls, command: register.ImportFiling, stamp: Stamp) -> Institution:
        """A filing from the register kept before this system, with its original approval."""
        first = register.submit_imported(command)
        assert issubclass(first.type, LedgerCreated)
        inst = cls._start(
            first.type,
            id=institution_id(command.application.jurisdiction, command.application.credit_code),
            stamp=stamp,
            occurred_on=first.occurred_on,
            **first.fields,
        )
        inst._decide(register.approve_imported, command, stamp)
        return inst

    def import_sanction(self, command: register.ImportSanction, stamp: Stamp) -> None:
        self._decide(register.import_sanction, command, stamp)

    def resubmit(self, application: FilingApplication, on: date, stamp: Stamp) -> None:
        self._decide(filing.resubmit, filing.Resubmit(application, on), stamp)

    def approve(
        self, on: date, stamp: Stamp, rulebook: Rulebook, receipt_number: str | None = None
    ) -> None:
        self._decide(filing.approve, filing.Approve(on, rulebook, receipt_number), stamp)

    def reject(self, on: date, stamp: Stamp, reason: str) -> None:
        self._decide(filing.reject, filing.Reject(on, reason), stamp)

    def cancel(self, on: date, stamp: Stamp, reason: str) -> None:
        self._decide(filing.cancel, filing.Cancel(on, reason), stamp)

    def change_details(self, on: date, stamp: Stamp, changes: dict[str, Any]) -> None:
        self._decide(filing.change_details, filing.ChangeDetails(on, changes), stamp)

    def request_scope_change(
        self,
        on: date,
        stamp: Stamp,
        change_id: str,
        scope: list[ScopeLine],
        test_sites: list[str],
        reason: str,
    ) -> None:
        command = filing.RequestScopeChange(on, change_id, scope, test_sites, reason)
        self._decide(filing.request_scope_change, command, stamp)

    def approve_scope_change(
        self, on: date, stamp: Stamp, change_id: str, rulebook: Rulebook
    ) -> None:
        command = filing.ApproveScopeChange(on, change_id, rulebook)
        self._decide(filing.approve_scope_change, command, stamp)

    def reject_scope_change(self, on: date, stamp: Stamp, change_id: str, reason: str) -> None:
        command = filing.RejectScopeChange(on, change_id, reason)
        self._decide(filing.reject_scope_change, command, stamp)

    def renewal_window(self, rulebook: Rulebook) -> tuple[date, date, date]:
        """(window opens, last valid day, lapse date) of the current validity."""
        return filing.renewal_window(self.state, rulebook)

    def request_renewal(self, on: date, stamp: Stamp, rulebook: Rulebook) -> None:
        self._decide(filing.request_renewal, filing.RequestRenewal(on, rulebook), stamp)

    def approve_renewal(self, on: date, stamp: Stamp, rulebook: Rulebook) -> None:
        self._decide(filing.approve_renewal, filing.ApproveRenewal(on, rulebook), stamp)

    def reject_renewal(self, on: date, stamp: Stamp, reason: str) -> None:
        self._decide(filing.reject_renewal, filing.RejectRenewal(on, reason), stamp)

    def advance_to(self, today: date, stamp: Stamp, rulebook: Rulebook) -> list[str]:
        """Record the expiry and lapse that are due by ``today``; names of events recorded."""
        return self._decide(filing.advance_to, filing.AdvanceTo(today, rulebook), stamp)

    # --- findings, batches, complaints, annual assessment ----------------------------------

    def record_finding(
        self,
        on: date,
        stamp: Stamp,
        *,
        finding_id: str,
        rule_id: str,
        severity: str,
        source: str,
        reference: str,
        facts: str,
        evidence: list[dict[str, str]],
        assessment: dict[str, Any],
    ) -> None:
        command = _evidence.RecordFinding(
            on, finding_id, rule_id, severity, source, reference, facts, evidence, assessment
        )
        self._decide(_evidence.record_finding, command, stamp)

    def dismiss_finding(self, on: date, stamp: Stamp, finding_id: str, reason: str) -> None:
        command = _evidence.DismissFinding(on, finding_id, reason)
        self._decide(_evidence.dismiss_finding, command, stamp)

    def report_evaluation(
        self,
        on: date,
        stamp: Stamp,
        *,
        batch_id: str,
        occupation: str,
        level: int,
        site: str,
        territory: str,
        candidates: int,
        unqualified_candidates: int,
        passed: int,
        paper_set_id: str,
        flags: list[dict[str, str]],
        notes: tuple[dict[str, str], ...] = (),
    ) -> None:
        command = _evidence.ReportEvaluation(
            on,
            batch_id=batch_id,
            occupation=occupation,
            level=level,
            site=site,
            territory=territory,
            candidates=candidates,
            unqualified_candidates=unqualified_candidates,
            passed=passed,
            paper_set_id=paper_set_id,
            flags=flags,
            notes=notes,
        )
        self._decide(_evidence.report_evaluation, command, stamp)

    def receive_complaint(
        self, on: date, stamp: Stamp, complaint_id: str, channel: str, summary: str, reference: str
    ) -> None:
        command = _evidence.ReceiveComplaint(on, complaint_id, channel, summary, reference)
        self._decide(_evidence.receive_complaint, command, stamp)

    def verify_complaint(
        self, on: date, stamp: Stamp, complaint_id: str, substantiated: bool, reason: str
    ) -> None:
        command = _evidence.VerifyComplaint(on, complaint_id, substantiated, reason)
        self._decide(_evidence.verify_complaint, command, stamp)

    def record_annual_assessment(
        self,
        on: date,
        stamp: Stamp,
        *,
        assessment_id: str,
        year: int,
        assessing_body: str,
        passed: bool,
        grade: str,
        scores: dict[str, float],
        remarks: str,
        dimensions: tuple[str, ...],
        published: bool = False,
        articles: tuple[str, ...] = (),
    ) -> None:
        command = _evidence.RecordAnnualAssessment(
            on,
            assessment_id=assessment_id,
            year=year,
            assessing_body=assessing_body,
            passed=passed,
            grade=grade,
            scores=scores,
            remarks=remarks,
            dimensions=dimensions,
            published=published,
            articles=articles,
        )
        self._decide(_evidence.record_annual_assessment, command, stamp)

    # --- cases and due process ------------------------------------------------------------

    def open_case(self, on: date, stamp: Stamp, case_id: str, finding_ids: list[str]) -> None:
        self._decide(cases.open_case, cases.OpenCase(on, case_id, finding_ids), stamp)

    def issue_notice(
        self,
        on: date,
        stamp: Stamp,
        *,
        case_id: str,
        intended_level: int,
        intended_actions: list[str],
        facts: str,
        reasons: str,
        legal_basis: list[str],
        defence_deadline: date,
        requirement: dict[str, Any],
    ) -> None:
        command = cases.IssueNotice(
            on,
            case_id=case_id,
            intended_level=intended_level,
            intended_actions=intended_actions,
            facts=facts,
            reasons=reasons,
            legal_basis=legal_basis,
            defence_deadline=defence_deadline,
            requirement=requirement,
        )
        self._decide(cases.issue_notice, command, stamp)

    def submit_defence(
        self, on: date, stamp: Stamp, case_id: str, statement: str, evidence: list[dict[str, str]]
    ) -> None:
        command = cases.SubmitDefence(on, case_id, statement, evidence)
        self._decide(cases.submit_defence, command, stamp)

    def waive_defence(self, on: date, stamp: Stamp, case_id: str) -> None:
        self._decide(cases.waive_defence, cases.WaiveDefence(on, case_id), stamp)

    def decide(
        self,
        on: date,
        stamp: Stamp,
        *,
        case_id: str,
        decision_id: str,
        level: int,
        actions: list[str],
        articles: list[str],
        reasons: str,
        deciding_body: str,
        requirement: dict[str, Any],
        below_reason: str,
        rectification_days: int | None,
        ban_years: int | None,
        ban_indefinite: bool,
        revocation_authority: str,
        revocation_article: str | None,
        due_process_articles: list[str],
    ) -> None:
        command = cases.DecideCase(
            on,
            case_id=case_id,
            decision_id=decision_id,
            level=level,
            actions=actions,
            articles=articles,
            reasons=reasons,
            deciding_body=deciding_body,
            requirement=requirement,
            below_reason=below_reason,
            rectification_days=rectification_days,
            ban_years=ban_years,
            ban_indefinite=ban_indefinite,
            revocation_authority=revocation_authority,
            revocation_article=revocation_article,
            due_process_articles=due_process_articles,
            known_version=self.version,
        )
        self._decide(cases.decide_case, command, stamp)

    # --- service and its effects ----------------------------------------------------------

    def serve(
        self,
        on: date,
        stamp: Stamp,
        case_id: str,
        *,
        public_announcement: bool,
        abnormal_activity_list: bool,
        void_batch_ids: list[str],
    ) -> None:
        """Serve the decision and apply its effects (suspension, revocation, voiding)."""
        command = effects.Serve(
            on, case_id, public_announcement, abnormal_activity_list, void_batch_ids
        )
        self._decide(effects.serve, command, stamp)

    def hold_interview(
        self, on: date, stamp: Stamp, decision_id: str, attendees: list[str], pledge: str
    ) -> None:
        command = effects.HoldInterview(on, decision_id, attendees, pledge)
        self._decide(effects.hold_interview, command, stamp)

    def submit_rectification_report(
        self,
        on: date,
        stamp: Stamp,
        decision_id: str,
        report: str,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        command = effects.SubmitRectificationReport(on, decision_id, report, tuple(attachments))
        self._decide(effects.submit_rectification_report, command, stamp)

    def accept_rectification(self, on: date, stamp: Stamp, decision_id: str, remarks: str) -> None:
        command = effects.AcceptRectification(on, decision_id, remarks)
        self._decide(effects.accept_rectification, command, stamp)

    def overdue_rectifications(self, today: date) -> list[tuple[str, date]]:
        """(decision id, deadline) of rectifications past their deadline and not yet marked."""
        return effects.overdue_rectifications(self.state, today)

    def mark_rectification_overdue(self, stamp: Stamp, decision_id: str, deadline: date) -> None:
        command = effects.MarkRectificationOverdue(decision_id, deadline)
        self._decide(effects.mark_rectification_overdue, command, stamp)

    # --- appeals --------------------------------------------------------------------------

    def file_appeal(
        self, on: date, stamp: Stamp, appeal_id: str, decision_id: str, kind: str, grounds: str
    ) -> None:
        command = appeals.FileAppeal(on, appeal_id, decision_id, kind, grounds)
        self._decide(appeals.file_appeal, command, stamp)

    def decide_appeal(
        self,
        on: date,
        stamp: Stamp,
        *,
        appeal_id: str,
        outcome: str,
        new_level: int | None,
        new_actions: list[str],
        reasons: str,
    ) -> None:
        command = appeals.DecideAppeal(on, appeal_id, outcome, new_level, new_actions, reasons)
        self._decide(appeals.decide_appeal, command, stamp)

    # --- on-site supervision (hunan-2023/17.3) and opinion letters ------------------------

    def pause_evaluation(
        self,
        on: date,
        stamp: Stamp,
        session_id: str,
        supervisor: str,
        problem: str,
        assignment_id: str = "",
    ) -> None:
        command = onsite.PauseEvaluation(on, session_id, supervisor, problem, assignment_id)
        self._decide(onsite.pause_evaluation, command, stamp)

    def resume_evaluation(self, on: date, stamp: Stamp, session_id: str, correction: str) -> None:
        command = onsite.ResumeEvaluation(on, session_id, correction)
        self._decide(onsite.resume_evaluation, command, stamp)

    def stop_evaluation(
        self, on: date, stamp: Stamp, session_id: str, reason: str, batch_id: str
    ) -> None:
        command = onsite.StopEvaluation(on, session_id, reason, batch_id)
        self._decide(onsite.stop_evaluation, command, stamp)

    def issue_opinion(
        self,
        on: date,
        stamp: Stamp,
        visit_id: str,
        opinions: list[str],
        report_due: date,
        articles: list[str],
    ) -> None:
        command = _opinions.IssueOpinion(on, visit_id, opinions, report_due, articles)
        self._decide(_opinions.issue_opinion, command, stamp)

    def submit_opinion_report(self, on: date, stamp: Stamp, visit_id: str, report: str) -> None:
        command = _opinions.SubmitOpinionReport(on, visit_id, report)
        self._decide(_opinions.submit_opinion_report, command, stamp)

    def overdue_opinion_reports(self, today: date) -> list[tuple[str, date]]:
        return _opinions.overdue_opinion_reports(self.state, today)

    def mark_opinion_report_overdue(self, stamp: Stamp, visit_id: str, due: date) -> None:
        command = _opinions.MarkOpinionReportOverdue(visit_id, due)
        self._decide(_opinions.mark_opinion_report_overdue, command, stamp)

    # --- officers -------------------------------------------------------------------------

    def assign_officer(
        self, on: date, stamp: Stamp, item_kind: str, item_id: str, officer: str, reason: str
    ) -> list[str]:
        command = _officers.AssignOfficer(on, item_kind, item_id, officer, reason)
        return self._decide(_officers.assign_officer, command, stamp)

    # --- reading --------------------------------------------------------------------------

    def case(self, case_id: str) -> dict[str, Any]:
        result: dict[str, Any] = plain(cases.case_of(self.state, case_id))
        return result

    def decision(self, decision_id: str) -> dict[str, Any]:
        result: dict[str, Any] = plain(cases.decision_of(self.state, decision_id))
        return result

    def holds_scope(self) -> bool:
        """Whether this record occupies places under the filing caps."""
        return self.state.holds_scope()

    def banned_on(self, day: date) -> bool:
        return self.state.banned_on(day)

    # The state's values, in the file's shapes.
    suspended = _read(lambda s: s.suspended)
    credit_code = _read(lambda s: s.credit_code)
    name = _read(lambda s: s.name)
    kind = _read(lambda s: s.kind)
    jurisdiction = _read(lambda s: s.jurisdiction)
    district = _read(lambda s: s.district)
    address = _read(lambda s: s.address)
    scope = _read(lambda s: s.scope_lines())
    test_sites = _read(lambda s: list(s.test_sites))
    legal_representative = _read(lambda s: s.legal_representative)
    contact = _read(lambda s: s.contact_details())
    status = _read(lambda s: s.status)
    submitted_on = _read(lambda s: s.submitted_on)
    receipt_number = _read(lambda s: s.receipt_number)
    valid_from = _read(lambda s: s.valid_from)
    valid_until = _read(lambda s: s.valid_until)
    approvals = _read(lambda s: s.approvals)
    renewal_requested_on = _read(lambda s: s.renewal_requested_on)
    pending_scope_change = _read(_pending_scope_change)
    evaluations_reported = _read(lambda s: s.evaluations_reported)
    last_evaluated_on = _read(lambda s: s.last_evaluated_on)
    findings = _read(lambda s: plain_records(s.findings))
    complaints = _read(lambda s: plain_records(s.complaints))
    batches = _read(lambda s: plain_records(s.batches))
    annual_assessments = _read(lambda s: plain_records(s.annual_assessments))
    cases = _read(lambda s: plain_records(s.cases))
    decisions = _read(lambda s: plain_records(s.decisions))
    appeals = _read(lambda s: plain_records(s.appeals))
    sessions = _read(lambda s: plain_records(s.sessions))
    opinions = _read(lambda s: plain_records(s.opinions))
    suspensions = _read(lambda s: list(s.suspensions))
    ban_until = _read(lambda s: s.ban_until)
    ban_indefinite = _read(lambda s: s.ban_indefinite)
    ban_decision = _read(lambda s: s.ban_decision)
    status_before_revocation = _read(lambda s: s.status_before_revocation)
