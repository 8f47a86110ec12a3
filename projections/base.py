"""Read models fed from the notification log, exactly once.

A :class:`ReadModel` says which tables it keeps and how a batch of events changes them.
A :class:`Projection` runs one read model against the store: it reads the notification
log after its recorded position, applies up to ``batch_size`` events and records the new
position in the same transaction. Events the model does not handle are skipped, but the
position still moves past them.

:meth:`Projections.catch_up` feeds every projection from one read of the log per batch,
each event decoded once, and applies each projection's part of it in that projection's own
transaction, as above.

Exactly once, even with two runners or a crash:

- each batch takes a per-projection lock first (an advisory lock on PostgreSQL, SQLite's
  write lock), then re-reads the position inside the transaction and gives up the batch if
  another runner has moved it;
- the library's tracking insert refuses a position that is not above the recorded one, so
  a batch that somehow replays old events rolls back with its view writes;
- a crash before the commit leaves neither the rows nor the position.
"""

from __future__ import annotations

import gc
import hashlib
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.events import LedgerEvent
from projections.store import (
    HeldSession,
    LoggedEvent,
    NotificationLog,
    Row,
    Table,
    ViewSession,
    ViewStore,
    event_class,
)

DEFAULT_BATCH_SIZE = 500
#: Events per batch of a rebuild: its views are held in memory, so a batch costs one
#: read of the log and the ratings model's one query for the histories it needs; the
#: size bounds the stored events held at once.
REBUILD_BATCH_SIZE = 2000


class ReadModel(ABC):
    """What one read model keeps and how events change it. Copies facts; decides nothing."""

    #: The projection's name: its tracking key and the prefix of its tables.
    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    #: The event classes it reads (subclasses included); others are skipped.
    handles: ClassVar[tuple[type[LedgerEvent], ...]]
    #: Of those, the classes of which it reads only ``originator_id``,
    #: ``originator_version``, ``timestamp`` and ``occurred_on``: such events are decoded
    #: only that far when no other read model wants more of them
    #: (``NotificationLog.decode_touch``).
    touches: ClassVar[tuple[type[LedgerEvent], ...]] = ()
    #: The classes it touches so in a rebuild, where it may keep less than it needs to
    #: catch up a batch at a time (None: :attr:`touches`).
    touches_in_rebuild: ClassVar[tuple[type[LedgerEvent], ...] | None] = None

    def touches_only(self, topic: str, *, rebuilding: bool = False) -> bool:
        cls = event_class(topic)
        touched = self.touches
        if rebuilding and self.touches_in_rebuild is not None:
            touched = self.touches_in_rebuild
        return cls is not None and cls in touched

    def wants(self, topic: str) -> bool:
        cls = event_class(topic)
        return cls is not None and issubclass(cls, self.handles)

    def bind(self, log: NotificationLog) -> None:
        """Told the log it is fed from (a read model keeping what the domain derives from
        an institution's whole history reads that history through it)."""
        return None

    def prepare(self, session: ViewSession) -> None:
        """Run each time the store is opened, under the projection's lock: fills a table
        the model gained after its position had moved on, from its other tables (a table
        created empty beside rows projected before it would otherwise stay wrong)."""
        return None

    @abstractmethod
    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        """Write what ``events`` (in log order, all handled types) change."""

    def finish(self, session: HeldSession) -> None:
        """Run once at the end of a rebuild, after its last batch and before its views
        are swapped in: a model that keeps what it folded in ``session.kept`` writes
        the rows it computes once from it."""
        return None


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    #: The id of the last notification applied (0: none yet).
    position: int
    #: The id of the last notification in the store.
    head: int

    @property
    def lag(self) -> int:
        """Notification ids not yet applied (ids can have gaps, so at most this many)."""
        return max(0, self.head - self.position)

    @property
    def up_to_date(self) -> bool:
        return self.lag == 0


