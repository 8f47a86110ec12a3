"""Given / when / then: a history → a command → the events it records, or its refusal.

One harness for the domain tests, with no aggregate and no store:

    given(filed("hunan-2023"), finding("25.1", on="2024-03-01"), ...)   # facts
        .when(filing.request_renewal, RequestRenewal(...))                # or .when(step)
        .then("RenewalRequested", late=False)                             # names, last's fields
        .then_refused(RuleRefusal, article="chengdu-2024/14", field="occurred_on")
        .then_requires(level=2, grounds=["hunan-2023/26.1"], evidence=["interview_held"])

A fact is a recorded event (a ``NewEvent``, as a decider returns it) or a step, a function
of the ``Ledger`` (``filed``, ``finding``, ``decided``… below, or the ledger's own methods).
``Ledger`` is one institution's file recorded through the deciders: each event gets its
version, both clocks and its chain link as the aggregate would give it, and is folded with
``evolve``, so ``History``, the engine and the deciders read it as they read a real file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar, cast

import pytest

from domain.base import LedgerAggregate, Stamp, linked_fields
from domain.chain import GENESIS
from domain.creditcode import make_credit_code
from domain.deciders import appeals, cases, effects, evidence, filing
from domain.deciders.common import NewEvent
from domain.detection import Flag
from domain.errors import DomainError
from domain.escalation import Assessment, Finding, actions_for, assess, combine
from domain.events import FindingRecorded, LedgerEvent
from domain.evolve import evolve
from domain.history import EventRef, History, ref_of
from domain.institution import FilingApplication
from domain.ledger import BASE_FIELDS
from domain.rulebook import Rulebook, default_catalogue
from domain.state import InstitutionState, institution_id, plain

C = TypeVar("C")
S = TypeVar("S")
A = TypeVar("A", bound=LedgerAggregate)
Day = str | date
Step = Callable[["Ledger"], object]
Fact = NewEvent | Step

APPROVED_ON = "2024-03-01"
OCCUPATION = "4-03-02-01"
SITE = "东大街考点"


def stamp(actor: str = "regulator.li", role: str = "regulator", day: str = "2024-03-01") -> Stamp:
    return Stamp(actor, role, "req-test", datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC))


def d(value: Day) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def rulebook(rulebook_id: str) -> Rulebook:
    return default_catalogue().get(rulebook_id)


def application(jurisdiction: str, **overrides: Any) -> FilingApplication:
    values: dict[str, Any] = {
        "credit_code": make_credit_code("91430104MA4L0A2B3"),
        "name": "示范职业技能评价中心",
        "kind": "social_org",
        "jurisdiction": jurisdiction,
        "district": "示范区",
        "address": "示范路1号",
        "scope": [{"occupation": OCCUPATION, "levels": [5, 4, 3]}],
        "test_sites": [SITE],
        "legal_representative": "王某",
        "contact": {"name": "李某", "phone": "000-00000000"},
    }
    values.update(overrides)
    return FilingApplication(**values)


class Ledger:
    """One institution's file, recorded through the deciders; ``rulebook_id`` files it
    (submitted 14 days before ``approved_on``, approved then).

    A test states business dates (``on``); the ledger records each command when it is
    called, so the order of calls is the recording order and ``occurred_on`` is the
    business date. Decisions follow due process (case, notice, waived defence, decision,
    service) on the decision date.
    """

    def __init__(self, rulebook_id: str | None = None, approved_on: Day = APPROVED_ON) -> None:
        self.state = InstitutionState()
        self.events: list[LedgerEvent] = []
        self._rulebook: Rulebook | None = None
        self._recorded = datetime(2000, 1, 1, tzinfo=UTC)
        self._serial = 0
        if rulebook_id is not None:
            self.file(rulebook_id, approved_on)

    @property
    def rulebook(self) -> Rulebook:
        assert self._rulebook is not None, "the file names no rulebook: start with filed(...)"
        return self._rulebook

    def file(self, rulebook_id: str, approved_on: Day = APPROVED_ON, **details: Any) -> None:
        self._rulebook = rulebook(rulebook_id)
        assert self._rulebook.jurisdiction is not None
        approved = d(approved_on)
        submitted = approved - timedelta(days=14)
        filed = application(self._rulebook.jurisdiction, **details)
        self.record([filing.submit(filing.Submit(filed, submitted))])
        self.run(filing.approve, filing.Approve(approved, self._rulebook))

    # --- recording ------------------------------------------------------------------------

    def record(self, decided: Sequence[NewEvent], stamp: Stamp | None = None) -> list[LedgerEvent]:
        """Record ``decided`` as the aggregate would, each with its stamp and chain link."""
        recorded: list[LedgerEvent] = []
        for new in decided:
            by = stamp or self.stamp(new.occurred_on)
            first = not self.events
            event = new.type(
                **linked_fields(
                    new.type,
                    originator_id=self.state.id if not first else _id_of(new),
                    originator_version=len(self.events) + 1,
                    originator_topic="domain.institution:Institution" if first else None,
                    prev_hash=self.events[-1].chain_hash if self.events else GENESIS,
                    stamp=by,
                    occurred_on=new.occurred_on,
                    fields=new.fields,
                )
            )
            self.state = evolve(self.state, event)
            self.events.append(event)
            recorded.append(event)
        return recorded

    def run(
        self,
        decider: Callable[[InstitutionState, C], Sequence[NewEvent]],
        command: C,
        stamp: Stamp | None = None,
    ) -> list[LedgerEvent]:
        """Ask ``decider`` over the current state and record what it decides."""
        return self.record(decider(self.state, command), stamp)

    def stamp(self, on: Day) -> Stamp:
        """Recorded no earlier than the business date, and after everything recorded before."""
        business = datetime.combine(d(on), time(2), tzinfo=UTC)
        self._recorded = max(self._recorded + timedelta(minutes=1), business)
        return Stamp("regulator.li", "regulator", f"req-{self._serial}", self._recorded)

    def next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial}"

    @property
    def last_ref(self) -> EventRef:
        return ref_of(self.events[-1])

    # --- findings, batches, complaints ----------------------------------------------------

    def finding(
        self,
        item: str,
        on: Day,
        *,
        severity: str = "minor",
        source: str = "inspection",
        reference: str = "",
    ) -> str:
        finding_id = self.next_id("F")
        command = evidence.RecordFinding(
            d(on),
            finding_id=finding_id,
            rule_id=self.rulebook.cite(item),
            severity=severity,
            source=source,
            reference=reference or f"inspection {on}",
            facts=f"{item} observed",
            evidence=[],
            assessment={},
        )
        self.run(evidence.record_finding, command)
        return finding_id

    def flagged(self, flag: Flag) -> str:
        """A system flag recorded as a finding, as the application records it."""
        return self.finding(
            flag.rule_id.partition("/")[2],
            flag.occurred_on,
            source="system",
            reference=flag.reference,
        )

    def batch(
        self,
        on: Day,
        *,
        paper_set: str = "P-1",
        candidates: int = 100,
        unqualified: int = 0,
        batch_id: str | None = None,
    ) -> str:
        batch_id = batch_id or self.next_id("B")
        command = evidence.ReportEvaluation(
            d(on),
            batch_id=batch_id,
            occupation=OCCUPATION,
            level=4,
            site=SITE,
            territory=self.state.jurisdiction,
            candidates=candidates,
            unqualified_candidates=unqualified,
            passed=candidates - unqualified,
            paper_set_id=paper_set,
            flags=[],
        )
        self.run(evidence.report_evaluation, command)
        return batch_id

    def complaint(self, lodged_on: Day) -> str:
        complaint_id = self.next_id("CP")
        command = evidence.ReceiveComplaint(d(lodged_on), complaint_id, "12333", "投诉内容", "来信")
        self.run(evidence.receive_complaint, command)
        return complaint_id

    def verify(self, complaint_id: str, on: Day, *, substantiated: bool = True) -> None:
        command = evidence.VerifyComplaint(d(on), complaint_id, substantiated, "核查结论")
        self.run(evidence.verify_complaint, command)

    # --- due process and effects ----------------------------------------------------------

    def requirement(self, finding_ids: list[str], as_of: Day) -> dict[str, Any]:
        combined = combine([self.assess(fid, as_of) for fid in finding_ids])
        assert combined is not None
        return combined

    def decide(
        self,
        finding_ids: str | list[str],
        on: Day,
        *,
        under: str | None = None,
        served_on: Day | None = None,
        rectification_days: int = 30,
    ) -> str:
        """Open a case and decide it: at the level the rules require, or ``under`` an item."""
        ids = [finding_ids] if isinstance(finding_ids, str) else list(finding_ids)
        decided = d(on)
        terms = self._terms(ids, decided, under)
        case_id, decision_id = self.next_id("C"), self.next_id("D")
        by = self.stamp(decided)
        self._hear(case_id, ids, decided, terms, by)
        decision = self._decision(case_id, decision_id, terms, decided, rectification_days)
        self.run(cases.decide_case, decision, by)
        served = d(served_on) if served_on is not None else decided
        command = effects.Serve(
            served,
            case_id,
            public_announcement="public_announcement" in terms.actions,
            abnormal_activity_list="abnormal_activity_list" in terms.actions,
            void_batch_ids=[],
        )
        self.run(effects.serve, command)
        return decision_id

    def _terms(self, ids: list[str], decided: date, under: str | None) -> _Terms:
        """What the decision imposes: what the rules require, or what ``under`` says."""
        book = self.rulebook
        requirement = self.requirement(ids, decided)
        if under is None:
            return _Terms(
                int(requirement["level"]),
                tuple(requirement["actions"]),
                requirement["ban_years"],
                [str(requirement["article"])],
                requirement,
            )
        actions, ban_years = actions_for(book.article_of(under).effects)
        return _Terms(book.level_of(under), actions, ban_years, [book.cite(under)], requirement)

    def _hear(self, case_id: str, ids: list[str], on: date, terms: _Terms, by: Stamp) -> None:
        """The case, its notice and the institution's waiver of its defence, all on ``on``."""
        self.run(cases.open_case, cases.OpenCase(on, case_id, ids), by)
        notice = cases.IssueNotice(
            on,
            case_id=case_id,
            intended_level=terms.level,
            intended_actions=list(terms.actions),
            facts="查明的事实",
            reasons="理由",
            legal_basis=terms.articles,
            defence_deadline=on + timedelta(days=10),
            requirement=terms.requirement,
        )
        self.run(cases.issue_notice, notice, by)
        self.run(cases.waive_defence, cases.WaiveDefence(on, case_id), by)

    def _decision(
        self, case_id: str, decision_id: str, terms: _Terms, on: date, days: int = 30
    ) -> cases.DecideCase:
        book = self.rulebook
        return cases.DecideCase(
            on,
            case_id=case_id,
            decision_id=decision_id,
            level=terms.level,
            actions=list(terms.actions),
            articles=terms.articles,
            reasons="决定理由",
            deciding_body="city",
            requirement=terms.requirement,
            below_reason="书面理由" if terms.level < terms.requirement["level"] else "",
            rectification_days=days if terms.level == 2 else None,
            ban_years=terms.ban_years if "ban" in terms.actions else None,
            ban_indefinite="ban" in terms.actions and terms.ban_years is None,
            revocation_authority=book.due_process.revocation_authority,
            revocation_article=book.due_process.revocation_authority_article,
            due_process_articles=list(book.due_process.articles),
            known_version=len(self.events),
        )

    def interview(self, decision_id: str, on: Day) -> None:
        command = effects.HoldInterview(d(on), decision_id, ["主要负责人"], "规范操作")
        self.run(effects.hold_interview, command)

    def rectify(
        self, decision_id: str, accepted_on: Day, *, reported_on: Day | None = None
    ) -> None:
        reported = d(reported_on if reported_on is not None else accepted_on)
        report = effects.SubmitRectificationReport(reported, decision_id, "整改报告")
        self.run(effects.submit_rectification_report, report)
        accept = effects.AcceptRectification(d(accepted_on), decision_id, "验收合格")
        self.run(effects.accept_rectification, accept)

    def overdue(self, decision_id: str) -> EventRef:
        """The rectification's deadline passes; the ref of the event that records it."""
        command = effects.MarkRectificationOverdue(decision_id, self.deadline_of(decision_id))
        self.run(effects.mark_rectification_overdue, command)
        return self.last_ref

    def deadline_of(self, decision_id: str) -> date:
        rect = self.state.decisions[decision_id].rectification
        assert rect is not None, f"{decision_id} ordered no rectification"
        return rect.deadline

    def annul(self, decision_id: str, on: Day) -> None:
        appeal_id = self.next_id("A")
        by = self.stamp(on)
        filed = appeals.FileAppeal(d(on), appeal_id, decision_id, "reconsideration", "事实不清")
        self.run(appeals.file_appeal, filed, by)
        decided = appeals.DecideAppeal(d(on), appeal_id, "annulled", None, [], "复议撤销")
        self.run(appeals.decide_appeal, decided, by)

    # --- reading --------------------------------------------------------------------------

    def history(self) -> History:
        return History.from_events(self.events)

    def today(self) -> date:
        """The latest business date recorded so far."""
        return max(e.occurred_on for e in self.events)

    def assess(self, finding_id: str, as_of: Day | None = None) -> Assessment:
        """What the rulebook requires for a recorded finding, as the application asks it."""
        history = self.history()
        fact = history.finding(finding_id)
        assert fact is not None, finding_id
        finding = Finding(
            fact.finding_id,
            fact.rule_id,
            fact.severity,
            fact.occurred_on,
            fact.ref,
            fact.reference if fact.source == "system" else None,
        )
        return assess(history, self.rulebook, finding, d(as_of) if as_of else self.today())


