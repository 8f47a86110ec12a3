"""The store and the one service every command module works through.

``LedgerStore`` is the eventsourcing application: transcodings, snapshots, the tables.
``Ledger`` is what the command modules (``domain/commands/``) and the read side
(``domain/records.py``) receive in their constructors: stamping, loading and authorising,
the If-Match check, saving in one transaction together with the idempotency record, the
rulebooks in force and the business date. Time comes from the injected ``clock``;
business dates come with each command.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol, Snapshot
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.utils import get_topic

from domain.access import Action, Principal
from domain.assignment import SupervisionVisit
from domain.base import LedgerAggregate, Stamp
from domain.calendar import shanghai_date
from domain.chain import VerifiedChains
from domain.errors import InvalidInput, NotFound, RuleRefusal, VersionConflict
from domain.events import IdempotentRequestRecorded, LedgerCreated
from domain.history import (
    History,
    HistoryFold,
    fold_as_tables,
    fold_from_tables,
    without_batch_rows,
)
from domain.institution import Institution
from domain.recent import Recent
from domain.roster import OccupationRoster
from domain.rulebook import Catalogue, Rulebook
from domain.state import BatchesApart, batch_rows_text, transcodings
from domain.supervisor import SupervisionPolicy, Supervisor
from domain.users import User

Clock = Callable[[], datetime]
A = TypeVar("A")
IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:idempotency")
#: Notifications read per query when scanning the store.
NOTIFICATION_PAGE = 500
#: From how many batches an institution's snapshot keeps their rows in a record of their
#: own (below it, one query for the whole snapshot is cheaper than a second one).
BATCHES_APART_FROM = 1_000
#: Events the kept history folds may cover together, by default (see ``HistoryFolds``).
HISTORY_FOLD_EVENTS = 200_000
#: Events the institutions (and the saved aggregates) a process keeps may hold together, by
#: default (see ``LatestInstitutions``, ``SavedAggregates``).
KEPT_AGGREGATE_EVENTS = 200_000


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class IdempotencyRecord(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.fingerprint: str = ""
        self.result: dict[str, Any] = {}

    def _on_IdempotentRequestRecorded(self, e: IdempotentRequestRecorded) -> None:
        self.fingerprint = e.fingerprint
        self.result = dict(e.result)


class AlreadyRecorded(Exception):
    """A concurrent twin of this request (same Idempotency-Key and body) was recorded
    first: nothing more is saved, and the twin's result is the answer."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("a concurrent request with this Idempotency-Key was recorded first")
        self.result = result


@dataclass
class Receipt:
    """Whether a command run under a context saved through :meth:`Ledger.commit` (with
    the record of its Idempotency-Key, if it has one)."""

    saved: bool = False


@dataclass(frozen=True)
class Context:
    """The caller of a command: who, under which request, with which preconditions."""

    principal: Principal
    request_id: str
    idempotency_key: str | None = None
    fingerprint: str = ""
    expected_version: int | None = None
    #: Told of the command's save, for one run of a command.
    receipt: Receipt | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class StoredEvent:
    """One recorded event as the audit trail shows it."""

    originator_id: UUID
    version: int
    topic: str
    name: str
    recorded_at: datetime
    occurred_on: date
    actor: str
    role: str
    request_id: str
    data: dict[str, Any] = field(default_factory=dict)


BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "occurred_on",
        "actor",
        "role",
        "request_id",
        "prev_hash",
        "chain_hash",
    }
)


