"""An institution's state: frozen values folded from its events, read by the deciders.

``InstitutionState`` and its records are frozen dataclasses; sequences are tuples and the
keyed collections are ``domain.keyed.Keyed`` mappings, which are never changed (a change
makes a new one sharing the rest, so the fold stays linear in the events), so a state
handed to a decider cannot be altered by it, and a state kept from an earlier version stays
what it was.

The records keep the names the institution's file has always used (``case["step"]``,
``decision["rectification"]["deadline"]``): ``plain`` turns a record into that dict, which
is what the aggregate's read attributes return, and ``state_from_plain`` turns such dicts
back into a state, which is how a snapshot taken before the state existed is read.

A snapshot stores the aggregate's attributes through the store's JSON transcoder; the
``TRANSCODINGS`` here let it write these records and read them back (lists come back as
tuples, which is all the state holds; the keyed collections are written as the plain JSON
objects they always were, and read back into ``Keyed``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import Transcoding

from domain.events import Contact, ScopeLine
from domain.keyed import Keyed, empty

INSTITUTION_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:institution")

Status = Literal["submitted", "active", "rejected", "expired", "lapsed", "cancelled", "revoked"]
OPEN_STATUSES: tuple[Status, ...] = ("submitted", "active", "expired")


def institution_id(jurisdiction: str, credit_code: str) -> UUID:
    return uuid5(INSTITUTION_NAMESPACE, f"{jurisdiction}:{credit_code.upper()}")


@dataclass(frozen=True)
class ScopeItem:
    """One occupation of the filed scope and its levels, ascending."""

    occupation: str
    levels: tuple[int, ...]


@dataclass(frozen=True)
class PendingScopeChange:
    change_id: str
    scope: tuple[ScopeItem, ...]
    test_sites: tuple[str, ...]
    requested_on: date
    reason: str


@dataclass(frozen=True)
class FindingState:
    rule_id: str
    severity: str
    occurred_on: date
    source: str
    case_id: str | None = None
    dismissed: bool = False
    decided: bool = False


@dataclass(frozen=True)
class BatchState:
    evaluated_on: date
    flags: int
    voided_by: str | None = None  # a decision id, or "stopped:<session id>"


@dataclass(frozen=True)
class ComplaintState:
    received_on: date
    substantiated: bool | None = None  # None until verified


@dataclass(frozen=True)
class AssessmentState:
    year: int
    passed: bool
    grade: str
    recorded_on: date


@dataclass(frozen=True)
class CaseState:
    finding_ids: tuple[str, ...]
    step: str  # opened | noticed | decided | served
    opened_on: date
    defence_deadline: date | None = None
    defences: int = 0
    waived: bool = False
    decision_id: str | None = None
    noticed_on: date | None = None
    intended_level: int | None = None


@dataclass(frozen=True)
class Rectification:
    deadline: date
    state: str  # ordered | reported | accepted | overdue | lifted
    reports: int = 0


@dataclass(frozen=True)
class AttachmentState:
    """A file submitted with a decision's rectification report; the store holds its bytes."""

    sha256: str
    name: str
    size: int
    media_type: str
    decision_id: str
    submitted_on: date


@dataclass(frozen=True)
class DecisionState:
    case_id: str
    level: int
    actions: tuple[str, ...]
    articles: tuple[str, ...]
    decided_on: date
    served_on: date | None = None
    rectification_days: int | None = None
    ban_years: int | None = None
    ban_indefinite: bool = False
    rectification: Rectification | None = None
    interview_held: bool = False
    rescinded: bool = False
    below_requirement: bool = False


@dataclass(frozen=True)
class AppealState:
    decision_id: str
    kind: str
    filed_on: date
    outcome: str | None = None


@dataclass(frozen=True)
class SessionState:
    state: str  # paused | resumed | stopped
    paused_on: date


@dataclass(frozen=True)
class OpinionState:
    report_due: date
    state: str  # awaiting_report | reported | overdue


def numbered(prefix: str, taken: Collection[str]) -> str:
    """The next id of a kind of record, numbered per institution from 1 (``F-1``, ``F-2``…).

    Records made before this numbering carry the event version in their id (``F-7``); those
    ids are skipped, never reused.
    """
    n = len(taken) + 1
    while f"{prefix}-{n}" in taken:
        n += 1
    return f"{prefix}-{n}"


