"""A typed, read-only view of an institution's past facts, built by replaying its events.

The escalation engine reads only this. Every fact keeps a reference to the event it came
from (version, type, business date), so every ground can name the events behind it.
Sanctions annulled on appeal stay in the history, marked rescinded; varied ones carry the
new level and actions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar, cast, overload

from domain import events as ev


@dataclass(frozen=True)
class EventRef:
    version: int
    type: str
    occurred_on: date

    def label(self) -> str:
        return f"{self.type}#{self.version} ({self.occurred_on})"

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "type": self.type, "occurred_on": self.occurred_on}


def ref_of(event: ev.LedgerEvent) -> EventRef:
    return EventRef(event.originator_version, type(event).__name__, event.occurred_on)


def split_rule_id(rule_id: str) -> tuple[str, str, str]:
    """("hunan-2023/25.3") → ("hunan-2023", "25.3", "25")."""
    rulebook, _, item = rule_id.partition("/")
    return rulebook, item, item.split(".")[0]


@dataclass(frozen=True)
class FindingFact:
    finding_id: str
    rule_id: str
    severity: str
    source: str
    reference: str
    occurred_on: date
    ref: EventRef
    recorded_at: datetime
    assessment: dict[str, Any]
    case_id: str | None = None
    dismissed: bool = False
    decided: bool = False

    @property
    def item(self) -> str:
        return split_rule_id(self.rule_id)[1]

    @property
    def article(self) -> str:
        return split_rule_id(self.rule_id)[2]


@dataclass(frozen=True)
class SanctionFact:
    """A served decision and what became of it."""

    decision_id: str
    case_id: str
    level: int
    actions: tuple[str, ...]
    articles: tuple[str, ...]  # the items decided, e.g. ("hunan-2023/26.1",)
    finding_items: tuple[str, ...]  # items of the case's findings, e.g. ("25.3",)
    conduct_dates: tuple[date, ...]
    decided_on: date
    decided_ref: EventRef
    served_on: date | None = None
    served_ref: EventRef | None = None
    effect_on: date | None = None  # interview held / rectification ordered / revoked
    effect_ref: EventRef | None = None
    accepted_on: date | None = None
    accepted_ref: EventRef | None = None
    overdue_ref: EventRef | None = None
    rescinded: bool = False
    rescinded_ref: EventRef | None = None
    varied_ref: EventRef | None = None

    @property
    def items(self) -> tuple[str, ...]:
        """The items this sanction was about: its findings' and those it was decided under."""
        decided = {split_rule_id(a)[1] for a in self.articles}
        return tuple(sorted(set(self.finding_items) | decided))

    @property
    def finding_articles(self) -> tuple[str, ...]:
        """Articles the sanction was about (e.g. a 25.3 finding decided under 26.1: 25, 26)."""
        return tuple(sorted({i.split(".")[0] for i in self.items}))

    def has_kind(self, kind: str) -> bool:
        return kind in self.actions


@dataclass(frozen=True)
class BatchFact:
    batch_id: str
    occupation: str
    level: int
    evaluated_on: date
    site: str
    candidates: int
    unqualified_candidates: int
    paper_set_id: str
    ref: EventRef
    #: The checks it failed when it was reported, as recorded (``no_filing_in_force``…).
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComplaintFact:
    complaint_id: str
    lodged_on: date
    ref: EventRef
    substantiated: bool | None = None
    verified_on: date | None = None
    verified_ref: EventRef | None = None


@dataclass(frozen=True)
class AssessmentFact:
    assessment_id: str
    year: int
    passed: bool
    grade: str
    ref: EventRef


def _activity_key(ref: EventRef) -> tuple[date, int]:
    return ref.occurred_on, ref.version


