"""Credit ratings as they stand (sichuan-2021 §2.9), for the public page.

A rating is derived by the domain from an institution's whole history (``domain.credit``)
and depends on the day asked about, since grades recover after a clean period. This read
model keeps, per institution, the domain's :class:`~domain.credit.RatingStanding` after the
last fact that moves the rating — grade, state, the date of the last lowering or recovery,
the date of that last fact and the rulebook it was computed under — recomputed by the domain
whenever an event that moves a rating arrives. A day on or after the last fact is then
answered by the recovery rule's date arithmetic (:meth:`RatingStanding.on`); an earlier
day, or a day under another rulebook, replays the history (:func:`public_ratings`).

Tables: ``ratings_institutions``, each filed institution's name, credit code and
jurisdiction as filed; ``ratings_standings``, the standing of each institution an event
moving a rating has reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, cast
from uuid import UUID

from domain.credit import RatingStanding, standing_of
from domain.events import (
    AnnualAssessmentRecorded,
    AppealDecided,
    CaseDecided,
    DecisionServed,
    FilingApproved,
    LedgerEvent,
    SanctionImported,
)
from domain.history import History, HistoryFold
from projections.base import ReadModel
from projections.rows import BatchTables, apply_handlers, filing_handlers, lookup_table
from projections.store import (
    Column,
    HeldSession,
    Index,
    NotificationLog,
    Row,
    Table,
    ViewSession,
)

INSTITUTIONS = lookup_table(
    "ratings_institutions",
    ("name", "credit_code", "jurisdiction"),
    # The public page lists the ratings by name, a page at a time.
    indexes=(Index("ratings_institutions_by_name", ("name", "id")),),
)

STANDINGS = Table(
    name="ratings_standings",
    columns=(
        Column("id", "uuid", nullable=False),
        Column("jurisdiction", nullable=False),
        #: The rulebook's ref (id@version#hash) the standing was computed under.
        Column("rulebook", nullable=False),
        Column("grade"),
        #: unrated | rated | cancelled
        Column("state", nullable=False),
        Column("since", "date"),
        Column("last_fact_on", "date"),
        Column("approved", "int", nullable=False),
        #: The institution's version the standing was computed at.
        Column("version", "int", nullable=False),
    ),
    primary_key=("id",),
    indexes=(Index("ratings_standings_by_place", ("jurisdiction", "approved")),),
)

#: The events a rating is derived from (``domain.credit._facts``): approvals, sanctions in
#: force (decided, served, annulled or varied on appeal) and annual assessments.
MOVES_RATING: tuple[type[LedgerEvent], ...] = (
    FilingApproved,
    CaseDecided,
    DecisionServed,
    AppealDecided,
    AnnualAssessmentRecorded,
)

#: Every event whose fold changes what a rating reads of a history (its approvals, its
#: sanctions' levels, articles, dates and rescission, its assessments): those moving a
#: rating and the imported sanctions, which count from the next event moving it.
RATING_FACTS: tuple[type[LedgerEvent], ...] = (*MOVES_RATING, SanctionImported)

#: Where a rebuild's session keeps the ratings' folds across its batches.
_FOLDS = "ratings.folds"


class _Batch(BatchTables):
    def __init__(self, session: ViewSession, ids: set[UUID], log: NotificationLog) -> None:
        super().__init__(session, ids)
        self.log = log
        self.institutions = self.hold(INSTITUTIONS, "id")
        self.standings = self.hold(STANDINGS, "id")
        #: The last version of each institution whose rating an event of the batch moves.
        self.moved: dict[UUID, int] = {}
        #: In a rebuild: each institution's events of the batch its rating reads, in order.
        self.facts: dict[UUID, list[LedgerEvent]] | None = (
            {} if isinstance(session, HeldSession) else None
        )

    def flush(self) -> None:
        """Each moved rating's standing from the history up to the batch's last event of
        the institution, then the rows written back."""
        places = {
            iid: row["jurisdiction"]
            for iid in self.moved
            if (row := self.institutions.get(iid)) is not None  # (else no filing: cannot
        }  # happen in a consistent store)
        histories = (
            self.log.histories({iid: self.moved[iid] for iid in places})
            if self.facts is None
            else self._folded(places)
        )
        for iid, place in places.items():
            s = standing_of(histories[iid], self.log.catalogue, place)
            if s is not None:
                self.standings.add(
                    {"id": iid, "jurisdiction": place, **_columns(s), "version": self.moved[iid]}
                )
        super().flush()

    def _folded(self, wanted: Mapping[UUID, str]) -> dict[UUID, History]:
        """A rebuild's histories, folded from its own stream: each institution's fold of
        the events a rating reads (:data:`RATING_FACTS`), kept across the batches. A
        rating reads nothing else of a history, so it is the one the whole history gives;
        each history of ``wanted`` is the fold up to its moved version."""
        assert self.facts is not None
        session = cast(HeldSession, self.session)
        folds: dict[UUID, HistoryFold] = session.kept.setdefault(_FOLDS, {})
        found: dict[UUID, History] = {}
        for iid, events in self.facts.items():
            fold = folds.get(iid) or HistoryFold.of(())
            if iid in wanted:
                upto = self.moved[iid]
                fold = fold.extended(e for e in events if e.originator_version <= upto)
                found[iid] = fold.history
                events = [e for e in events if e.originator_version > upto]
            folds[iid] = fold.extended(events)
        return found


def _columns(s: RatingStanding) -> Row:
    return {
        "rulebook": s.rulebook,
        "grade": s.grade,
        "state": s.state,
        "since": s.since,
        "last_fact_on": s.last_fact_on,
        "approved": int(s.approved),
    }


def _fact(b: _Batch, e: LedgerEvent) -> None:
    if b.facts is not None:
        b.facts.setdefault(e.originator_id, []).append(e)


def _moved(b: _Batch, e: LedgerEvent) -> None:
    _fact(b, e)
    b.moved[e.originator_id] = e.originator_version


HANDLERS: dict[type[LedgerEvent], Callable[[_Batch, Any], None]] = {
    **filing_handlers(INSTITUTIONS),
    SanctionImported: _fact,
    **dict.fromkeys(MOVES_RATING, _moved),
}


class Ratings(ReadModel):
    name: ClassVar[str] = "ratings"
    tables: ClassVar[tuple[Table, ...]] = (INSTITUTIONS, STANDINGS)
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(HANDLERS)

    def __init__(self) -> None:
        self._log: NotificationLog | None = None

    def bind(self, log: NotificationLog) -> None:
        self._log = log

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        if self._log is None:
            raise RuntimeError("the ratings read model is fed only when bound to its log")
        batch = _Batch(session, {e.originator_id for e in events}, self._log)
        apply_handlers(HANDLERS, batch, events)
