"""Complaint statistics: one row per complaint, as ``ComplaintReceived`` and
``ComplaintVerified`` state it.

Copies facts only: when it was received (and its month, "YYYY-MM" of the business date),
by which channel, and, once verified, when and whether it was substantiated. The summary
and reference are not copied (they may name people). The institution's jurisdiction and
district are those its filing events state on the day the complaint is received; the
model keeps that lookup in its own table, so it can be rebuilt alone.

Tables:

- ``complaints_institutions``: name, jurisdiction and district of each institution;
- ``complaints_complaints``: the row per complaint;
- ``complaints_counts``: the complaints per (jurisdiction, district, month, outcome:
  ``substantiated``, ``unsubstantiated`` or ``pending``), kept in the batch's transaction
  as its rows change, so that the dashboard's chart sums a few rows instead of counting
  every complaint.

Reads: :mod:`projections.complaints_queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from domain.events import ComplaintReceived, ComplaintVerified, LedgerEvent
from projections.base import ReadModel
from projections.rows import (
    NAME_AND_PLACE,
    BatchTables,
    Key,
    add_counts,
    apply_handlers,
    filing_handlers,
    fill_counts,
    institution_rows,
    lookup_table,
    month_of,
    moved,
    tally,
)
from projections.store import Column, Index, Row, Table, ViewSession

INSTITUTIONS = lookup_table("complaints_institutions", NAME_AND_PLACE)

COMPLAINTS = institution_rows(
    "complaints_complaints",
    ("complaint_id",),
    Column("jurisdiction", nullable=False),
    Column("district", nullable=False),
    Column("channel", nullable=False),
    Column("received_on", "date", nullable=False),
    Column("month", nullable=False),
    Column("verified_on", "date"),
    #: 1 substantiated, 0 not substantiated, NULL not yet verified.
    Column("substantiated", "int"),
    indexes=(
        Index("complaints_complaints_by_place", ("jurisdiction", "district", "month")),
        Index("complaints_complaints_by_month", ("month",)),
    ),
)


COUNTS = Table(
    name="complaints_counts",
    columns=(
        Column("jurisdiction", nullable=False),
        Column("district", nullable=False),
        Column("month", nullable=False),
        #: substantiated | unsubstantiated | pending
        Column("outcome", nullable=False),
        Column("complaints", "int", nullable=False),
    ),
    primary_key=("jurisdiction", "district", "month", "outcome"),
)

#: The outcome a complaint is counted under, by its ``substantiated`` column.
OUTCOMES = {1: "substantiated", 0: "unsubstantiated", None: "pending"}


def _counted(row: Row) -> Iterable[Key]:
    return ((row["jurisdiction"], row["district"], row["month"], OUTCOMES[row["substantiated"]]),)


class _Batch(BatchTables):
    def __init__(self, session: ViewSession, ids: set[UUID]) -> None:
        super().__init__(session, ids)
        self.institutions = self.hold(INSTITUTIONS, "id")
        self.complaints = self.hold(COMPLAINTS, "institution_id")
        #: Where the batch's complaints were counted before it (a rebuild changes the rows
        #: it holds in place: what they counted is taken now).
        self.counted = tally(self.complaints.where(), _counted)

    def flush(self) -> None:
        now = tally(self.complaints.where(), _counted)
        add_counts(self.session, COUNTS, moved(self.counted, now))
        super().flush()


def _received(b: _Batch, e: ComplaintReceived) -> None:
    institution = b.institutions.get(e.originator_id)
    if institution is None:
        return  # no filing (cannot happen in a consistent store)
    b.complaints.add(
        {
            "institution_id": e.originator_id,
            "complaint_id": e.complaint_id,
            "jurisdiction": institution["jurisdiction"],
            "district": institution["district"],
            "channel": e.channel,
            "received_on": e.occurred_on,
            "month": month_of(e.occurred_on),
            "verified_on": None,
            "substantiated": None,
        }
    )


def _verified(b: _Batch, e: ComplaintVerified) -> None:
    row = b.complaints.get(e.originator_id, e.complaint_id)
    if row is not None:
        row.update(verified_on=e.occurred_on, substantiated=1 if e.substantiated else 0)


Handler = Callable[[_Batch, Any], None]

HANDLERS: dict[type[LedgerEvent], Handler] = {
    **filing_handlers(INSTITUTIONS),
    ComplaintReceived: _received,
    ComplaintVerified: _verified,
}


class Complaints(ReadModel):
    name: ClassVar[str] = "complaints"
    tables: ClassVar[tuple[Table, ...]] = (INSTITUTIONS, COMPLAINTS, COUNTS)
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(HANDLERS)

    def prepare(self, session: ViewSession) -> None:
        """The counts, where there are none, from the rows (a store whose statistics were
        projected before they kept counts; one with no complaint has none)."""
        outcome = (
            "CASE WHEN substantiated = 1 THEN 'substantiated'"
            " WHEN substantiated = 0 THEN 'unsubstantiated' ELSE 'pending' END"
        )
        fill_counts(
            session,
            COUNTS,
            "jurisdiction, district, month, outcome, complaints",
            f"SELECT jurisdiction, district, month, {outcome}, COUNT(*)"
            f" FROM {session.dialect.table(COMPLAINTS.name)}"
            f" GROUP BY jurisdiction, district, month, {outcome}",
        )

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        batch = _Batch(session, {e.originator_id for e in events})
        apply_handlers(HANDLERS, batch, events)