@dataclass(frozen=True)
class BatchIndex:
    """What the rules read of the batches, gathered once per history instead of walked by
    every rule: the latest batch by business date (the inactivity rule's start) and the
    batches of each paper set in the order reported (the reuse rule's candidates)."""

    latest: EventRef | None = None
    by_paper_set: Mapping[str, tuple[BatchFact, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, batches: Iterable[BatchFact]) -> BatchIndex:
        index = _BatchIndexer()
        for batch in batches:
            index.add(batch)
        return index.built()


@dataclass
class _BatchIndexer:
    """A :class:`BatchIndex` kept up to date one batch at a time; on a fold read from the
    store, the batches added on top of the stored batches' index (``stored``), which is
    read only when a paper set is looked up."""

    latest: EventRef | None = None
    by_paper_set: dict[str, tuple[BatchFact, ...]] = field(default_factory=dict)
    stored: StoredBatches | None = None

    def add(self, batch: BatchFact) -> None:
        # The first of equal keys stays, as ``max`` over the batches in order keeps it.
        if self.latest is None or _activity_key(batch.ref) > _activity_key(self.latest):
            self.latest = batch.ref
        same = self.by_paper_set.get(batch.paper_set_id, ())  # on top of ``stored``'s
        self.by_paper_set[batch.paper_set_id] = (*same, batch)

    def copy(self) -> _BatchIndexer:
        return _BatchIndexer(self.latest, dict(self.by_paper_set), self.stored)

    def built(self) -> BatchIndex:
        """The index as it stands; this indexer is not changed afterwards (a fold's
        builder is only ever copied), so the map is handed over as it is."""
        if self.stored is None:
            return BatchIndex(self.latest, self.by_paper_set)
        return BatchIndex(self.latest, _PaperSets(self.stored, self.by_paper_set))


class _PaperSets(Mapping[str, tuple[BatchFact, ...]]):
    """The batches of each paper set: the stored ones (built when read), then those added
    since the stored fold."""

    __slots__ = ("_added", "_stored")

    def __init__(self, stored: StoredBatches, added: Mapping[str, tuple[BatchFact, ...]]) -> None:
        self._stored, self._added = stored, added

    def __getitem__(self, paper_set_id: str) -> tuple[BatchFact, ...]:
        same = self._stored.paper_set(paper_set_id) + self._added.get(paper_set_id, ())
        if not same:
            raise KeyError(paper_set_id)
        return same

    def __iter__(self) -> Iterator[str]:
        stored = self._stored.paper_sets()
        yield from stored
        yield from (p for p in self._added if p not in stored)

    def __len__(self) -> int:
        return sum(1 for _ in self)


#: Where the rows of a stored fold's batches come from, when first read: the table's
#: ``rows`` and ``paper_sets`` (see :func:`fold_as_tables`), kept beside the fold or in it.
BatchRowsSource = Callable[[], Mapping[str, Any]]


class StoredBatches:
    """The batches of a fold read from the store: how many, the latest one's reference,
    and where their rows are (``source``: one text, a JSON array per line, and the rows of
    each paper set), read the first time a batch is. A batch is built the first time it is
    read: an assessment reads the latest (the inactivity rule) and, for a batch reported,
    those of its paper set, not the tens of thousands of others. What it reads and builds
    on first use is the same whichever thread does it first."""

    __slots__ = ("_days", "_facts", "_index", "_rows", "_source", "_text", "count", "latest")

    def __init__(self, count: int, latest: EventRef | None, source: BatchRowsSource) -> None:
        self.count = count
        self.latest = latest
        self._source = source
        self._text: str | None = None
        self._rows: list[str] | None = None
        self._index: dict[str, list[int]] | None = None
        self._facts: dict[int, BatchFact] = {}
        self._days: _Days = {}

    def _read(self) -> str:
        text = self._text
        if text is None:
            table = self._source()
            text, index = table["rows"], table["paper_sets"]
            if not isinstance(text, str) or not isinstance(index, str):
                raise ValueError("the stored batches are not a text of rows")
            self._index = json.loads(index)
            self._text = text
        return text

    def text(self) -> str:
        """The rows, as stored: one JSON array per line, in the order reported."""
        return self._read() if self.count else ""

    def rows(self) -> list[str]:
        """Each batch's row, as its JSON text, in the order reported."""
        rows = self._rows
        if rows is None:
            rows = self.text().split("\n") if self.count else []
            if len(rows) != self.count:
                raise ValueError("the stored batches are not as many as the count says")
            self._rows = rows
        return rows

    def paper_sets(self) -> dict[str, list[int]]:
        """The positions of each paper set's batches, in the order reported."""
        if not self.count:
            return {}
        self._read()
        return cast(dict[str, list[int]], self._index)

    def fact(self, position: int) -> BatchFact:
        fact = self._facts.get(position)
        if fact is None:
            fact = self._facts[position] = _batch_of_row(
                json.loads(self.rows()[position]), self._days
            )
        return fact

    def paper_set(self, paper_set_id: str) -> tuple[BatchFact, ...]:
        return tuple(self.fact(n) for n in self.paper_sets().get(paper_set_id, ()))


class Batches(Sequence[BatchFact]):
    """A history's batches when its fold was read from the store: the stored ones (built
    when read) and those folded since. Reads, compares and hashes as the tuple of them."""

    __slots__ = ("_added", "_stored")

    def __init__(self, stored: StoredBatches, added: tuple[BatchFact, ...]) -> None:
        self._stored, self._added = stored, added

    def __len__(self) -> int:
        return self._stored.count + len(self._added)

    @overload
    def __getitem__(self, position: int) -> BatchFact: ...
    @overload
    def __getitem__(self, position: slice) -> tuple[BatchFact, ...]: ...
    def __getitem__(self, position: int | slice) -> BatchFact | tuple[BatchFact, ...]:
        if isinstance(position, slice):
            return tuple(self)[position]
        count = self._stored.count
        n = position + len(self) if position < 0 else position
        if not 0 <= n < len(self):
            raise IndexError(position)
        return self._stored.fact(n) if n < count else self._added[n - count]

    def __iter__(self) -> Iterator[BatchFact]:
        fact = self._stored.fact
        for n in range(self._stored.count):
            yield fact(n)
        yield from self._added

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Batches | tuple):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True)
class History:
    findings: tuple[FindingFact, ...] = ()
    sanctions: tuple[SanctionFact, ...] = ()
    #: A tuple, or :class:`Batches` for a fold read from the store (the same facts).
    batches: Sequence[BatchFact] = ()
    complaints: tuple[ComplaintFact, ...] = ()
    approvals: tuple[EventRef, ...] = ()
    assessments: tuple[AssessmentFact, ...] = ()
    version: int = 0
    #: The last day of validity the latest approval or renewal recorded.
    valid_until: date | None = None
    #: The batches indexed (a fold passes the one it kept up to date; otherwise it is
    #: gathered from ``batches`` on first use).
    batch_index: BatchIndex | None = field(default=None, repr=False, compare=False)

    @property
    def indexed_batches(self) -> BatchIndex:
        index = self.batch_index
        if index is None:
            index = BatchIndex.of(self.batches)
            object.__setattr__(self, "batch_index", index)  # the same facts, gathered once
        return index

    def same_paper_set(self, paper_set_id: str) -> tuple[BatchFact, ...]:
        """The batches that used ``paper_set_id``, in the order reported."""
        return self.indexed_batches.by_paper_set.get(paper_set_id, ())

    @classmethod
    def from_events(cls, events: Iterable[Any]) -> History:
        return HistoryFold.of(events).history

    def finding(self, finding_id: str) -> FindingFact | None:
        return next((f for f in self.findings if f.finding_id == finding_id), None)

    def sanction(self, decision_id: str) -> SanctionFact | None:
        return next((s for s in self.sanctions if s.decision_id == decision_id), None)

    def in_force(self) -> list[SanctionFact]:
        return [s for s in self.sanctions if not s.rescinded]

    def open_findings(self) -> list[FindingFact]:
        return [f for f in self.findings if not f.decided and not f.dismissed]

    def last_activity(self) -> EventRef | None:
        """The latest evaluation batch or approval, by business date (and version)."""
        return last_activity(self.indexed_batches.latest, self.approvals)