@dataclass(frozen=True)
class _Terms:
    """What a decision imposes, and what the rules required when it was made."""

    level: int
    actions: tuple[str, ...]
    ban_years: int | None
    articles: list[str]
    requirement: dict[str, Any]


def _id_of(first: NewEvent) -> Any:
    return institution_id(str(first.fields["jurisdiction"]), str(first.fields["credit_code"]))


# --- given / when / then ----------------------------------------------------------------


def given(*facts: Fact) -> Given[Ledger]:
    """An institution's file after ``facts``: recorded events, or steps run in order."""
    ledger = Ledger()
    for fact in facts:
        if isinstance(fact, NewEvent):
            ledger.record([fact])
        else:
            fact(ledger)
    return Given(ledger)


def given_aggregate(create: Callable[[], A], *steps: Callable[[A], object]) -> Given[A]:
    """Another aggregate after ``steps``: ``create`` makes it, each step acts on it."""
    aggregate = create()
    for each in steps:
        each(aggregate)
    aggregate.collect_events()
    return Given(aggregate)


class Given(Generic[S]):
    """What the facts built: an institution's ``Ledger``, or another aggregate."""

    def __init__(self, subject: S) -> None:
        self.subject = subject

    @property
    def ledger(self) -> S:
        return self.subject

    @property
    def aggregate(self) -> S:
        return self.subject

    def when(self, command: Callable[..., Any], *args: Any) -> Then[S]:
        """``when(decider, command)`` asks a decider; ``when(step)`` runs a step."""
        subject = self.subject
        if not isinstance(subject, Ledger):
            try:
                command(subject, *args)
            except DomainError as exc:
                return Then(subject, [], exc)
            assert isinstance(subject, LedgerAggregate)
            return Then(self.subject, cast(list[LedgerEvent], subject.collect_events()), None)
        before = len(subject.events)
        try:
            if args:
                (decided,) = args
                subject.run(command, decided)
            else:
                command(subject)
        except DomainError as exc:
            assert len(subject.events) == before, "a refused command recorded events"
            return Then(self.subject, [], exc)
        return Then(self.subject, subject.events[before:], None)