class LedgerStore(Application[UUID]):
    """The event store: every aggregate's events, snapshots of institutions, one name."""

    name = "oversight"
    is_snapshotting_enabled = True

    def __init__(
        self, env: Mapping[str, str] | None = None, *, snapshot_interval: int = 50
    ) -> None:
        # The library reads this class-level mapping; set per instance from the settings.
        # A user's sign-ins are events too: its record is snapshotted as well. A roster is
        # read by every approval of its occupation: snapshotted too, so that a large register
        # (thousands of holders of one occupation) loads in bounded time.
        #: From how many batches an institution's snapshot keeps their rows apart.
        self.batches_apart_from = BATCHES_APART_FROM
        self.snapshotting_intervals = {  # type: ignore[misc]
            Institution: snapshot_interval,
            User: snapshot_interval,
            OccupationRoster: snapshot_interval,
        }
        super().__init__(env)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot what was saved at each interval of its kind. An aggregate saved at the
        version of its snapshot is snapshotted as it stands, instead of being read back from
        the store first as the library does (two reads and a replay on the command path)."""
        if self.snapshots is None:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            if aggregate is None:
                continue
            interval = self.snapshotting_intervals.get(type(aggregate))
            if not interval or event.originator_version % interval:
                continue
            if aggregate.version == event.originator_version:
                cls = getattr(type(aggregate), "Snapshot", None) or self.snapshot_class
                assert cls is not None
                self.snapshots.put(self._with_rows_apart(cls.take(aggregate), aggregate))
            else:  # a later event of the same save: the aggregate as it stood then
                self.take_snapshot(
                    event.originator_id, version=event.originator_version, projector_func=project
                )

    def _with_rows_apart(self, snapshot: Snapshot, aggregate: object) -> list[Snapshot]:
        """The snapshot, and for an institution of :attr:`batches_apart_from` batches or
        more the record of its batch rows before it (``institution_batches_id``, at the
        snapshot's version), the snapshot holding only their count: a load reads them the
        first time the batches are read, which an assessment never does. Both are saved
        in one transaction; the snapshot names the institution too, whose events make
        those rows again if their record is gone (see :meth:`_kept_rows`)."""
        if not isinstance(aggregate, Institution):
            return [snapshot]
        batches = aggregate.state.batches
        if len(batches) < self.batches_apart_from:
            return [snapshot]
        rows_id = institution_batches_id(aggregate.id)
        version = snapshot.originator_version
        rows = Snapshot(
            originator_id=rows_id,
            originator_version=version,
            timestamp=snapshot.timestamp,
            topic=snapshot.topic,
            state={"rows": batch_rows_text(batches)},
        )
        snapshot.state["state"] = BatchesApart(aggregate.state, rows_id, version, aggregate.id)
        return [rows, snapshot]

    def _kept_rows(self, rows_id: UUID, version: int, iid: UUID | None) -> str:
        """The batch rows a snapshot kept apart (see :meth:`_with_rows_apart`). If the store
        no longer has their record (snapshots are derived data, and may be pruned), they
        are those of the institution's events up to that version, and are kept again
        (another process keeping them first is as good: the same rows)."""
        assert self.snapshots is not None
        for kept in self.snapshots.get(rows_id, gt=version - 1, lte=version):
            return cast(str, cast(Snapshot, kept).state["rows"])
        if iid is None:  # a snapshot written before it named its institution
            raise LookupError(f"the batch rows {rows_id} at {version} are not in the store")
        events = list(self.repository.event_store.get(iid, lte=version))
        replayed = project(None, events)
        if not isinstance(replayed, Institution) or replayed.version != version:
            raise LookupError(f"institution {iid} has no version {version} to make its rows of")
        text = batch_rows_text(replayed.state.batches)
        rows = Snapshot(
            originator_id=rows_id,
            originator_version=version,
            timestamp=cast(Any, events[-1]).timestamp,
            topic=get_topic(type(replayed)),
            state={"rows": text},
        )
        with contextlib.suppress(IntegrityError):
            self.snapshots.put([rows])
        return text

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        for transcoding in transcodings(self._kept_rows):
            transcoder.register(transcoding)


def absent(cls: type, aggregate_id: UUID) -> NotFound:
    """The answer to an id of nothing (or of a record the caller may not know of)."""
    return NotFound(f"{cls.__name__.lower()} {aggregate_id} does not exist")


def owner_of(record: object) -> UUID | None:
    """The institution whose file a record belongs to: an institution's own, a visit to
    it, its internal supervisor. Assignments (no notice of an inspection), campaigns and
    external supervisors belong to none."""
    if isinstance(record, Institution):
        return record.id
    if isinstance(record, SupervisionVisit):
        return UUID(record.institution_id)
    if isinstance(record, Supervisor) and record.kind == "internal" and record.institution_id:
        return UUID(record.institution_id)
    return None


def institution_batches_id(iid: UUID) -> UUID:
    """The id the store keeps the batch rows of an institution's snapshots under, when a
    snapshot keeps them apart (one record per snapshot, at its version)."""
    return uuid5(iid, "institution-batches")


def history_fold_id(iid: UUID) -> UUID:
    """The id the store keeps an institution's history fold under (in the snapshots), in
    the form this code writes (``domain.history.TABLES_FORMAT``)."""
    return uuid5(iid, "history-fold-2")


def history_fold_id_before(iid: UUID) -> UUID:
    """The id folds of the first form (format 1, the batches as rows of values) were kept
    under: read where the store keeps none under :func:`history_fold_id` yet, and then
    kept under it in the form this code writes."""
    return uuid5(iid, "history-fold")


def history_batches_id(iid: UUID) -> UUID:
    """The id the store keeps the rows of the batches of an institution's history fold
    under, beside the fold of the same version: a fold is read without them, and they are
    read when a batch is (an assessment reads none of them but the latest, kept in the fold)."""
    return uuid5(iid, "history-fold-batches")


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The aggregate with ``events`` applied: the library's projector without its per-event
    runtime-protocol check, which costs more than applying most events."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class HistoryFolds:
    """The latest history fold of the institutions read lately, so that a command or an
    assessment reads only the events recorded since (recorded events never change).

    Bounded by the events the kept folds cover together; the least recently used go first.
    Safe across threads: folds are never changed, and the map is changed under a lock.
    """

    def __init__(self, max_events: int = HISTORY_FOLD_EVENTS) -> None:
        self.max_events = max_events
        self._folds: Recent[HistoryFold] = Recent(max_items=max_events + 1, max_events=max_events)

    def get(self, iid: UUID) -> HistoryFold | None:
        kept = self._folds.get(iid)
        return None if kept is None else kept[1]

    def put(self, iid: UUID, fold: HistoryFold) -> None:
        """Keep ``fold`` unless a fold of a later version is kept already."""
        self._folds.put(iid, fold.version, fold)


class SavedAggregates:
    """The aggregates this process saved last, each as it stood at its version: what a
    command answers with is read at that version, and an aggregate at a version never
    changes. Only reads at a named version are served from here; commands always load
    afresh, so nothing served from here is ever changed. Bounded by count and by the
    events the aggregates kept hold together."""

    def __init__(self, size: int = 256, max_events: int = KEPT_AGGREGATE_EVENTS) -> None:
        self.size = size
        self._saved: Recent[Aggregate] = Recent(max_items=size, max_events=max_events)

    def put(self, aggregates: Iterable[Aggregate]) -> None:
        for aggregate in aggregates:
            self._saved.put(aggregate.id, aggregate.version, aggregate, newer_only=False)

    def at(self, aggregate_id: UUID, version: int) -> Aggregate | None:
        kept = self._saved.get(aggregate_id)
        # Changed since it was saved (a further command under way on it): not served.
        if kept is None or kept[0] != version or kept[1].version != version:
            return None
        return kept[1]


class LatestInstitutions:
    """The latest institution this process loaded or saved, each as it stood at its
    version: a load reads only the events recorded since (one round trip, instead of the
    snapshot lookup and the events after the snapshot) and gets a copy of its own.

    A copy shares the frozen state and its records, which are never changed, and has its
    own attributes and pending events, so a command changing its copy (or failing half
    way) changes nothing kept here. Safe across threads and processes: what another
    process recorded is read before a kept institution is used. Bounded by count and by
    the events the institutions kept hold together."""

    def __init__(self, size: int = 512, max_events: int = KEPT_AGGREGATE_EVENTS) -> None:
        self.size = size
        self._kept: Recent[Institution] = Recent(max_items=size, max_events=max_events)

    def get(self, iid: UUID) -> Institution | None:
        kept = self._kept.get(iid)
        return None if kept is None else _copied(kept[1])

    def put(self, inst: Institution) -> None:
        """Keep a copy of ``inst`` unless a later version is kept already."""
        if inst.pending_events:
            return  # not as recorded
        self._kept.put(inst.id, inst.version, _copied(inst))


def _copied(inst: Institution) -> Institution:
    copy = object.__new__(type(inst))
    copy.__dict__.update(inst.__dict__)
    copy.__dict__["_pending_events"] = []
    return copy


def require_in_jurisdiction(principal: Principal, action: Action, jurisdiction: str) -> None:
    """``action`` anywhere in ``jurisdiction``, whatever district the principal is scoped to."""
    principal.require(action, jurisdiction, principal.district or "", None)


class Ledger:
    """Stamping, loading, the rules in force and atomic saves, for every command module."""

    def __init__(
        self,
        store: LedgerStore,
        *,
        clock: Clock,
        catalogue: Catalogue,
        history_folds: HistoryFolds | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.catalogue = catalogue
        self.folds = history_folds or HistoryFolds()
        self.saved = SavedAggregates()
        self.latest = LatestInstitutions()
        #: The prefix of each chain this process has verified (see ``Records.verify_aggregate``).
        self.verified = VerifiedChains()

    # --- time -----------------------------------------------------------------------------

    def today(self) -> date:
        """The business date (Asia/Shanghai) of the application's clock."""
        return shanghai_date(self.clock())

    def not_future(self, on: date, field_name: str = "occurred_on") -> None:
        if on > self.today():
            raise InvalidInput(f"{on} is in the future", field=field_name)

    def stamp(self, ctx: Context) -> Stamp:
        return Stamp(
            actor=ctx.principal.subject,
            role=ctx.principal.role,
            request_id=ctx.request_id,
            recorded_at=self.clock(),
        )

    # --- the rules in force ---------------------------------------------------------------

    def rulebook_for(
        self, jurisdiction: str, on: date, field_name: str = "occurred_on"
    ) -> Rulebook:
        rulebook = self.catalogue.in_force(jurisdiction, on)
        if rulebook is None:
            known = ", ".join(self.catalogue.jurisdictions())
            if jurisdiction not in self.catalogue.jurisdictions():
                raise InvalidInput(
                    f"unknown jurisdiction {jurisdiction!r} (known: {known})", field="jurisdiction"
                )
            raise RuleRefusal(
                f"no rulebook of {jurisdiction} is in force on {on}", field=field_name
            )
        return rulebook

    def rulebook_looking_back(
        self, jurisdiction: str, on: date, field_name: str = "occurred_on"
    ) -> Rulebook:
        """The rulebook in force on ``on``; for a date before any rulebook of the
        jurisdiction, the earliest one, which says in ``earlier_conduct`` what still counts."""
        earlier = self.catalogue.before_any(jurisdiction, on)
        return earlier if earlier is not None else self.rulebook_for(jurisdiction, on, field_name)

    def filing_rulebook(
        self, jurisdiction: str, on: date, field_name: str = "occurred_on"
    ) -> Rulebook:
        """The rulebook whose filing rules (validity, renewal window, lapse) apply to a
        filing step on ``on``: the one in force, or before any, the earliest one if it says
        that earlier filings continue under it."""
        rulebook = self.rulebook_looking_back(jurisdiction, on, field_name)
        if on < rulebook.effective_from and not rulebook.earlier_conduct.filings_continue:
            raise RuleRefusal(
                f"no rulebook of {jurisdiction} is in force on {on}, and {rulebook.ref} does"
                " not continue filings made before it took effect"
                " (earlier_conduct.filings_continue)",
                field=field_name,
            )
        return rulebook

    def supervision_policy(
        self, jurisdiction: str, on: date, field_name: str = "occurred_on"
    ) -> SupervisionPolicy:
        """The jurisdiction's supervision rules on ``on``, completed by the supervisor-only
        rulebooks in force that day (see ``domain/supervisor.py``)."""
        primary = self.rulebook_for(jurisdiction, on, field_name)
        supplements = [
            r
            for r in self.catalogue
            if r.jurisdiction is None
            and r.effective_from <= on
            and (r.effective_until is None or on < r.effective_until)
        ]
        return SupervisionPolicy.compose(primary, supplements)

    # --- reading --------------------------------------------------------------------------

    def get(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        if version is not None:
            saved = self.saved.at(aggregate_id, version)
            if saved is not None and isinstance(saved, cls):
                return saved
        aggregate: Aggregate | None
        if cls is Institution and version is None:
            aggregate = self._latest_institution(aggregate_id)
        elif cls in self.store.snapshotting_intervals:
            try:
                aggregate = self.store.repository.get(
                    aggregate_id, version=version, projector_func=project
                )
            except AggregateNotFoundError:
                raise absent(cls, aggregate_id) from None
        else:
            # Never snapshotted: one read of its events, without the snapshot lookup the
            # repository makes first (a round trip on every request's token, for one).
            events = self.store.repository.event_store.get(aggregate_id, lte=version)
            aggregate = project(None, events)
        if aggregate is None or not isinstance(aggregate, cls):
            raise absent(cls, aggregate_id)
        return aggregate

    def _latest_institution(self, iid: UUID) -> Institution | None:
        """The institution as recorded now: the kept one and the events recorded since it."""
        kept = self.latest.get(iid)
        if kept is None:
            try:
                found = self.store.repository.get(iid, projector_func=project)
            except AggregateNotFoundError:
                return None
            if not isinstance(found, Institution):
                return None
            inst = found
        else:
            inst = project(kept, self.store.repository.event_store.get(iid, gt=kept.version))
        self.latest.put(inst)
        return inst

    def get_for(
        self, principal: Principal, cls: type[A], aggregate_id: UUID, version: int | None = None
    ) -> A:
        """The record a request names by its id, if the principal may know of it; a record
        it may not know of (:meth:`Principal.knows`) is absent for it, with the same answer
        as an id of nothing."""
        aggregate = self.get(cls, aggregate_id, version)
        if not principal.knows(owner_of(aggregate)):
            raise absent(cls, aggregate_id)
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            return self.get(cls, aggregate_id)
        except NotFound:
            return None

    def events(self, aggregate_id: UUID, known_at: datetime | None = None) -> list[Any]:
        """The recorded events of an aggregate; with ``known_at``, those recorded by then."""
        events: list[Any] = list(self.store.repository.event_store.get(aggregate_id))
        if known_at is not None:
            events = [e for e in events if e.timestamp <= known_at]
        return events

    def history(self, iid: UUID, known_at: datetime | None = None) -> History:
        """The institution's history; with ``known_at``, as recorded by then."""
        if known_at is not None:
            return History.from_events(self.events(iid, known_at))
        return self.fold(iid).history

    def history_so_far(self, inst: Institution) -> History:
        """The recorded history with what the command under way has recorded on top."""
        pending = inst.pending_events
        recorded = self.fold(inst.id, upto=inst.version - len(pending))
        return recorded.extended(pending).history

    def fold(self, iid: UUID, upto: int | None = None) -> HistoryFold:
        """The history up to version ``upto`` (by default all of it), from the kept fold and
        the events recorded after it."""
        kept = self.folds.get(iid)
        event_store = self.store.repository.event_store
        if kept is not None and kept.version == upto:
            return kept
        if kept is not None and (upto is None or kept.version < upto):
            fold = kept.extended(event_store.get(iid, gt=kept.version, lte=upto))
            self._keep_stored(iid, fold, since=kept.version)
        else:
            stored, current = self._stored_fold(iid, upto)
            since = 0 if stored is None else stored.version
            if stored is None:
                fold = HistoryFold.of(event_store.get(iid, lte=upto))
            elif stored.version == upto:
                fold = stored
            else:
                fold = stored.extended(event_store.get(iid, gt=since, lte=upto))
            self._keep_stored(iid, fold, since=since, anyway=not current)
        self.folds.put(iid, fold)
        return fold

    def _stored_fold(self, iid: UUID, upto: int | None) -> tuple[HistoryFold | None, bool]:
        """The latest fold of the institution's history the store keeps (up to ``upto``),
        if it is of a form this code reads; and whether it is kept in the form this code
        writes (else it was kept under :func:`history_fold_id_before`)."""
        snapshots = self.store.snapshots
        interval = self.store.snapshotting_intervals.get(Institution, 0)
        if snapshots is None or (upto is not None and upto < interval):
            return None, True  # none is kept before the first interval: no lookup
        for snapshot in snapshots.get(history_fold_id(iid), lte=upto, desc=True, limit=1):
            rows = partial(self._stored_batch_rows, iid, snapshot.originator_version)
            return fold_from_tables(cast(Snapshot, snapshot).state, rows), True
        for snapshot in snapshots.get(history_fold_id_before(iid), lte=upto, desc=True, limit=1):
            return fold_from_tables(cast(Snapshot, snapshot).state), False
        return None, True

    def _stored_batch_rows(self, iid: UUID, version: int) -> Mapping[str, Any]:
        """The rows of the batches of the history fold kept at ``version`` (read when a
        batch of it is first read); if the store no longer has them, those of the fold of
        the events up to that version (the same rows)."""
        snapshots = self.store.snapshots
        if snapshots is not None:
            for kept in snapshots.get(history_batches_id(iid), gt=version - 1, lte=version):
                return cast(Mapping[str, Any], cast(Snapshot, kept).state)
        folded = HistoryFold.of(self.store.repository.event_store.get(iid, lte=version))
        return without_batch_rows(fold_as_tables(folded))[1]

    def _keep_stored(
        self, iid: UUID, fold: HistoryFold, *, since: int, anyway: bool = False
    ) -> None:
        """Keep ``fold`` in the store when it reaches a multiple of the institutions'
        snapshot interval past ``since`` (the version of the fold it was made from), or
        ``anyway`` (made from a fold of the first form): a process that has not folded
        this history yet then reads it and the events after it. The rows of its batches
        are kept beside it under an id of their own, in the same transaction. Another
        process keeping the same version first is as good (a fold of a version is the
        same fold wherever it was made)."""
        snapshots = self.store.snapshots
        interval = self.store.snapshotting_intervals.get(Institution, 0)
        if snapshots is None or interval <= 0:
            return
        if not anyway and fold.version // interval <= since // interval:
            return
        tables, rows = without_batch_rows(fold_as_tables(fold))
        kept = [
            Snapshot(
                originator_id=kept_id,
                originator_version=fold.version,
                timestamp=self.clock(),
                topic=get_topic(HistoryFold),
                state=state,
            )
            for kept_id, state in ((history_fold_id(iid), tables), (history_batches_id(iid), rows))
        ]
        with contextlib.suppress(IntegrityError):
            snapshots.put(kept)

    def originators(self, created: type[LedgerCreated] | None = None) -> Iterator[UUID]:
        """Every aggregate id in the store in order of first appearance; with ``created``,
        only those whose history starts with that event."""
        topics = (get_topic(created),) if created is not None else ()
        seen: set[UUID] = set()
        start = 1
        while True:
            batch = self.store.recorder.select_notifications(
                start=start, limit=NOTIFICATION_PAGE, topics=topics
            )
            if not batch:
                return
            for notification in batch:
                originator = UUID(str(notification.originator_id))
                if originator not in seen:
                    seen.add(originator)
                    yield originator
            start = batch[-1].id + 1

    # --- commands -------------------------------------------------------------------------

    def load_for(self, ctx: Context, iid: UUID, action: Action) -> Institution:
        """The institution a command acts on: the caller may ``action`` it, at the If-Match
        version if the request named one."""
        inst = self.get_for(ctx.principal, Institution, iid)
        ctx.principal.require(action, inst.jurisdiction, inst.district, inst.id)
        self.check_version(ctx, inst)
        return inst

    @staticmethod
    def check_version(ctx: Context, aggregate: Aggregate) -> None:
        if ctx.expected_version is not None and ctx.expected_version != aggregate.version:
            raise VersionConflict(
                f"If-Match names version {ctx.expected_version};"
                f" the record is at version {aggregate.version}",
                existing=str(aggregate.id),
                field="If-Match",
            )

    def previous_result(self, ctx: Context) -> dict[str, Any] | None:
        """The stored result of a request already made with this Idempotency-Key."""
        if not ctx.idempotency_key:
            return None
        # One indexed read of the record's only event: no snapshot lookup, no replay.
        recorded = list(self.store.repository.event_store.get(self._idempotency_id(ctx)))
        record = project(None, recorded) if recorded else None
        if not isinstance(record, IdempotencyRecord):
            return None
        if record.fingerprint != ctx.fingerprint:
            raise InvalidInput(
                "this Idempotency-Key was used for a different request",
                field="Idempotency-Key",
            )
        return record.result

    def _idempotency_id(self, ctx: Context) -> UUID:
        return uuid5(IDEMPOTENCY_NAMESPACE, f"{ctx.principal.subject}:{ctx.idempotency_key}")

    def commit(self, ctx: Context, result: dict[str, Any], *aggregates: Aggregate) -> None:
        """Save the aggregates (and the idempotency record) in one transaction.

        If a concurrent twin of the request (same Idempotency-Key) was recorded first,
        nothing is saved and :class:`AlreadyRecorded` carries the twin's result.
        """
        to_save: list[Aggregate] = list(aggregates)
        if ctx.idempotency_key:
            stamp = self.stamp(ctx)
            to_save.append(
                IdempotencyRecord._start(
                    IdempotentRequestRecorded,
                    id=self._idempotency_id(ctx),
                    stamp=stamp,
                    occurred_on=stamp.today,
                    fingerprint=ctx.fingerprint,
                    result=result,
                )
            )
        # The kept history folds the command read, with what it records on top: the
        # recorded history once it is saved, so the next command reads only what follows.
        folds = [
            (a.id, fold.extended(a.pending_events))
            for a in aggregates
            if isinstance(a, Institution)
            and (fold := self.folds.get(a.id)) is not None
            and fold.version == a.version - len(a.pending_events)
        ]
        try:
            self.store.save(*to_save)
        except IntegrityError:
            stored = self.previous_result(ctx)
            if stored is not None:  # a concurrent twin of this request won; its result stands
                raise AlreadyRecorded(stored) from None
            raise VersionConflict(
                "the record changed while this command ran; reload and retry"
            ) from None
        if ctx.receipt is not None:
            ctx.receipt.saved = True
        self.saved.put(aggregates)
        for iid, fold in folds:
            self.folds.put(iid, fold)
        for aggregate in aggregates:
            if isinstance(aggregate, Institution):
                self.latest.put(aggregate)

    def save_result(
        self, ctx: Context, inst: Institution, *others: Aggregate, **created: Any
    ) -> dict[str, Any]:
        """Save an institution command and return its result (what a replay returns)."""
        result = {"institution_id": str(inst.id), "version": inst.version, **created}
        self.commit(ctx, result, inst, *others)
        return result


def audit_entry(event: DomainEventProtocol[Any]) -> StoredEvent:
    data = {k: v for k, v in event.__dict__.items() if k not in BASE_FIELDS}
    e = cast(Any, event)
    return StoredEvent(
        originator_id=e.originator_id,
        version=e.originator_version,
        topic=get_topic(type(event)),
        name=type(event).__name__,
        recorded_at=e.timestamp,
        occurred_on=e.occurred_on,
        actor=e.actor,
        role=e.role,
        request_id=e.request_id,
        data=data,
    )