def last_activity(latest_batch: EventRef | None, approvals: Iterable[EventRef]) -> EventRef | None:
    """The later of the latest batch and the approvals, by business date (and version)."""
    refs = [latest_batch, *approvals] if latest_batch is not None else approvals
    return max(refs, key=_activity_key, default=None)


@dataclass(frozen=True)
class HistoryFold:
    """A history folded up to a version, with what folding it further needs: the events
    recorded after that version extend it without replaying the ones before. A fold is
    never changed; extending it makes a new one."""

    history: History
    builder: _Builder = field(repr=False, compare=False)

    @property
    def version(self) -> int:
        return self.history.version

    @classmethod
    def of(cls, events: Iterable[Any]) -> HistoryFold:
        builder = _Builder()
        return cls(builder.build(), builder).extended(events)

    def extended(self, events: Iterable[Any]) -> HistoryFold:
        """This fold with ``events`` (those after its version) applied in version order."""
        ordered = sorted(events, key=lambda e: e.originator_version)
        if not ordered:
            return self
        builder = self.builder.copy()
        for event in ordered:
            builder.apply(event)
        return HistoryFold(builder.build(), builder)


@dataclass
class _Builder:
    findings: dict[str, FindingFact] = field(default_factory=dict)
    cases: dict[str, list[str]] = field(default_factory=dict)
    sanctions: dict[str, SanctionFact] = field(default_factory=dict)
    #: The batches folded here (after ``stored_batches``, those of a fold read back).
    batches: list[BatchFact] = field(default_factory=list)
    stored_batches: StoredBatches | None = None
    complaints: dict[str, ComplaintFact] = field(default_factory=dict)
    approvals: list[EventRef] = field(default_factory=list)
    assessments: list[AssessmentFact] = field(default_factory=list)
    version: int = 0
    valid_until: date | None = None
    batch_index: _BatchIndexer = field(default_factory=_BatchIndexer)

    #: The handler of each event class met so far (None: the history ignores it).
    _handlers: ClassVar[dict[type, Callable[[_Builder, Any], None] | None]] = {}

    def apply(self, e: Any) -> None:
        self.version = e.originator_version
        cls = type(e)
        try:
            handler = self._handlers[cls]
        except KeyError:
            handler = self._handlers[cls] = self._handler_of(cls)
        if handler is not None:
            handler(self, e)

    @classmethod
    def _handler_of(cls, event_class: type) -> Callable[[_Builder, Any], None] | None:
        # An event class derived from another (an imported filing) is read as its base.
        for base in event_class.__mro__:
            handler: Callable[[_Builder, Any], None] | None = getattr(
                cls, f"_on_{base.__name__}", None
            )
            if handler is not None:
                return handler
        return None

    def copy(self) -> _Builder:
        """A builder to go on from here; the facts are frozen, so the containers suffice."""
        return _Builder(
            findings=dict(self.findings),
            cases={case: list(ids) for case, ids in self.cases.items()},
            sanctions=dict(self.sanctions),
            batches=list(self.batches),
            stored_batches=self.stored_batches,
            complaints=dict(self.complaints),
            approvals=list(self.approvals),
            assessments=list(self.assessments),
            version=self.version,
            valid_until=self.valid_until,
            batch_index=self.batch_index.copy(),
        )

    def build(self) -> History:
        stored = self.stored_batches
        return History(
            findings=tuple(self.findings.values()),
            sanctions=tuple(self.sanctions.values()),
            batches=tuple(self.batches) if stored is None else Batches(stored, tuple(self.batches)),
            complaints=tuple(self.complaints.values()),
            approvals=tuple(self.approvals),
            assessments=tuple(self.assessments),
            version=self.version,
            valid_until=self.valid_until,
            batch_index=self.batch_index.built(),
        )

    def _sanction(self, decision_id: str, **changes: Any) -> None:
        current = self.sanctions.get(decision_id)
        if current is not None:
            self.sanctions[decision_id] = replace(current, **changes)

    def _on_FilingApproved(self, e: ev.FilingApproved) -> None:
        self.approvals.append(ref_of(e))
        self.valid_until = e.valid_until

    def _on_RenewalApproved(self, e: ev.RenewalApproved) -> None:
        self.approvals.append(ref_of(e))
        self.valid_until = e.valid_until

    def _on_SanctionImported(self, e: ev.SanctionImported) -> None:
        ref = ref_of(e)
        accepted = e.accepted_on
        self.sanctions[e.sanction_id] = SanctionFact(
            decision_id=e.sanction_id,
            case_id="",
            level=e.level,
            actions=(e.kind,),
            articles=tuple(e.items),
            finding_items=tuple(split_rule_id(i)[1] for i in e.items),
            conduct_dates=(),
            decided_on=e.occurred_on,
            decided_ref=ref,
            served_on=e.occurred_on,
            served_ref=ref,
            effect_on=e.effect_on,
            effect_ref=ref,
            accepted_on=accepted,
            accepted_ref=ref if accepted is not None else None,
        )

    def _on_FindingRecorded(self, e: ev.FindingRecorded) -> None:
        self.findings[e.finding_id] = FindingFact(
            finding_id=e.finding_id,
            rule_id=e.rule_id,
            severity=e.severity,
            source=e.source,
            reference=e.reference,
            occurred_on=e.occurred_on,
            ref=ref_of(e),
            recorded_at=e.timestamp,
            assessment=dict(e.assessment),
        )

    def _on_FindingDismissed(self, e: ev.FindingDismissed) -> None:
        if e.finding_id in self.findings:
            self.findings[e.finding_id] = replace(self.findings[e.finding_id], dismissed=True)

    def _on_CaseOpened(self, e: ev.CaseOpened) -> None:
        self.cases[e.case_id] = list(e.finding_ids)
        for fid in e.finding_ids:
            if fid in self.findings:
                self.findings[fid] = replace(self.findings[fid], case_id=e.case_id)

    def _on_CaseDecided(self, e: ev.CaseDecided) -> None:
        finding_ids = self.cases.get(e.case_id, [])
        found = [self.findings[f] for f in finding_ids if f in self.findings]
        for f in found:
            self.findings[f.finding_id] = replace(f, decided=True)
        self.sanctions[e.decision_id] = SanctionFact(
            decision_id=e.decision_id,
            case_id=e.case_id,
            level=e.level,
            actions=tuple(e.actions),
            articles=tuple(e.articles),
            finding_items=tuple(sorted({f.item for f in found})),
            conduct_dates=tuple(sorted(f.occurred_on for f in found)),
            decided_on=e.occurred_on,
            decided_ref=ref_of(e),
        )

    def _on_DecisionServed(self, e: ev.DecisionServed) -> None:
        self._sanction(e.decision_id, served_on=e.occurred_on, served_ref=ref_of(e))

    def _on_InterviewHeld(self, e: ev.InterviewHeld) -> None:
        self._sanction(e.decision_id, effect_on=e.occurred_on, effect_ref=ref_of(e))

    def _on_RectificationOrdered(self, e: ev.RectificationOrdered) -> None:
        self._sanction(e.decision_id, effect_on=e.occurred_on, effect_ref=ref_of(e))

    def _on_FilingRevoked(self, e: ev.FilingRevoked) -> None:
        self._sanction(e.decision_id, effect_on=e.occurred_on, effect_ref=ref_of(e))

    def _on_ResultsVoided(self, e: ev.ResultsVoided) -> None:
        self._sanction(e.decision_id, effect_on=e.occurred_on, effect_ref=ref_of(e))

    def _on_RectificationAccepted(self, e: ev.RectificationAccepted) -> None:
        self._sanction(e.decision_id, accepted_on=e.occurred_on, accepted_ref=ref_of(e))

    def _on_RectificationOverdue(self, e: ev.RectificationOverdue) -> None:
        self._sanction(e.decision_id, overdue_ref=ref_of(e))

    def _on_AppealDecided(self, e: ev.AppealDecided) -> None:
        if e.outcome == "annulled":
            self._sanction(e.decision_id, rescinded=True, rescinded_ref=ref_of(e))
        elif e.outcome == "varied" and e.new_level is not None:
            self._sanction(
                e.decision_id, level=e.new_level, actions=tuple(e.new_actions), varied_ref=ref_of(e)
            )

    def _on_EvaluationReported(self, e: ev.EvaluationReported) -> None:
        batch = BatchFact(
            batch_id=e.batch_id,
            occupation=e.occupation,
            level=e.level,
            evaluated_on=e.occurred_on,
            site=e.site,
            candidates=e.candidates,
            unqualified_candidates=e.unqualified_candidates,
            paper_set_id=e.paper_set_id,
            ref=ref_of(e),
            checks=tuple(str(f.get("check", "")) for f in e.flags),
        )
        self.batches.append(batch)
        self.batch_index.add(batch)

    def _on_ComplaintReceived(self, e: ev.ComplaintReceived) -> None:
        self.complaints[e.complaint_id] = ComplaintFact(e.complaint_id, e.occurred_on, ref_of(e))

    def _on_ComplaintVerified(self, e: ev.ComplaintVerified) -> None:
        current = self.complaints.get(e.complaint_id)
        if current is not None:
            self.complaints[e.complaint_id] = replace(
                current,
                substantiated=e.substantiated,
                verified_on=e.occurred_on,
                verified_ref=ref_of(e),
            )

    def _on_AnnualAssessmentRecorded(self, e: ev.AnnualAssessmentRecorded) -> None:
        self.assessments.append(
            AssessmentFact(e.assessment_id, e.year, e.passed, e.grade, ref_of(e))
        )