class Then(Generic[S]):
    def __init__(self, subject: S, events: list[LedgerEvent], error: DomainError | None):
        self.subject = subject
        self.events = events
        self.error = error

    @property
    def ledger(self) -> S:
        return self.subject

    @property
    def aggregate(self) -> S:
        return self.subject

    def then(self, *expected: str | NewEvent, **attributes: Any) -> Then[S]:
        """The events recorded, by name or as ``NewEvent`` values (compared whole); the
        ``attributes`` are those of the last one."""
        if self.error is not None:
            pytest.fail(f"expected {expected}, the command was refused: {self.error.detail}")
        assert [type(e).__name__ for e in self.events] == [
            x if isinstance(x, str) else x.name for x in expected
        ]
        for event, want in zip(self.events, expected, strict=True):
            if isinstance(want, NewEvent):
                assert event.occurred_on == want.occurred_on, (want.name, event.occurred_on)
                got = {key: getattr(event, key) for key in want.fields}
                assert got == dict(want.fields), want.name
                assert set(_own_fields(event)) == set(want.fields), want.name
        last = self.events[-1] if self.events else None
        for key, value in attributes.items():
            assert getattr(last, key) == value, f"{key}: {getattr(last, key)!r} != {value!r}"
        return self

    def then_refused(
        self, error: type[DomainError], *, article: str | None = None, field: str | None = None
    ) -> DomainError:
        assert self.error is not None, f"expected a refusal, got {self.events}"
        assert isinstance(self.error, error), f"{type(self.error).__name__}: {self.error.detail}"
        if article is not None:
            assert article in self.error.articles, self.error.articles
        if field is not None:
            assert self.error.field == field, self.error.field
        assert self.events == []
        return self.error

    def then_requires(
        self,
        *,
        level: int,
        grounds: Sequence[str] | None = None,
        evidence: Sequence[str] | None = None,
    ) -> Assessment:
        """What the rules require for the finding the command recorded: the level, the
        articles of the grounds beyond the finding's own, and the kinds of event behind
        them (snake case: ``interview_held``) beyond the finding itself."""
        self.then(*[type(e).__name__ for e in self.events])
        ledger = self.subject
        assert isinstance(ledger, Ledger), "then_requires reads an institution's file"
        recorded = [e for e in self.events if isinstance(e, FindingRecorded)]
        assert recorded, f"the command recorded no finding: {self.events}"
        assessment = ledger.assess(recorded[-1].finding_id)
        assert assessment.level == level, (assessment.level, assessment.article)
        derived = [g for g in assessment.grounds if g.rule != "item"]
        if grounds is not None:
            assert sorted({g.article for g in derived}) == sorted(set(grounds)), derived
        if evidence is not None:
            own = {ref_of(recorded[-1])}
            behind = {_snake(r.type) for g in derived for r in g.events if r not in own}
            assert behind == set(evidence), behind
        return assessment

    def state(self, **attributes: Any) -> Then[S]:
        """The state after the command: an institution's folded state, compared in the
        file's shapes (lists, dicts), or another aggregate's attributes."""
        for key, value in attributes.items():
            if isinstance(self.subject, Ledger):
                got, want = plain(getattr(self.subject.state, key)), plain(value)
            else:
                got, want = getattr(self.subject, key), value
            assert got == want, f"{key}: {got!r} != {want!r}"
        return self


