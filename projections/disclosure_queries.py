"""Typed reads of the public disclosure list (:mod:`projections.disclosure`).

This is the public list: no scope applies, and entries carry no personal data (only the
institution's name, credit code and jurisdiction, the decision's id and articles, dates).

Public functions:

``public_entries(store, on: date, jurisdiction: str | None = None, *, limit=None)
-> list[DisclosureEntry]``
    The entries in force on ``on`` (``published_on <= on`` and no ``ends_on`` or
    ``on < ends_on``), newest publication first, then by institution name and entry id
    (the first ``limit`` of them, or all).

``ended_entries(store, on: date, jurisdiction: str | None = None, *, limit: int)
-> list[DisclosureEntry]``
    The first ``limit`` entries ever published that are not in force on ``on`` (ended by
    then, or published later), in the order of :func:`publication_history`.

``count_entries(store, on: date, jurisdiction: str | None = None) -> EntryCounts``
    How many entries are in force on ``on`` and how many are not (one counting read).

``publication_history(store, institution_id: UUID | None = None, *,
jurisdiction: str | None = None) -> list[DisclosureEntry]``
    Every entry ever published, ended ones included, with its start, end and the reason
    it ended: the auditable history of publications, oldest first (then by entry id:
    an institution's entries in the order of the events that published them).

``ends_on`` and ``ended_reason`` are as now known: an entry ended later than ``on`` shows
that end (and a ban shows the day it expires from the day it is published).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from projections.disclosure import ENTRIES
from projections.querying import Select
from projections.store import Row, ViewStore


@dataclass(frozen=True)
class DisclosureEntry:
    entry_id: str
    #: rectification_notice | abnormal_activity_list | revocation | ban
    kind: str
    institution_id: UUID
    institution_name: str
    credit_code: str
    jurisdiction: str
    decision_id: str
    articles: tuple[str, ...]
    published_on: date
    #: The first day it is no longer in force; None while no end is known.
    ends_on: date | None
    #: accepted | annulled | varied | ban_expired; None while no end is known.
    ended_reason: str | None

    def in_force_on(self, day: date) -> bool:
        return self.published_on <= day and (self.ends_on is None or day < self.ends_on)


def _entry(row: Row) -> DisclosureEntry:
    return DisclosureEntry(
        entry_id=row["entry_id"],
        kind=row["kind"],
        institution_id=row["institution_id"],
        institution_name=row["institution_name"],
        credit_code=row["credit_code"],
        jurisdiction=row["jurisdiction"],
        decision_id=row["decision_id"],
        articles=tuple(row["articles"] or ()),
        published_on=row["published_on"],
        ends_on=row["ends_on"],
        ended_reason=row["ended_reason"],
    )


#: An entry in force on ``:on``.
IN_FORCE = "e.published_on <= :on AND (e.ends_on IS NULL OR e.ends_on > :on)"


@dataclass(frozen=True)
class EntryCounts:
    in_force: int
    #: Published, but not in force on the day asked about.
    not_in_force: int


def public_entries(
    store: ViewStore, on: date, jurisdiction: str | None = None, *, limit: int | None = None
) -> list[DisclosureEntry]:
    """The entries in force on ``on`` (the first ``limit``, or all)."""
    select = (
        Select(store.dialect, ENTRIES, "e")
        .where(IN_FORCE, on=on)
        .equals("jurisdiction", jurisdiction)
        .order_by("e.published_on DESC, e.institution_name, e.entry_id")
    )
    if limit is not None:
        select.limit(limit)
    return [_entry(r) for r in select.read(store, ENTRIES)]


def ended_entries(
    store: ViewStore, on: date, jurisdiction: str | None = None, *, limit: int
) -> list[DisclosureEntry]:
    """The first ``limit`` published entries not in force on ``on``, oldest first."""
    rows = (
        Select(store.dialect, ENTRIES, "e")
        .where(f"NOT ({IN_FORCE})", on=on)
        .equals("jurisdiction", jurisdiction)
        .order_by("e.published_on, e.entry_id")
        .limit(limit)
        .read(store, ENTRIES)
    )
    return [_entry(r) for r in rows]


def count_entries(store: ViewStore, on: date, jurisdiction: str | None = None) -> EntryCounts:
    """The entries in force on ``on`` and the others, counted."""
    (row,) = (
        Select(store.dialect, ENTRIES, "e")
        .columns(f"COUNT(*) AS n, SUM(CASE WHEN {IN_FORCE} THEN 1 ELSE 0 END) AS in_force")
        .bind(on=on)
        .equals("jurisdiction", jurisdiction)
        .read(store)
    )
    in_force = int(row["in_force"] or 0)
    return EntryCounts(in_force=in_force, not_in_force=int(row["n"]) - in_force)


def publication_history(
    store: ViewStore,
    institution_id: UUID | None = None,
    *,
    jurisdiction: str | None = None,
) -> list[DisclosureEntry]:
    """Every entry ever published, with its start and end, oldest first."""
    rows = (
        Select(store.dialect, ENTRIES, "e")
        .in_place(jurisdiction, None, institution_id)
        .order_by("e.published_on, e.entry_id")
        .read(store, ENTRIES)
    )
    return [_entry(r) for r in rows]
