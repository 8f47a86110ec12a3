"""Supervisor workload and rotation counters (copied from supervision events).

Tables:

- ``workload_supervisors``: one row per supervisor (name, card, jurisdiction, district);
- ``workload_assignments``: one row per assignment: institution, kind, the supervisors
  sent, the start date, whether it was withdrawn, how many visit records were filed.

The queries in :mod:`projections.workload_queries` count assignments and visits per
supervisor and walk each institution's assignments in date order for the rotation
counters (zhengzhou-2014/19: how many times in a row a supervisor has been sent there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from domain.events import (
    AssignmentMade,
    AssignmentWithdrawn,
    LedgerEvent,
    SupervisorCertified,
    VisitFiled,
)
from projections.base import ReadModel
from projections.rows import BatchTables, apply_handlers
from projections.store import Column, Index, Table, ViewSession

SUPERVISORS = Table(
    name="workload_supervisors",
    columns=(
        Column("supervisor_id", "uuid", nullable=False),
        Column("name", nullable=False),
        Column("card_number", nullable=False),
        Column("jurisdiction", nullable=False),
        Column("district"),
    ),
    primary_key=("supervisor_id",),
    indexes=(Index("workload_supervisors_by_place", ("jurisdiction", "district")),),
)

ASSIGNMENTS = Table(
    name="workload_assignments",
    columns=(
        Column("assignment_id", "uuid", nullable=False),
        Column("institution_id", nullable=False),
        Column("institution_name", nullable=False),
        Column("jurisdiction", nullable=False),
        Column("district", nullable=False),
        Column("kind", nullable=False),
        Column("supervisors", "json", nullable=False),
        Column("starts_on", "date", nullable=False),
        Column("withdrawn", "int", nullable=False),
        Column("visits", "int", nullable=False),
    ),
    primary_key=("assignment_id",),
    indexes=(
        Index("workload_assignments_by_institution", ("institution_id", "starts_on")),
        Index("workload_assignments_by_place", ("jurisdiction", "district")),
    ),
)


class _Batch(BatchTables):
    def __init__(self, session: ViewSession, ids: set[Any]) -> None:
        super().__init__(session, ids)
        self.supervisors = self.hold(SUPERVISORS, "supervisor_id")
        self.assignments = self.hold(ASSIGNMENTS, "assignment_id")


def _certified(b: _Batch, e: SupervisorCertified) -> None:
    b.supervisors.add(
        {
            "supervisor_id": e.originator_id,
            "name": e.name,
            "card_number": e.card_number,
            "jurisdiction": e.jurisdiction,
            "district": e.district,
        }
    )


def _assigned(b: _Batch, e: AssignmentMade) -> None:
    b.assignments.add(
        {
            "assignment_id": e.originator_id,
            "institution_id": e.institution_id,
            "institution_name": e.institution_name,
            "jurisdiction": e.jurisdiction,
            "district": e.district,
            "kind": e.kind,
            "supervisors": list(e.supervisors),
            "starts_on": e.starts_on,
            "withdrawn": 0,
            "visits": 0,
        }
    )


def _withdrawn(b: _Batch, e: AssignmentWithdrawn) -> None:
    row = b.assignments.get(e.originator_id)
    if row is not None:
        row["withdrawn"] = 1


def _visited(b: _Batch, e: VisitFiled) -> None:
    row = b.assignments.get(e.originator_id)
    if row is not None:
        row["visits"] = int(row["visits"]) + 1


Handler = Callable[[_Batch, Any], None]

HANDLERS: dict[type[LedgerEvent], Handler] = {
    SupervisorCertified: _certified,
    AssignmentMade: _assigned,
    AssignmentWithdrawn: _withdrawn,
    VisitFiled: _visited,
}


class Workload(ReadModel):
    name: ClassVar[str] = "workload"
    tables: ClassVar[tuple[Table, ...]] = (SUPERVISORS, ASSIGNMENTS)
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(HANDLERS)

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        batch = _Batch(session, {e.originator_id for e in events})
        apply_handlers(HANDLERS, batch, events)