@dataclass(frozen=True)
class InstitutionState:
    """Everything the deciders read about one institution; empty before its first event."""

    credit_code: str = ""
    name: str = ""
    kind: str = ""
    jurisdiction: str = ""
    district: str = ""
    address: str = ""
    scope: tuple[ScopeItem, ...] = ()
    test_sites: tuple[str, ...] = ()
    legal_representative: str = ""
    contact: Mapping[str, str] = field(default_factory=lambda: {"name": "", "phone": ""})
    status: Status = "submitted"
    submitted_on: date = date.min
    receipt_number: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    approvals: int = 0
    renewal_requested_on: date | None = None
    pending_scope_change: PendingScopeChange | None = None
    evaluations_reported: int = 0
    last_evaluated_on: date | None = None
    findings: Keyed[str, FindingState] = field(default_factory=empty)
    complaints: Keyed[str, ComplaintState] = field(default_factory=empty)
    batches: Keyed[str, BatchState] = field(default_factory=empty)
    annual_assessments: Keyed[str, AssessmentState] = field(default_factory=empty)
    cases: Keyed[str, CaseState] = field(default_factory=empty)
    decisions: Keyed[str, DecisionState] = field(default_factory=empty)
    appeals: Keyed[str, AppealState] = field(default_factory=empty)
    sessions: Keyed[str, SessionState] = field(default_factory=empty)
    opinions: Keyed[str, OpinionState] = field(default_factory=empty)
    suspensions: tuple[str, ...] = ()  # decisions whose rectification suspends evaluation
    ban_until: date | None = None
    ban_indefinite: bool = False
    ban_decision: str | None = None
    status_before_revocation: Status | None = None
    #: Files submitted with rectification reports, in the order submitted.
    attachments: tuple[AttachmentState, ...] = ()
    #: The officer in charge of each work item, by ``officer_key(kind, id)``.
    officers: Keyed[str, str] = field(default_factory=empty)
    #: Sanctions brought in from the register kept before this system (``SanctionImported``).
    imported_sanctions: tuple[str, ...] = ()

    @property
    def id(self) -> UUID:
        """The aggregate's id: it is derived from what the state holds."""
        return institution_id(self.jurisdiction, self.credit_code)

    @property
    def suspended(self) -> bool:
        return bool(self.suspensions)

    def banned_on(self, day: date) -> bool:
        return self.ban_indefinite or (self.ban_until is not None and day < self.ban_until)

    def holds_scope(self) -> bool:
        """Whether this record occupies places under the filing caps."""
        return self.status in ("active", "expired")

    def scope_lines(self) -> list[ScopeLine]:
        return [{"occupation": s.occupation, "levels": list(s.levels)} for s in self.scope]

    def contact_details(self) -> Contact:
        return {"name": self.contact["name"], "phone": self.contact["phone"]}


def officer_key(item_kind: str, item_id: str) -> str:
    """The key of a work item in ``InstitutionState.officers``: ``case:C-1``, ``file:``."""
    return f"{item_kind}:{item_id}"


def scope_items(lines: list[ScopeLine]) -> tuple[ScopeItem, ...]:
    return tuple(ScopeItem(line["occupation"], tuple(line["levels"])) for line in lines)


# --- changing a record -----------------------------------------------------------------

S = TypeVar("S")

_FIELDS: dict[type, frozenset[str]] = {}


def changed(record: S, **changes: Any) -> S:
    """``dataclasses.replace`` for the frozen records here (no ``__post_init__``, no
    ``InitVar``): a copy of ``record`` with ``changes``, made by copying its attributes
    rather than calling ``__init__`` with every field, which dominates the fold otherwise.
    Refuses a name that is not a field, as ``replace`` does."""
    cls = type(record)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    if not names.issuperset(changes):
        unknown = ", ".join(sorted(set(changes) - names))
        raise TypeError(f"{cls.__name__} has no field {unknown}")
    copy = object.__new__(cls)
    copy.__dict__.update(record.__dict__, **changes)
    return copy


# --- the file's dicts -------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A record as the dict the file has always shown (tuples as lists), recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def plain_records(records: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: plain(record) for key, record in records.items()}


R = TypeVar("R")


def _record(cls: type[R], data: Mapping[str, Any]) -> R:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: _tupled(v) for k, v in data.items() if k in names})


def _records(cls: type[R], data: Mapping[str, Mapping[str, Any]]) -> Keyed[str, R]:
    return Keyed({key: _record(cls, value) for key, value in data.items()})