# --- a fold written as tables -----------------------------------------------------------
#
# A fold is kept in the store as tables of plain values (``HistoryFold.as_tables``), one row
# per fact and one column per field, so that a process that has not folded an institution
# yet reads it back without the events (an object per fact would cost the decoder a call
# for it and for each of its dates and references). ``HistoryFold.from_tables`` reads it
# back into the same fold; tables of another form read as nothing (the events are folded).

#: The form of the tables this code writes: 2, the batches as one text of rows read when
#: needed (:class:`StoredBatches`). Format 1 (the batches as rows of values) is still read;
#: tables written in another form are not.
TABLES_FORMAT = 2

_Days = dict[str, date]
F = TypeVar("F")


class _OtherForm(Exception):
    """Tables not of the form this code writes."""


def _day(text: str | None, days: _Days) -> date | None:
    if text is None:
        return None
    day = days.get(text)
    if day is None:
        day = days[text] = date.fromisoformat(text)
    return day


def _ref_row(ref: EventRef | None) -> list[Any] | None:
    return None if ref is None else [ref.version, ref.type, ref.occurred_on.isoformat()]


def _ref(row: list[Any] | None, days: _Days) -> EventRef | None:
    if row is None:
        return None
    version, kind, on = row
    day = days.get(on)
    if day is None:
        day = days[on] = date.fromisoformat(on)
    ref: Any = object.__new__(EventRef)  # all its fields, as a frozen record's copy does
    ref.__dict__.update(version=version, type=kind, occurred_on=day)
    return cast(EventRef, ref)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