class Projection:
    """One read model, its store and the log it reads."""

    def __init__(
        self,
        model: ReadModel,
        store: ViewStore,
        log: NotificationLog | None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model = model
        self.store = store
        self._log = log
        self.batch_size = batch_size
        #: Called after each committed batch with the projection's name and the batch's
        #: last event it applied (the worker measures lag with it).
        self.on_batch: Callable[[str, LedgerEvent], None] | None = None
        if log is not None:
            model.bind(log)

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def log(self) -> NotificationLog:
        if self._log is None:
            raise RuntimeError(
                f"projection {self.name} was built without the application: it can be"
                " queried but not fed"
            )
        return self._log

    def position(self) -> int:
        return self.store.position(self.name)

    def status(self) -> ProjectionStatus:
        return ProjectionStatus(self.name, self.position(), self.log.head())

    def catch_up(
        self, *, stop: threading.Event | None = None, batch_size: int | None = None
    ) -> int:
        """Apply everything recorded up to now; the number of notifications consumed.

        With ``stop``, returns after the batch in progress once it is set.
        """
        size = batch_size or self.batch_size
        head = self.log.head()
        position = self.position()
        consumed = 0
        while position < head and not (stop is not None and stop.is_set()):
            entries = self.log.read(position + 1, size)
            if not entries:
                break
            applied, position = self._apply(position, entries)
            consumed += applied
        return consumed

    def _apply(
        self,
        expected: int,
        entries: Sequence[LoggedEvent],
        decode: Callable[[LoggedEvent], LedgerEvent] | None = None,
    ) -> tuple[int, int]:
        """Apply one batch read after ``expected``; (notifications consumed, new position).

        ``decode`` (by default the log's) lets projections fed from one read share the
        decoded events.
        """
        decode = decode or Decoding(self.log, [self.model])
        events = [decode(e) for e in entries if self.model.wants(e.topic)]
        last = entries[-1].notification_id
        with self.store.transaction() as session:
            session.lock(self.name)
            current = session.position(self.name)
            if current != expected:
                return 0, current  # another runner got here first; read again from there
            if events:
                self.model.apply(session, events)
            session.record_position(self.name, last)
        if events and self.on_batch is not None:
            self.on_batch(self.name, events[-1])
        return len(entries), last

    def rebuild(self) -> int:
        """The view computed afresh from the start of the log and swapped in with its
        position (see :func:`rebuild`); the number of notifications consumed."""
        return rebuild([self])[self.name]

    def reset(self) -> None:
        """Drop the view and its position and recreate it empty."""
        dialect = self.store.dialect
        with self.store.transaction() as session:
            session.lock(self.name)
            for table in self.model.tables:
                session.execute(dialect.drop_statement(table))
            session.forget_position(self.name)
            for table in self.model.tables:
                for statement in dialect.create_statements(table):
                    session.execute(statement)

    def content_hash(self) -> str:
        """SHA-256 over every row of the view, in a stable order (the position excluded)."""
        digest = hashlib.sha256()
        # Sorting and hashing a large view between its reads takes longer than the store
        # lets a transaction sit idle.
        with self.store.reading(unhurried=True) as session:
            for table in sorted(self.model.tables, key=lambda t: t.name):
                rows = session.rows(
                    f"SELECT * FROM {self.store.dialect.table(table.name)}", table=table
                )
                lines = sorted(canonical(row) for row in rows)
                digest.update(f"{table.name}\n".encode())
                for line in lines:
                    digest.update(line.encode())
                    digest.update(b"\n")
        return digest.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical(row: Row) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=_plain)


class Decoding:
    """How far each topic is decoded for a set of projections: not at all when none
    wants it, only its id, version and time when every one wanting it touches it only
    (:attr:`ReadModel.touches`), else whole."""

    def __init__(
        self, log: NotificationLog, models: Sequence[ReadModel], *, rebuilding: bool = False
    ) -> None:
        self.log = log
        self.models = models
        #: Whether for a rebuild (:attr:`ReadModel.touches_in_rebuild`).
        self.rebuilding = rebuilding
        #: By topic: the models wanting it, and whether the whole event is needed.
        self._plans: dict[str, tuple[list[ReadModel], bool]] = {}

    def plan(self, topic: str) -> tuple[list[ReadModel], bool]:
        plan = self._plans.get(topic)
        if plan is None:
            wanting = [m for m in self.models if m.wants(topic)]
            rebuilding = self.rebuilding
            whole = any(not m.touches_only(topic, rebuilding=rebuilding) for m in wanting)
            plan = self._plans[topic] = (wanting, whole)
        return plan

    def __call__(self, entry: LoggedEvent) -> LedgerEvent:
        _, whole = self.plan(entry.topic)
        return self.log.decode(entry) if whole else self.log.decode_touch(entry)


class SharedDecoding:
    """The events of one batch, each decoded once (as far as :class:`Decoding` says) for
    every projection applying it."""

    def __init__(self, decoding: Decoding) -> None:
        self.decoding = decoding
        self._decoded: dict[int, LedgerEvent] = {}

    def __call__(self, entry: LoggedEvent) -> LedgerEvent:
        event = self._decoded.get(entry.notification_id)
        if event is None:
            event = self._decoded[entry.notification_id] = self.decoding(entry)
        return event


