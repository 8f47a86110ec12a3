"""Helpers for read models that keep several tables: their declaration, the rows held for
one batch, and dispatch.

A read model loads the rows its batch may touch (usually every row of the institutions
the batch names), changes them in memory as the events say, and writes back only the rows
that changed, once, at the end of the batch, in the batch's transaction.

Most read models keep their own copy of what each institution's filing states (its name
and place), so that each can be rebuilt alone: :func:`lookup_table` declares that table and
:func:`filing_handlers` keeps it as the filing events state it. Their other tables hold
rows of one institution each, declared by :func:`institution_rows`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from domain.events import (
    CaseDecided,
    DetailsChanged,
    FilingResubmitted,
    FilingSubmitted,
    LedgerEvent,
)
from projections.store import Column, Index, Row, Table, ViewSession

H = TypeVar("H")

Key = tuple[Any, ...]


class BatchRows:
    """The rows of one table that a batch reads and writes, by primary key."""

    def __init__(self, session: ViewSession, table: Table) -> None:
        self.session = session
        self.table = table
        self._rows: dict[Key, Row] = {}
        self._loaded: dict[Key, Row] = {}

    def key(self, row: Mapping[str, Any]) -> Key:
        return tuple(row[c] for c in self.table.primary_key)

    def load(self, column: str, values: Collection[Any]) -> None:
        """Hold every stored row whose ``column`` is one of ``values``."""
        if not values:
            return
        held = self.session.holds_rows
        for row in self.session.fetch(self.table, column, values):
            key = self.key(row)
            self._rows[key] = row
            if not held:
                self._loaded[key] = copy.deepcopy(row)

    def get(self, *key: Any) -> Row | None:
        return self._rows.get(tuple(key))

    def add(self, row: Row) -> Row:
        """Hold a new row (or replace the one held under its key)."""
        self._rows[self.key(row)] = row
        return row

    def where(self, **equals: Any) -> Iterator[Row]:
        """The held rows whose columns have these values."""
        for row in self._rows.values():
            if all(row.get(c) == v for c, v in equals.items()):
                yield row

    def flush(self) -> None:
        """Write back the rows added or changed since they were loaded.

        (A rebuild's rows are the ones held, changed in place: all are written back, to
        memory, without comparing.)
        """
        if self.session.holds_rows:
            self.session.upsert(self.table, list(self._rows.values()))
            return
        changed = [
            row
            for key, row in self._rows.items()
            if key not in self._loaded or self._loaded[key] != row
        ]
        if changed:
            self.session.upsert(self.table, changed)
        self._loaded = {k: copy.deepcopy(r) for k, r in self._rows.items()}


class BatchTables:
    """The rows of several tables that one batch reads and writes, written back together."""

    def __init__(self, session: ViewSession, keys: Collection[Any]) -> None:
        self.session = session
        #: What the batch is about: the ids of the aggregates its events belong to.
        self.keys = keys
        self._held: dict[str, BatchRows] = {}

    def hold(self, table: Table, by: str | None = None) -> BatchRows:
        """Hold ``table``'s rows whose ``by`` column is one of the batch's keys.

        Without ``by`` nothing is loaded: the table's rows are only ever added.
        """
        rows = BatchRows(self.session, table)
        if by is not None:
            rows.load(by, self.keys)
        self._held[table.name] = rows
        return rows

    def rows(self, table: Table) -> BatchRows:
        return self._held[table.name]

    def flush(self) -> None:
        for rows in self._held.values():
            rows.flush()


class Batch(Protocol):
    """The rows a read model holds for one batch."""

    def flush(self) -> None: ...


B = TypeVar("B", bound=Batch)


def apply_handlers(
    handlers: Mapping[type[LedgerEvent], Callable[[B, Any], None]],
    batch: B,
    events: Sequence[LedgerEvent],
) -> None:
    """Let each event's handler change ``batch``, in log order, then write it back."""
    for event in events:
        handler = handler_for(handlers, type(event))
        if handler is not None:
            handler(batch, event)
    batch.flush()


def handler_for(handlers: Mapping[type[LedgerEvent], H], cls: type[LedgerEvent]) -> H | None:
    """The handler registered for ``cls`` or its nearest base class."""
    for base in cls.__mro__:
        handler = handlers.get(base)
        if handler is not None:
            return handler
    return None


# --- counts kept beside the rows ----------------------------------------------------------

#: How many rows each key counts (a key's first value is the jurisdiction).
Counts = dict[Key, int]


def tally(rows: Iterable[Row], keys: Callable[[Row], Iterable[Key]]) -> Counts:
    """Each key ``keys`` gives for the rows, and how many times it is given."""
    counts: Counts = {}
    for row in rows:
        for key in keys(row):
            counts[key] = counts.get(key, 0) + 1
    return counts