#: How a column is written and read: (write, read with the day cache).
_Kind = tuple[Callable[[Any], Any], Callable[[Any, _Days], Any]]
_VALUE: _Kind = (lambda v: v, lambda v, _: v)
_VALUES: _Kind = (list, lambda v, _: tuple(v))
_DATE: _Kind = (_iso, _day)
_DATES: _Kind = (
    lambda v: [d.isoformat() for d in v],
    lambda v, days: tuple(_day(d, days) for d in v),
)
_DATETIME: _Kind = (_iso, lambda v, _: None if v is None else datetime.fromisoformat(v))
_REF: _Kind = (_ref_row, _ref)

#: The columns of each fact's table, by field; a field not named here is a plain value.
_COLUMN_KINDS: dict[type, dict[str, _Kind]] = {
    FindingFact: {"occurred_on": _DATE, "ref": _REF, "recorded_at": _DATETIME},
    SanctionFact: {
        "actions": _VALUES,
        "articles": _VALUES,
        "finding_items": _VALUES,
        "conduct_dates": _DATES,
        "decided_on": _DATE,
        "decided_ref": _REF,
        "served_on": _DATE,
        "served_ref": _REF,
        "effect_on": _DATE,
        "effect_ref": _REF,
        "accepted_on": _DATE,
        "accepted_ref": _REF,
        "overdue_ref": _REF,
        "rescinded_ref": _REF,
        "varied_ref": _REF,
    },
    BatchFact: {"evaluated_on": _DATE, "ref": _REF, "checks": _VALUES},
    ComplaintFact: {"lodged_on": _DATE, "ref": _REF, "verified_on": _DATE, "verified_ref": _REF},
    AssessmentFact: {"ref": _REF},
}


