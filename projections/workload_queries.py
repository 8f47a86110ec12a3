"""Typed reads of supervisor workload and rotation (:mod:`projections.workload`).

``supervisor_workload(store, *, jurisdiction=None, district=None, since=None,
allowed_jurisdiction=None, allowed_district=None) -> list[SupervisorLoad]``
    Per supervisor of the place: assignments (not withdrawn) starting on or after
    ``since``, of which special supervisions and those with no visit record filed yet,
    withdrawn ones, visit records filed, and the last start date. Ordered by most
    assignments, then card number.

``rotation_counters(store, *, institution_id=None, jurisdiction=None, district=None,
allowed_jurisdiction=None, allowed_district=None) -> list[RotationCounter]``
    For each institution, each supervisor sent on its latest assignments (with their name
    and card, and the institution's jurisdiction) and how many times in a row (withdrawn
    assignments skipped, date order): the count zhengzhou-2014/19 limits to three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from projections.querying import Select
from projections.store import Table, ViewStore
from projections.workload import ASSIGNMENTS, SUPERVISORS


@dataclass(frozen=True)
class SupervisorLoad:
    supervisor_id: UUID
    name: str
    card_number: str
    jurisdiction: str
    district: str | None
    assignments: int
    special: int
    withdrawn: int
    visits: int
    last_assigned_on: date | None
    #: Assignments (not withdrawn) with no visit record filed yet.
    open: int = 0


@dataclass(frozen=True)
class RotationCounter:
    institution_id: str
    institution_name: str
    supervisor_id: str
    consecutive: int
    jurisdiction: str = ""
    supervisor_name: str = ""
    card_number: str = ""


def _rows(store: ViewStore, table: Table, where: dict[str, Any]) -> list[dict[str, Any]]:
    select = Select(store.dialect, table, "w")
    for column, value in where.items():
        select.equals(column, value)
    return select.read(store, table)


def _place(
    jurisdiction: str | None,
    district: str | None,
    allowed_jurisdiction: str | None,
    allowed_district: str | None,
) -> dict[str, Any] | None:
    """Equality filters for the place, or None when it lies outside the caller's scope."""
    where: dict[str, Any] = {}
    for column, wanted, allowed in (
        ("jurisdiction", jurisdiction, allowed_jurisdiction),
        ("district", district, allowed_district),
    ):
        if allowed is not None and wanted is not None and wanted != allowed:
            return None
        value = allowed if allowed is not None else wanted
        if value is not None:
            where[column] = value
    return where


def supervisor_workload(
    store: ViewStore,
    *,
    jurisdiction: str | None = None,
    district: str | None = None,
    since: date | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
) -> list[SupervisorLoad]:
    where = _place(jurisdiction, district, allowed_jurisdiction, allowed_district)
    if where is None:
        return []
    supervisors = _rows(store, SUPERVISORS, where)
    place = {k: v for k, v in where.items() if k == "jurisdiction"}
    assignments = [
        a for a in _rows(store, ASSIGNMENTS, place) if since is None or a["starts_on"] >= since
    ]
    loads: list[SupervisorLoad] = []
    for s in supervisors:
        sid = str(s["supervisor_id"])
        mine = [a for a in assignments if sid in a["supervisors"]]
        active = [a for a in mine if not a["withdrawn"]]
        loads.append(
            SupervisorLoad(
                supervisor_id=UUID(sid),
                name=s["name"],
                card_number=s["card_number"],
                jurisdiction=s["jurisdiction"],
                district=s["district"],
                assignments=len(active),
                special=sum(1 for a in active if a["kind"] == "special"),
                withdrawn=len(mine) - len(active),
                visits=sum(int(a["visits"]) for a in mine),
                last_assigned_on=max((a["starts_on"] for a in active), default=None),
                open=sum(1 for a in active if not int(a["visits"])),
            )
        )
    return sorted(loads, key=lambda x: (-x.assignments, x.card_number))


def rotation_counters(
    store: ViewStore,
    *,
    institution_id: str | None = None,
    jurisdiction: str | None = None,
    district: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
) -> list[RotationCounter]:
    where = _place(jurisdiction, district, allowed_jurisdiction, allowed_district)
    if where is None:
        return []
    if institution_id is not None:
        where["institution_id"] = str(institution_id)
    rows = [a for a in _rows(store, ASSIGNMENTS, where) if not a["withdrawn"]]
    place = {k: v for k, v in where.items() if k == "jurisdiction"}
    people = {str(s["supervisor_id"]): s for s in _rows(store, SUPERVISORS, place)}
    by_institution: dict[str, list[dict[str, Any]]] = {}
    for a in sorted(rows, key=lambda a: (a["starts_on"], str(a["assignment_id"]))):
        by_institution.setdefault(a["institution_id"], []).append(a)
    counters: list[RotationCounter] = []
    for iid, sequence in sorted(by_institution.items()):
        for sid in sorted(sequence[-1]["supervisors"]):
            run = 0
            for a in reversed(sequence):
                if sid not in a["supervisors"]:
                    break
                run += 1
            person = people.get(sid, {})
            counters.append(
                RotationCounter(
                    iid,
                    sequence[-1]["institution_name"],
                    sid,
                    run,
                    jurisdiction=sequence[-1]["jurisdiction"],
                    supervisor_name=person.get("name", ""),
                    card_number=person.get("card_number", ""),
                )
            )
    return counters
