"""The filters the dashboard's lists share, as typed values, and reading every page of a list.

A filter is parsed from the query string once, at the edge; the read functions take it
as keyword arguments (:meth:`Place.arguments`). A filter outside the caller's scope matches
nothing (see :func:`projections.queries.allowed_scope`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypeVar

from projections.queries import MAX_LIMIT, Page

T = TypeVar("T")


@dataclass(frozen=True)
class Place:
    """Where: a jurisdiction and a district of it (``None``: any)."""

    jurisdiction: str | None = None
    district: str | None = None

    def arguments(self) -> dict[str, Any]:
        """The filter as the read functions' keyword arguments."""
        return asdict(self)


@dataclass(frozen=True)
class RegisterFilter(Place):
    """The register's filters: where, which filing status, which occupation."""

    status: str | None = None
    occupation: str | None = None


@dataclass(frozen=True)
class SanctionFilter(Place):
    """The sanction ledger's filters: where, which level and article, which months."""

    level: int | None = None
    article: str | None = None
    month_from: str | None = None
    month_to: str | None = None


@dataclass(frozen=True)
class WorkloadFilter(Place):
    """Supervisor workload's filters: where, and assignments starting on or after ``since``."""

    since: date | None = None


@dataclass(frozen=True)
class Paging:
    """Which page of a list: after ``cursor`` (``None``: the first), ``limit`` rows."""

    cursor: str | None = None
    limit: int = 25


def every_row(read: Callable[[str | None, int], Page[T]]) -> Iterator[T]:
    """Every row of a paged list, reading ``read(cursor, limit)`` page by page."""
    cursor: str | None = None
    while True:
        page = read(cursor, MAX_LIMIT)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
