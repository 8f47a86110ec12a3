"""What the typed read functions share: the caller's scope, limits, months, cursors, pages,
and :class:`Select`, the one builder of their statements.

The caller's scope arrives as the ``allowed_*`` arguments made by
:func:`projections.queries.allowed_scope`; a :class:`Select` starts with it, before the
query's own filters, so a filter outside the scope matches nothing.

Every value goes into a statement as a ``:name`` parameter (the dialect turns it into the
backend's style); only table and column names, which come from the code, are written into
the text. So one statement runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, NoReturn, TypedDict, TypeVar
from uuid import UUID

from domain.errors import InvalidInput
from projections.store import Dialect, Row, Table, ViewSession, ViewStore

T = TypeVar("T")

MAX_LIMIT = 500

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class Scope(TypedDict, total=False):
    """The caller's scope, as :func:`projections.queries.allowed_scope` makes it."""

    allowed_jurisdiction: str | None
    allowed_district: str | None
    allowed_institution_id: UUID | None


def scope_of(filters: Mapping[str, Any]) -> Scope:
    """The scope among a query's keyword arguments."""
    return Scope(
        allowed_jurisdiction=filters.get("allowed_jurisdiction"),
        allowed_district=filters.get("allowed_district"),
        allowed_institution_id=filters.get("allowed_institution_id"),
    )


def check_filters(filters: Mapping[str, Any], known: Collection[str]) -> None:
    """Refuse a keyword argument a query does not know, as a named parameter would."""
    unknown = sorted(set(filters) - set(known))
    if unknown:
        raise TypeError(f"unexpected filters: {', '.join(unknown)}")


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")


def check_month(value: str | None, field: str) -> None:
    """A month argument is ``"YYYY-MM"`` (or absent)."""
    if value is not None and not _MONTH.match(value):
        raise InvalidInput(f"{field} must be a month written YYYY-MM", field=field)


# --- snapshots ---------------------------------------------------------------------------

#: The snapshot :func:`one_snapshot` opened, and the store it reads.
_SNAPSHOT: ContextVar[tuple[ViewStore, ViewSession] | None] = ContextVar(
    "projections_snapshot", default=None
)


@contextmanager
def reading(store: ViewStore) -> Iterator[ViewSession]:
    """A snapshot of ``store`` to read in: the one :func:`one_snapshot` opened around
    this read, else one of its own."""
    current = _SNAPSHOT.get()
    if current is not None and current[0] is store:
        yield current[1]
        return
    with store.reading() as session:
        yield session


@contextmanager
def one_snapshot(store: ViewStore) -> Iterator[None]:
    """Every read of ``store`` in the block in one snapshot: one read-only transaction
    (a page's reads agree with each other, and pay for one transaction, not one each)."""
    with reading(store) as session:
        token = _SNAPSHOT.set((store, session))
        try:
            yield
        finally:
            _SNAPSHOT.reset(token)


# --- cursors and pages --------------------------------------------------------------------


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: Pass back as ``cursor`` for the next page; ``None`` on the last page.
    next_cursor: str | None


def page(
    rows: Sequence[Row], limit: int, item: Callable[[Row], T], key: Callable[[T], str]
) -> Page[T]:
    """The first ``limit`` of ``rows`` (read with one more, to know whether more follow);
    the cursor names the ``key`` of the last item returned."""
    items = [item(r) for r in rows[:limit]]
    more = len(rows) > limit and bool(items)
    return Page(items=items, next_cursor=key(items[-1]) if more else None)