def _columns(cls: type) -> list[tuple[str, _Kind]]:
    kinds = _COLUMN_KINDS[cls]
    return [(f.name, kinds.get(f.name, _VALUE)) for f in fields(cls)]


def _table(cls: type, facts: Iterable[Any]) -> dict[str, Any]:
    columns = _columns(cls)
    return {
        "columns": [name for name, _ in columns],
        "rows": [[write(getattr(f, name)) for name, (write, _) in columns] for f in facts],
    }


def _facts(cls: type[F], table: Mapping[str, Any], days: _Days) -> list[F]:
    """The facts of a table written by :func:`_table` with the columns of ``cls`` now: the
    plain columns as they are, the others each read by its kind."""
    columns = _columns(cls)
    names = [name for name, _ in columns]
    if table["columns"] != names:
        raise _OtherForm(f"the columns of {cls.__name__} differ")
    reads = [(name, read) for name, (_, read) in columns if read is not _VALUE[1]]
    new = object.__new__
    facts = []
    for row in table["rows"]:
        values = dict(zip(names, row, strict=True))
        for name, read in reads:
            values[name] = read(values[name], days)
        fact: Any = new(cls)  # all its fields, as a frozen record's copy does
        fact.__dict__.update(values)
        facts.append(fact)
    return facts