def _own_fields(event: LedgerEvent) -> list[str]:
    return [key for key in vars(event) if key not in BASE_FIELDS]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --- steps ------------------------------------------------------------------------------


def step(decider: Callable[[InstitutionState, C], Sequence[NewEvent]], command: C) -> Step:
    """A decider asked with ``command``, as a fact of ``given`` or as the ``when``."""
    return lambda ledger: ledger.run(decider, command)


def filed(rulebook_id: str, approved_on: Day = APPROVED_ON, **details: Any) -> Step:
    """Submitted 14 days before ``approved_on`` and approved then, under ``rulebook_id``."""
    return lambda ledger: ledger.file(rulebook_id, approved_on, **details)


def finding(item: str, *, on: Day, severity: str = "minor") -> Step:
    return lambda ledger: ledger.finding(item, on, severity=severity)


def decided(item: str, *, found_on: Day, on: Day, under: str | None = None) -> Step:
    """A finding of ``item`` decided on ``on`` through due process and served then."""
    return lambda ledger: ledger.decide(ledger.finding(item, found_on), on, under=under)


def interview_held(item: str, *, found_on: Day, decided_on: Day, on: Day) -> Step:
    """A finding of ``item`` decided with an interview, and the interview held on ``on``."""

    def step(ledger: Ledger) -> None:
        decision = ledger.decide(ledger.finding(item, found_on), decided_on)
        ledger.interview(decision, on)

    return step


def record_finding(item: str, *, on: Day, severity: str = "minor") -> Step:
    """The command: record a finding of ``item`` (as a ``when``)."""
    return finding(item, on=on, severity=severity)