def encode_key(*values: str) -> str:
    """An opaque cursor naming the sort key of the last row returned."""
    raw = json.dumps(list(values), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _not_issued(cause: Exception | None = None) -> NoReturn:
    raise InvalidInput("the cursor is not one this service issued", field="cursor") from cause


def decode_key(cursor: str, size: int) -> list[str]:
    """The ``size`` values :func:`encode_key` put in ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        _not_issued(exc)
    if not isinstance(values, list) or len(values) != size:
        _not_issued()
    keys = [str(v) for v in values]
    if not all(_storable(key) for key in keys):
        _not_issued()
    return keys


def _storable(value: str) -> bool:
    """Whether every store can compare ``value``: no NUL (PostgreSQL text refuses it) and
    no lone surrogate (not UTF-8). A cursor this service issued never holds either."""
    return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def decode_uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        _not_issued(exc)


def decode_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        _not_issued(exc)


# --- the statements -----------------------------------------------------------------------


class Select:
    """One parameterised SELECT on a view table (and the tables it joins), built in steps.

    ``place`` is the alias of the table holding the institution's jurisdiction, district
    and id (``id_column``): the scope, :meth:`equals` and :meth:`in_place` apply to it. It
    is the selected table unless a joined one holds them.
    """

    def __init__(
        self,
        dialect: Dialect,
        table: Table,
        alias: str,
        *,
        place: str | None = None,
        id_column: str = "institution_id",
        allowed_jurisdiction: str | None = None,
        allowed_district: str | None = None,
        allowed_institution_id: UUID | None = None,
    ) -> None:
        self.dialect = dialect
        self.alias = alias
        self.place = place or alias
        self.id_column = id_column
        self.source = f"{dialect.table(table.name)} {alias}"
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}
        self._columns = f"{alias}.*"
        self._group_by: str | None = None
        self._order_by: str | None = None
        self._limit: int | None = None
        self.equals("jurisdiction", allowed_jurisdiction, "allowed_jurisdiction")
        self.equals("district", allowed_district, "allowed_district")
        self.equals(id_column, allowed_institution_id, "allowed_institution_id")

    def join(self, table: Table, alias: str, on: str) -> Select:
        self.source += f" JOIN {self.dialect.table(table.name)} {alias} ON {on}"
        return self

    def left_join(self, table: Table, alias: str, on: str) -> Select:
        self.source += f" LEFT JOIN {self.dialect.table(table.name)} {alias} ON {on}"
        return self

    def where(self, clause: str, **params: Any) -> Select:
        self.clauses.append(clause)
        return self.bind(**params)

    def bind(self, **params: Any) -> Select:
        """Parameters the selected columns name (those of conditions come with them)."""
        self.params.update(params)
        return self

    def equals(self, column: str, value: Any, param: str | None = None) -> Select:
        """``column`` (of the place) equals ``value``, unless ``value`` is None (no condition)."""
        if value is None:
            return self
        param = param or column
        return self.where(f"{self.place}.{column} = :{param}", **{param: value})

    def in_place(
        self,
        jurisdiction: str | None,
        district: str | None,
        institution_id: UUID | None = None,
    ) -> Select:
        """The place filters: a jurisdiction, a district, an institution (each optional)."""
        self.equals("jurisdiction", jurisdiction)
        self.equals("district", district)
        return self.equals(self.id_column, institution_id, "institution_id")

    def months(self, month_from: str | None, month_to: str | None) -> Select:
        """Inclusive "YYYY-MM" bounds on the place's ``month`` column (each optional)."""
        check_month(month_from, "month_from")
        check_month(month_to, "month_to")
        if month_from is not None:
            self.where(f"{self.place}.month >= :month_from", month_from=month_from)
        if month_to is not None:
            self.where(f"{self.place}.month <= :month_to", month_to=month_to)
        return self

    def exists(self, table: Table, alias: str, condition: str, **params: Any) -> Select:
        """A row of ``table`` meets ``condition`` (which may name this query's aliases)."""
        return self.where(
            f"EXISTS (SELECT 1 FROM {self.dialect.table(table.name)} {alias} WHERE {condition})",
            **params,
        )

    def after(self, *key: tuple[str, str, Any], descending: bool = False) -> Select:
        """Rows that sort after the one whose sort key is ``key``: its (column, parameter,
        value) triples, in sort order (a keyset cursor). Written as one row comparison,
        so an index on the key's columns starts the scan at the cursor."""
        op = "<" if descending else ">"
        columns = ", ".join(column for column, _, _ in key)
        values = ", ".join(f":{param}" for _, param, _ in key)
        return self.where(
            f"({columns}) {op} ({values})", **{param: value for _, param, value in key}
        )

    def columns(self, columns: str) -> Select:
        """What to select (by default every column of the selected table)."""
        self._columns = columns
        return self

    def group_by(self, columns: str) -> Select:
        self._group_by = columns
        return self

    def order_by(self, columns: str) -> Select:
        self._order_by = columns
        return self

    def limit(self, limit: int) -> Select:
        self._limit = limit
        return self

    def statement(self) -> str:
        condition = " AND ".join(self.clauses) if self.clauses else "1 = 1"
        text = f"SELECT {self._columns} FROM {self.source} WHERE {condition}"
        if self._group_by is not None:
            text += f" GROUP BY {self._group_by}"
        if self._order_by is not None:
            text += f" ORDER BY {self._order_by}"
        if self._limit is not None:
            text += " LIMIT :limit"
        return self.dialect.sql(text)

    def rows(self, session: ViewSession, shape: Table | None = None) -> list[Row]:
        """The rows, their values read as ``shape``'s columns say (text where it says none)."""
        params = self.params if self._limit is None else {**self.params, "limit": self._limit}
        return session.rows(self.statement(), params, shape)

    def read(self, store: ViewStore, shape: Table | None = None) -> list[Row]:
        """:meth:`rows`, in a snapshot of its own (or the one :func:`one_snapshot` opened)."""
        with reading(store) as session:
            return self.rows(session, shape)