def _batch_facts(table: Mapping[str, Any], days: _Days) -> list[BatchFact]:
    """The batches of a table written by :func:`_table`: :func:`_facts` unrolled for the
    one table that grows with the file (tens of thousands of rows)."""
    if table["columns"] != [name for name, _ in _columns(BatchFact)]:
        raise _OtherForm("the columns of BatchFact differ")
    facts: list[BatchFact] = []
    for row in table["rows"]:
        batch_id, occupation, level, on, site, candidates, unqualified, paper_set, ref, checks = row
        day = days.get(on)
        if day is None:
            day = days[on] = date.fromisoformat(on)
        facts.append(
            _batch(
                (batch_id, occupation, level, day, site, candidates, unqualified, paper_set),
                cast(EventRef, _ref(ref, days)),
                checks,
            )
        )
    return facts


def _batch(values: tuple[Any, ...], ref: EventRef, checks: list[str]) -> BatchFact:
    """A batch of its values in the order of its fields up to its reference."""
    batch_id, occupation, level, day, site, candidates, unqualified, paper_set = values
    fact: Any = object.__new__(BatchFact)  # all its fields, as a frozen record's copy does
    fact.__dict__.update(
        batch_id=batch_id,
        occupation=occupation,
        level=level,
        evaluated_on=day,
        site=site,
        candidates=candidates,
        unqualified_candidates=unqualified,
        paper_set_id=paper_set,
        ref=ref,
        checks=tuple(checks),
    )
    return cast(BatchFact, fact)


#: The columns of a stored batch row (format 2): a ``BatchFact``'s, its reference as its
#: version and type, and its date only where it is not the batch's (never, from the fold).
BATCH_ROW_COLUMNS = [
    "batch_id",
    "occupation",
    "level",
    "evaluated_on",
    "site",
    "candidates",
    "unqualified_candidates",
    "paper_set_id",
    "ref_version",
    "ref_type",
    "ref_occurred_on",
    "checks",
]


def _batch_row(b: BatchFact) -> str:
    on = b.evaluated_on.isoformat()
    ref_on = b.ref.occurred_on.isoformat()
    row = [
        b.batch_id,
        b.occupation,
        b.level,
        on,
        b.site,
        b.candidates,
        b.unqualified_candidates,
        b.paper_set_id,
        b.ref.version,
        b.ref.type,
        None if ref_on == on else ref_on,
        list(b.checks),
    ]
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _batch_of_row(row: list[Any], days: _Days) -> BatchFact:
    """The batch a row written by :func:`_batch_row` holds."""
    values, (version, kind, ref_on, checks) = row[:8], row[8:]
    on = values[3]
    values[3] = _day(on, days)
    ref = _ref([version, kind, on if ref_on is None else ref_on], days)
    return _batch(tuple(values), cast(EventRef, ref), checks)