class Projections(Mapping[str, Projection]):
    """Every projection by name, sharing one store."""

    def __init__(self, store: ViewStore, projections: Sequence[Projection]) -> None:
        self.store = store
        self._by_name = {p.name: p for p in projections}

    def __getitem__(self, name: str) -> Projection:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name))
            raise KeyError(f"no projection {name!r} (known: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def register(self) -> Projection:
        return self["register"]

    def catch_up(
        self,
        *,
        stop: threading.Event | None = None,
        only: Collection[str] | None = None,
        batch_size: int | None = None,
    ) -> dict[str, int]:
        """Catch every projection up (or those named in ``only``); notifications consumed,
        by projection.

        The log is read once per batch for all of them, from the lowest position of those
        behind, and each event is decoded once; each projection then applies the part of
        the batch after its own position in a transaction of its own (its lock, position
        check and tracking record as in :meth:`Projection.catch_up`). With ``stop``,
        returns after the batch in progress once it is set.
        """
        projections = [p for p in self._by_name.values() if only is None or p.name in only]
        done = {p.name: 0 for p in projections}
        if not projections:
            return done
        log = projections[0].log
        size = batch_size or min(p.batch_size for p in projections)
        head = log.head()
        positions = {p.name: p.position() for p in projections}
        decoding = Decoding(log, [p.model for p in projections])
        while not (stop is not None and stop.is_set()):
            behind = [p for p in projections if positions[p.name] < head]
            if not behind:
                break
            entries = log.read(min(positions[p.name] for p in behind) + 1, size)
            if not entries:
                break
            decode = SharedDecoding(decoding)
            for p in behind:
                mine = [e for e in entries if e.notification_id > positions[p.name]]
                if mine:
                    applied, positions[p.name] = p._apply(positions[p.name], mine, decode)
                    done[p.name] += applied
        return done

    def rebuild(self) -> dict[str, int]:
        """Every projection computed afresh from one read of the log and swapped in (see
        :func:`rebuild`); notifications consumed, by projection."""
        return rebuild(list(self._by_name.values()))

    def status(self) -> list[ProjectionStatus]:
        return [p.status() for p in self._by_name.values()]

    def observe(self, on_batch: Callable[[str, LedgerEvent], None]) -> None:
        """Call ``on_batch`` after every projection's committed batches."""
        for projection in self._by_name.values():
            projection.on_batch = on_batch

    def close(self) -> None:
        self.store.close()


def rebuild(
    projections: Sequence[Projection], batch_size: int = REBUILD_BATCH_SIZE
) -> dict[str, int]:
    """``projections`` (on one store) computed from the start of the log up to its head
    as it is now, and swapped in; notifications consumed, by projection.

    Nothing reads the new views before they are complete, so a rebuild needs no database
    in between: each view's rows are held in memory across batches (:class:`HeldSession`),
    each event is decoded once and only if some projection wants it, and at the end every
    table is written afresh and every position recorded in one transaction
    (:meth:`ViewStore.replace`). A crash before that commit leaves the old views and
    positions; a runner catching up meanwhile waits for the commit and goes on from the
    new positions. The rows are those the batches of :meth:`Projection.catch_up` reach.
    """
    if not projections:
        return {}
    store, log = projections[0].store, projections[0].log
    held = store.holding([t for p in projections for t in p.model.tables])
    with _few_collections():
        return _rebuild(projections, store, log, held, batch_size)


#: The cyclic collector's thresholds while a rebuild runs (see :func:`_few_collections`).
REBUILD_GC_THRESHOLDS = (100_000, 50, 1000)


@contextmanager
def _few_collections() -> Iterator[None]:
    """The cyclic garbage collector run seldom while a rebuild holds its rows: every pass
    of an older generation walks every row and fold held so far, while a rebuild's events,
    rows and folds hold no cycles that reference counting would not free. (With the
    default thresholds the collector took about half of a rebuild's CPU time: 2.0–2.2 s
    against 1.2–1.4 s for 113,382 events.) The thresholds are the process's; they are
    restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(*REBUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _rebuild(
    projections: Sequence[Projection],
    store: ViewStore,
    log: NotificationLog,
    held: HeldSession,
    batch_size: int,
) -> dict[str, int]:
    models = [p.model for p in projections]
    decoding = Decoding(log, models, rebuilding=True)
    # By topic: how it is decoded and the models (by index) it goes to; None: to none.
    routes: dict[str, tuple[Callable[[LoggedEvent], LedgerEvent], tuple[int, ...]] | None] = {}
    position = consumed = 0
    for entries in log.stream(1, log.head(), batch_size):
        events: list[list[LedgerEvent]] = [[] for _ in models]
        for entry in entries:
            topic = entry.topic
            try:
                route = routes[topic]
            except KeyError:
                route = routes[topic] = _route(decoding, models, topic)
            if route is not None:
                event = route[0](entry)
                for i in route[1]:
                    events[i].append(event)
        for m, theirs in zip(models, events, strict=True):
            if theirs:
                m.apply(held, theirs)
        position = entries[-1].notification_id
        consumed += len(entries)
    for m in models:
        m.finish(held)
    store.replace(held, {p.name: position for p in projections})
    return {p.name: consumed for p in projections}


def _route(
    decoding: Decoding, models: Sequence[ReadModel], topic: str
) -> tuple[Callable[[LoggedEvent], LedgerEvent], tuple[int, ...]] | None:
    """How a rebuild decodes ``topic`` and which of ``models`` (by index) it goes to."""
    wanting, whole = decoding.plan(topic)
    if not wanting:
        return None
    log = decoding.log
    return (
        log.decode if whole else log.decode_touch,
        tuple(i for i, m in enumerate(models) if m in wanting),
    )
