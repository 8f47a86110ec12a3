"""Helpers for read models that keep several tables: rows held for one batch, and dispatch.

A read model loads the rows its batch may touch (usually every row of the institutions
the batch names), changes them in memory as the events say, and writes back only the rows
that changed, once, at the end of the batch, in the batch's transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from domain.events import LedgerEvent
from projections.store import Row, Table, ViewSession

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
        for row in self.session.fetch(self.table, column, values):
            key = self.key(row)
            self._rows[key] = row
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
        """Write back the rows added or changed since they were loaded."""
        changed = [
            row
            for key, row in self._rows.items()
            if key not in self._loaded or self._loaded[key] != row
        ]
        if changed:
            self.session.upsert(self.table, changed)
        self._loaded = {k: copy.deepcopy(r) for k, r in self._rows.items()}


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


def month_of(day: date) -> str:
    """The month ("YYYY-MM") of a business date."""
    return f"{day.year:04d}-{day.month:02d}"