def _batches_table(b: _Builder) -> dict[str, Any]:
    """The builder's batches as the store keeps them (:class:`StoredBatches`): the rows of
    a fold read back as they were read, then those folded since."""
    stored = b.stored_batches
    rows = [_batch_row(batch) for batch in b.batches]
    if stored is not None and stored.count:
        rows.insert(0, stored.text())
    count = (0 if stored is None else stored.count) + len(b.batches)
    index: dict[str, list[int]] = {}
    if stored is not None:
        index = {p: list(ns) for p, ns in stored.paper_sets().items()}
    first = count - len(b.batches)
    for n, batch in enumerate(b.batches, start=first):
        index.setdefault(batch.paper_set_id, []).append(n)
    return {
        "columns": BATCH_ROW_COLUMNS,
        "count": count,
        "rows": "\n".join(rows),
        "latest": _ref_row(b.batch_index.latest),
        "paper_sets": json.dumps(index, ensure_ascii=False, separators=(",", ":")),
    }


def _stored_batches(
    table: Mapping[str, Any], days: _Days, source: BatchRowsSource | None
) -> StoredBatches:
    if table["columns"] != BATCH_ROW_COLUMNS:
        raise _OtherForm("the columns of the batches differ")
    count = table["count"]
    if not isinstance(count, int):
        raise _OtherForm("the batches are not counted")
    if "rows" in table or source is None:
        rows = {"rows": table["rows"], "paper_sets": table["paper_sets"]}
        return StoredBatches(count, _ref(table["latest"], days), lambda: rows)
    return StoredBatches(count, _ref(table["latest"], days), source)


def fold_as_tables(fold: HistoryFold) -> dict[str, Any]:
    """The fold as tables of plain values (what :func:`fold_from_tables` reads back)."""
    b = fold.builder
    return {
        "format": TABLES_FORMAT,
        "version": b.version,
        "valid_until": _iso(b.valid_until),
        "findings": _table(FindingFact, b.findings.values()),
        "cases": [[case, list(ids)] for case, ids in b.cases.items()],
        "sanctions": _table(SanctionFact, b.sanctions.values()),
        "batches": _batches_table(b),
        "complaints": _table(ComplaintFact, b.complaints.values()),
        "approvals": [_ref_row(r) for r in b.approvals],
        "assessments": _table(AssessmentFact, b.assessments),
    }


def without_batch_rows(tables: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tables of :func:`fold_as_tables` without the batches' rows, and those rows
    (what a :data:`BatchRowsSource` gives back): kept apart, a fold is read without them."""
    batches = dict(tables["batches"])
    rows = {"rows": batches.pop("rows"), "paper_sets": batches.pop("paper_sets")}
    return {**tables, "batches": batches}, rows


def fold_from_tables(
    data: Mapping[str, Any], batch_rows: BatchRowsSource | None = None
) -> HistoryFold | None:
    """The fold ``data`` holds, or ``None`` if it is of another form than this code reads
    (:data:`TABLES_FORMAT`, or format 1: its batches built at once). The batches' ``rows``
    and ``paper_sets`` are in ``data`` as :func:`fold_as_tables` wrote them, or, if they
    were kept apart (:func:`without_batch_rows`), from ``batch_rows`` when first read."""
    form = data.get("format")
    if form not in (1, TABLES_FORMAT):
        return None
    days: _Days = {}
    try:
        batches: list[BatchFact] = []
        stored: StoredBatches | None = None
        if form == 1:
            batches = _batch_facts(data["batches"], days)
        else:
            stored = _stored_batches(data["batches"], days, batch_rows)
        builder = _Builder(
            findings={f.finding_id: f for f in _facts(FindingFact, data["findings"], days)},
            cases={case: list(ids) for case, ids in data["cases"]},
            sanctions={s.decision_id: s for s in _facts(SanctionFact, data["sanctions"], days)},
            batches=batches,
            stored_batches=stored,
            complaints={c.complaint_id: c for c in _facts(ComplaintFact, data["complaints"], days)},
            approvals=[cast(EventRef, _ref(r, days)) for r in data["approvals"]],
            assessments=_facts(AssessmentFact, data["assessments"], days),
            version=data["version"],
            valid_until=_day(data["valid_until"], days),
            batch_index=_BatchIndexer(None if stored is None else stored.latest, {}, stored),
        )
    except (_OtherForm, KeyError, TypeError, ValueError):
        return None
    for batch in batches:
        builder.batch_index.add(batch)
    return HistoryFold(builder.build(), builder)