def moved(before: Counts, after: Counts) -> Counts:
    """What each key gained (or lost) from ``before`` to ``after``."""
    return {
        key: n
        for key in before.keys() | after.keys()
        if (n := after.get(key, 0) - before.get(key, 0))
    }


def add_counts(session: ViewSession, table: Table, changes: Counts) -> None:
    """Add ``changes`` to the counts ``table`` keeps: its primary key is the key (the
    jurisdiction first), its one other column the count. The counts of each jurisdiction
    touched are written anew, a key left with none dropped, so that the table is the same
    whatever the batches were (and a rebuild's, held in memory, alike)."""
    changes = {key: n for key, n in changes.items() if n}
    if not changes:
        return
    names = table.primary_key
    (count,) = (c.name for c in table.columns if c.name not in names)
    jurisdictions = {key[0] for key in changes}
    counts = {
        tuple(r[c] for c in names): int(r[count])
        for r in session.fetch(table, names[0], jurisdictions)
    }
    for key, n in changes.items():
        counts[key] = counts.get(key, 0) + n
    session.delete(table, names[0], jurisdictions)
    rows = [{**dict(zip(names, key, strict=True)), count: n} for key, n in counts.items() if n]
    session.insert(table, rows)


def fill_counts(session: ViewSession, table: Table, columns: str, select: str) -> None:
    """``table``'s counts from ``select`` (its ``columns``, in order), where it holds none: a
    store whose rows were projected before the model kept counts beside them. Where the
    rows give no count either, there is nothing to fill, each time."""
    d = session.dialect
    if session.rows(f"SELECT 1 AS found FROM {d.table(table.name)} LIMIT 1"):
        return
    session.execute(f"INSERT INTO {d.table(table.name)} ({columns}) {select}")


def month_of(day: date) -> str:
    """The month ("YYYY-MM") of a business date."""
    return f"{day.year:04d}-{day.month:02d}"


def requirement_columns(e: CaseDecided) -> Row:
    """What the rules required of a decision and whether it fell below that, as columns."""
    requirement = e.requirement or {}
    level = requirement.get("level")
    return {
        "requirement_level": int(level) if level is not None else None,
        "requirement_article": requirement.get("article"),
        "below_requirement": 1 if e.below_requirement else 0,
    }


# --- tables -------------------------------------------------------------------------------


#: What most lookup tables keep: the institution's name and place.
NAME_AND_PLACE = ("name", "jurisdiction", "district")


def lookup_table(name: str, columns: Sequence[str], indexes: tuple[Index, ...] = ()) -> Table:
    """A read model's copy of each institution's filing facts (``columns``), keyed by ``id``."""
    return Table(
        name=name,
        columns=(
            Column("id", "uuid", nullable=False),
            *(Column(c, nullable=False) for c in columns),
        ),
        primary_key=("id",),
        indexes=indexes,
    )


def institution_rows(
    name: str, key: Sequence[str], *columns: Column, indexes: tuple[Index, ...] = ()
) -> Table:
    """A table of rows of one institution each, keyed by ``institution_id`` and ``key``."""
    return Table(
        name=name,
        columns=(
            Column("institution_id", "uuid", nullable=False),
            *(Column(c, nullable=False) for c in key),
            *columns,
        ),
        primary_key=("institution_id", *key),
        indexes=indexes,
    )


# --- the institutions' filing facts -------------------------------------------------------

#: What a re-filing or a change of details can change of the facts a lookup table keeps
#: (the credit code and jurisdiction name the record, so they never change).
CHANGEABLE = ("name", "district")

FilingHandler = Callable[[BatchTables, Any], None]


def filing_handlers(table: Table) -> dict[type[LedgerEvent], FilingHandler]:
    """Handlers keeping ``table`` (a :func:`lookup_table`) as the filing events state it.

    ``FilingSubmitted`` writes the row; ``FilingResubmitted`` and ``DetailsChanged`` change
    the name and district where the table keeps them. The batch must hold ``table``.
    """
    copied = tuple(c for c in table.column_names if c != "id")
    changeable = tuple(c for c in copied if c in CHANGEABLE)

    def submitted(b: BatchTables, e: FilingSubmitted) -> None:
        b.rows(table).add({"id": e.originator_id, **{c: getattr(e, c) for c in copied}})

    def resubmitted(b: BatchTables, e: FilingResubmitted) -> None:
        row = b.rows(table).get(e.originator_id)
        if row is not None:
            row.update({c: getattr(e, c) for c in changeable})

    def details_changed(b: BatchTables, e: DetailsChanged) -> None:
        row = b.rows(table).get(e.originator_id)
        if row is not None:
            row.update({c: e.changes[c] for c in changeable if c in e.changes})

    return {
        FilingSubmitted: submitted,
        FilingResubmitted: resubmitted,
        DetailsChanged: details_changed,
    }