def _tupled(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


def _scope(lines: Any) -> tuple[ScopeItem, ...]:
    return tuple(ScopeItem(line["occupation"], tuple(line["levels"])) for line in lines)


def _decision(data: Mapping[str, Any]) -> DecisionState:
    rect = data.get("rectification")
    decision = _record(DecisionState, {k: v for k, v in data.items() if k != "rectification"})
    if rect is None:
        return decision
    return dataclasses.replace(decision, rectification=_record(Rectification, rect))


def state_from_plain(attrs: Mapping[str, Any]) -> InstitutionState:
    """The state an institution's attributes describe, as a snapshot taken before the
    state existed stored them (records as dicts, sequences as lists)."""
    pending = attrs.get("pending_scope_change")
    scalars = {
        f.name: attrs[f.name]
        for f in dataclasses.fields(InstitutionState)
        if f.name in attrs and f.name not in _COLLECTIONS
    }
    return InstitutionState(
        **scalars,
        officers=Keyed(attrs.get("officers", {})),
        contact=dict(attrs["contact"]),
        scope=_scope(attrs["scope"]),
        test_sites=tuple(attrs["test_sites"]),
        suspensions=tuple(attrs["suspensions"]),
        pending_scope_change=None
        if pending is None
        else PendingScopeChange(
            change_id=pending["change_id"],
            scope=_scope(pending["scope"]),
            test_sites=tuple(pending["test_sites"]),
            requested_on=pending["requested_on"],
            reason=pending["reason"],
        ),
        findings=_records(FindingState, attrs["findings"]),
        complaints=_records(ComplaintState, attrs["complaints"]),
        batches=_records(BatchState, attrs["batches"]),
        annual_assessments=_records(AssessmentState, attrs["annual_assessments"]),
        cases=_records(CaseState, attrs["cases"]),
        decisions=Keyed({key: _decision(value) for key, value in attrs["decisions"].items()}),
        appeals=_records(AppealState, attrs["appeals"]),
        sessions=_records(SessionState, attrs["sessions"]),
        opinions=_records(OpinionState, attrs["opinions"]),
    )


_COLLECTIONS = {
    "officers",
    "contact",
    "scope",
    "test_sites",
    "suspensions",
    "pending_scope_change",
    "findings",
    "complaints",
    "batches",
    "annual_assessments",
    "cases",
    "decisions",
    "appeals",
    "sessions",
    "opinions",
}


# --- snapshots --------------------------------------------------------------------------


class RecordTranscoding(Transcoding):
    """Writes a frozen state record as its fields; reads lists back as tuples."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"institution_state.{cls.__name__}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**{key: _tupled(value) for key, value in data.items()})


#: The state's fields that hold a ``Keyed`` mapping.
KEYED_FIELDS = tuple(
    f.name for f in dataclasses.fields(InstitutionState) if f.default_factory is empty
)


class BatchTable:
    """A state's batches as a snapshot writes them: a table, one row of plain values per
    batch, instead of an object per batch (a file holds tens of thousands of them, and an
    object costs the decoder a call for it and another for its date); the rows as one
    JSON text, read when the batches are first read (an assessment never reads them), or
    kept apart (``apart``: the id and version of the record holding that text, and the
    institution's id, whose events up to that version make the same rows)."""

    __slots__ = ("apart", "batches")

    def __init__(
        self, batches: Keyed[str, BatchState], apart: tuple[UUID, int, UUID] | None = None
    ) -> None:
        self.batches = batches
        self.apart = apart


BATCH_COLUMNS = ["batch_id", "evaluated_on", "flags", "voided_by"]

#: Where a snapshot's batch rows kept apart are read from: (record id, version, the
#: institution's id if the snapshot names it) → the text :func:`batch_rows_text` wrote
#: (the store's, given by the ledger).
KeptRows = Callable[[UUID, int, UUID | None], str]


def batch_rows_text(batches: Keyed[str, BatchState]) -> str:
    """The batches as a snapshot keeps them: one JSON text of rows of :data:`BATCH_COLUMNS`."""
    rows = [[key, b.evaluated_on.isoformat(), b.flags, b.voided_by] for key, b in batches.items()]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


class BatchTableTranscoding(Transcoding):
    type = BatchTable
    name = "institution_state.batches"

    def __init__(self, kept_rows: KeptRows | None = None) -> None:
        self.kept_rows = kept_rows

    def encode(self, obj: BatchTable) -> dict[str, Any]:
        table: dict[str, Any] = {"columns": BATCH_COLUMNS, "count": len(obj.batches)}
        if obj.apart is not None:
            rows_id, version, iid = obj.apart
            table["apart"] = [rows_id.hex, version, iid.hex]
        else:
            table["text"] = batch_rows_text(obj.batches)
        return table

    def decode(self, data: dict[str, Any]) -> Keyed[str, BatchState]:
        columns = data["columns"]
        if "apart" in data and columns == BATCH_COLUMNS:
            kept_rows = self.kept_rows
            if kept_rows is None:
                raise ValueError("a snapshot's batches kept apart, and nowhere to read them")
            apart = data["apart"]  # written before the institution's id: two items
            iid = UUID(apart[2]) if len(apart) > 2 else None
            at = (UUID(apart[0]), int(apart[1]), iid)
            return Keyed.deferred(data["count"], lambda: _batch_rows(json.loads(kept_rows(*at))))
        if "text" in data and columns == BATCH_COLUMNS:
            text: str = data["text"]
            return Keyed.deferred(data["count"], lambda: _batch_rows(json.loads(text)))
        rows = data["rows"]  # written before the rows were one text
        if columns != BATCH_COLUMNS:  # written with other fields: each by its name
            named = (dict(zip(columns, row, strict=True)) for row in rows)
            return Keyed(
                {
                    row.pop("batch_id"): _record(
                        BatchState, {**row, "evaluated_on": date.fromisoformat(row["evaluated_on"])}
                    )
                    for row in named
                }
            )
        return Keyed(_batch_rows(rows))


def _batch_rows(rows: list[list[Any]]) -> dict[str, BatchState]:
    """The batches of rows of :data:`BATCH_COLUMNS`, by id."""
    batches: dict[str, BatchState] = {}
    days: dict[str, date] = {}
    for key, on, flags, voided_by in rows:
        day = days.get(on)
        if day is None:
            day = days[on] = date.fromisoformat(on)
        batch: Any = object.__new__(BatchState)  # all its fields, as ``changed`` does
        batch.__dict__.update(evaluated_on=day, flags=flags, voided_by=voided_by)
        batches[key] = batch
    return batches


class StateTranscoding(RecordTranscoding):
    """The state, with its keyed collections written as the JSON objects they were when
    they were dicts and read back as ``Keyed``; the batches as a :class:`BatchTable`.
    Snapshots written before either (batches as an object of records) read the same."""

    def __init__(self) -> None:
        super().__init__(InstitutionState)

    def encode(self, obj: Any) -> dict[str, Any]:
        return self.fields(obj, None)

    def fields(self, obj: Any, apart: tuple[UUID, int, UUID] | None) -> dict[str, Any]:
        fields = super().encode(obj)
        for name in KEYED_FIELDS:
            fields[name] = dict(fields[name].items()) if name != "batches" else None
        fields["batches"] = BatchTable(obj.batches, apart)
        return fields

    def decode(self, data: dict[str, Any]) -> Any:
        values = {key: _tupled(value) for key, value in data.items()}
        for name in KEYED_FIELDS:
            if name in values and not isinstance(values[name], Keyed):
                values[name] = Keyed(values[name])
        return InstitutionState(**values)


@dataclass(frozen=True)
class BatchesApart:
    """A state to snapshot with its batch rows kept in a record of their own (``rows_id``
    at ``version``, written beside the snapshot): the snapshot then holds only how many
    there are, and a load reads the rows the first time the batches are read (or, if that
    record is gone, makes them from the events of institution ``iid`` up to ``version``)."""

    state: InstitutionState
    rows_id: UUID
    version: int
    iid: UUID


class BatchesApartTranscoding(Transcoding):
    """Writes a :class:`BatchesApart` as its state with the batches' table pointing to their
    record; reads back the state (its batches read from that record when first read)."""

    type = BatchesApart
    name = "institution_state.batches_apart"

    def __init__(self) -> None:
        self.state = StateTranscoding()

    def encode(self, obj: BatchesApart) -> dict[str, Any]:
        return self.state.fields(obj.state, (obj.rows_id, obj.version, obj.iid))

    def decode(self, data: dict[str, Any]) -> InstitutionState:
        return cast(InstitutionState, self.state.decode(data))


RECORD_TYPES: tuple[type[Any], ...] = (
    ScopeItem,
    PendingScopeChange,
    FindingState,
    BatchState,
    ComplaintState,
    AssessmentState,
    CaseState,
    Rectification,
    AttachmentState,
    DecisionState,
    AppealState,
    SessionState,
    OpinionState,
)


def transcodings(kept_rows: KeptRows | None = None) -> tuple[Transcoding, ...]:
    """What the store registers to write and read the state: with ``kept_rows``, where
    the batch rows a snapshot keeps apart are read from."""
    return (
        StateTranscoding(),
        BatchTableTranscoding(kept_rows),
        BatchesApartTranscoding(),
        *(RecordTranscoding(t) for t in RECORD_TYPES),
    )


TRANSCODINGS: tuple[Transcoding, ...] = transcodings()
