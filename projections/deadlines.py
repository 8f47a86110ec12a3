"""The dates that matter, per institution and supervisor, indexed by day.

So that the deadline watcher and the notice pass read only the records with something due,
instead of every record in the store. Read model and table ``due_dates``: one row per open
deadline of an aggregate, recomputed from the aggregate (as of its last event in the
batch) whenever an event of it arrives:

- ``purpose = 'watch'``: the first day the deadline watcher records it
  (:mod:`domain.due_dates`: expiry, lapse, overdue rectifications and opinion reports,
  inactivity, a supervisor's card and terms);
- ``purpose = 'notice'``: the due date of each deadline the portal lists
  (:func:`projections.portal.deadlines_of`), the dates notices are sent ahead of.

The rows are a copy of what the domain computes from the events; the watcher still loads
each record through the ledger and decides from it, so a row kept a little too early only
costs a load. :class:`DueIndex` catches this read model up before it answers, so a pass
never misses what was recorded just before it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from copy import copy
from datetime import date, timedelta
from functools import partial
from typing import Any, ClassVar, cast
from uuid import UUID

from domain.application import OversightApplication
from domain.due_dates import (
    SUPERVISOR_DATE_EVENTS,
    DueDate,
    DueFold,
    institution_due_dates,
    supervisor_due_dates,
)
from domain.errors import DomainError
from domain.events import EvaluationReported, LedgerEvent
from domain.evolve import institution_events
from domain.history import HistoryFold
from domain.institution import Institution
from domain.ledger import project
from domain.rulebook import Catalogue, Rulebook
from domain.supervisor import Supervisor
from projections.base import Projections, ReadModel
from projections.portal import deadlines_of
from projections.store import Column, HeldSession, Index, Table, ViewSession

#: Not ``deadlines``: the deadline watchers lead a row of that name.
NAME = "due_dates"

DUE = Table(
    name="due_dates",
    columns=(
        Column("id", "uuid", nullable=False),
        #: watch | notice
        Column("purpose", nullable=False),
        Column("kind", nullable=False),
        Column("ref", nullable=False),
        Column("day", "date", nullable=False),
    ),
    primary_key=("id", "purpose", "kind", "ref"),
    indexes=(Index("due_dates_by_day", ("purpose", "day")),),
)

#: Institutions the read model keeps folded between batches.
KEPT = 2000

#: Where a rebuild's session keeps each institution's :class:`DueFold` and each
#: supervisor's last version.
_FOLDS = "due_dates.folds"
_SUPERVISORS = "due_dates.supervisors"


class Deadlines(ReadModel):
    """The open deadlines of every institution and supervisor, by day.

    Keeps the latest institutions it computed (:data:`KEPT`, the least recently used go
    first) with their histories, and folds a batch's events into them; an institution not
    kept is loaded through the ledger as of the version before the batch's first event.

    A rebuild computes each aggregate's rows once, at its end, as of its last event: it
    folds every institution's events into a :class:`DueFold` kept across the batches, of
    whose batch reports (most of the log) it reads only the version and the business day
    (:attr:`touches_in_rebuild`), and loads each supervisor once at its last version.
    """

    name: ClassVar[str] = NAME
    tables: ClassVar[tuple[Table, ...]] = (DUE,)
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = (
        *institution_events(),
        *SUPERVISOR_DATE_EVENTS,
    )
    touches_in_rebuild: ClassVar[tuple[type[LedgerEvent], ...] | None] = (EvaluationReported,)

    def __init__(self, application: OversightApplication | None = None) -> None:
        self._app = application
        self._kept: OrderedDict[UUID, tuple[Institution, HistoryFold]] = OrderedDict()

    def _application(self) -> OversightApplication:
        if self._app is None:
            raise RuntimeError("the deadlines read model is fed only with its application")
        return self._app

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        app = self._application()
        if isinstance(session, HeldSession):
            self._fold(session, events)
            return
        institutions: dict[UUID, list[LedgerEvent]] = {}
        supervisors: dict[UUID, int] = {}
        for e in events:
            if isinstance(e, SUPERVISOR_DATE_EVENTS):
                supervisors[e.originator_id] = e.originator_version
            else:
                institutions.setdefault(e.originator_id, []).append(e)
        rows: list[dict[str, Any]] = []
        for n, (iid, theirs) in enumerate(institutions.items()):
            if n:
                # Records load on the application's connections while this transaction
                # waits: a statement between two keeps it from the server's idle timeout.
                session.keep_alive()
            inst, fold = self._folded(app, iid, theirs)
            watched = partial(institution_due_dates, inst.state, fold.history)
            rows += _institution_rows(app, inst, watched)
        for sid, version in supervisors.items():
            found = supervisor_due_dates(app.ledger.get(Supervisor, sid, version))
            rows += _rows(sid, "watch", found)
        session.delete(DUE, "id", [*institutions, *supervisors])
        session.insert(DUE, rows)

    def _fold(self, session: HeldSession, events: Sequence[LedgerEvent]) -> None:
        """A rebuild's batch: each institution's events folded into its kept fold, each
        supervisor's last version kept; no row yet (see :meth:`finish`)."""
        folds: dict[UUID, DueFold] = session.kept.setdefault(_FOLDS, {})
        supervisors: dict[UUID, int] = session.kept.setdefault(_SUPERVISORS, {})
        # Grouped by the id's integer (hashed without a call into Python), each class
        # told apart once.
        institutions: dict[int, list[LedgerEvent]] = {}
        of_supervisor: dict[type, bool] = {}
        for e in events:
            cls = type(e)
            known = of_supervisor.get(cls)
            if known is None:
                known = of_supervisor[cls] = issubclass(cls, SUPERVISOR_DATE_EVENTS)
            if known:
                supervisors[e.originator_id] = e.originator_version
            else:
                group = institutions.get(e.originator_id.int)
                if group is None:
                    institutions[e.originator_id.int] = [e]
                else:
                    group.append(e)
        for theirs in institutions.values():
            iid = theirs[0].originator_id
            fold = folds.get(iid)
            folds[iid] = (fold or DueFold()).extended(theirs)

    def finish(self, session: HeldSession) -> None:
        """Every folded institution's and kept supervisor's rows, as of its last event."""
        app = self._application()
        folds: dict[UUID, DueFold] = session.kept.pop(_FOLDS, {})
        supervisors: dict[UUID, int] = session.kept.pop(_SUPERVISORS, {})
        rows: list[dict[str, Any]] = []
        for iid, fold in folds.items():
            inst = Institution.with_state(iid, fold.version, fold.state)
            rows += _institution_rows(app, inst, fold.due_dates)
        for sid, version in supervisors.items():
            found = supervisor_due_dates(app.ledger.get(Supervisor, sid, version))
            rows += _rows(sid, "watch", found)
        session.insert(DUE, rows)

    def _folded(
        self, app: OversightApplication, iid: UUID, events: list[LedgerEvent]
    ) -> tuple[Institution, HistoryFold]:
        """The institution and its history after ``events`` (its next ones, in order)."""
        first = events[0].originator_version
        kept = self._kept.pop(iid, None)
        if kept is not None and kept[0].version == first - 1:
            inst, fold = copy(kept[0]), kept[1]
        elif first == 1:
            inst, fold = None, HistoryFold.of(())
        else:
            inst = copy(app.ledger.get(Institution, iid, first - 1))
            fold = app.ledger.fold(iid, upto=first - 1)
        folded = cast(Institution, project(inst, events))
        fold = fold.extended(events)
        self._kept[iid] = (folded, fold)
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return folded, fold


#: An institution's watched due dates, given the catalogue and its filing rulebook.
_Watched = Callable[[Catalogue, Rulebook | None], list[DueDate]]


def _institution_rows(
    app: OversightApplication, inst: Institution, due_dates: _Watched
) -> list[dict[str, Any]]:
    rulebook = None
    if inst.valid_until is not None:
        try:
            rulebook = app.ledger.filing_rulebook(inst.jurisdiction, inst.valid_until)
        except DomainError:
            rulebook = None
    watch = due_dates(app.ledger.catalogue, rulebook)
    notice = [DueDate(d.due, d.kind, d.ref) for d in deadlines_of(app, inst, date.min)]
    return _rows(inst.id, "watch", watch) + _rows(inst.id, "notice", notice)


def _rows(aggregate_id: UUID, purpose: str, dates: Sequence[DueDate]) -> list[dict[str, Any]]:
    kept: dict[tuple[str, str], date] = {}
    for d in dates:  # one row per deadline: its earliest day
        key = (d.kind, d.ref)
        kept[key] = min(d.on, kept.get(key, d.on))
    return [
        {"id": aggregate_id, "purpose": purpose, "kind": kind, "ref": ref, "day": day}
        for (kind, ref), day in sorted(kept.items())
    ]


class DueIndex:
    """Which records have something due, from the deadlines read model caught up first."""

    def __init__(self, projections: Projections) -> None:
        self.projections = projections
        self.store = projections.store
        self._table = self.store.dialect.table(DUE.name)

    def _current(self) -> None:
        self.projections.catch_up(only=(NAME,))

    def to_watch(self, today: date) -> list[UUID]:
        """Institutions and supervisors with a deadline the watcher records by ``today``."""
        self._current()
        return self._ids(
            "purpose = 'watch' AND day <= :today", {"today": today}, order="MIN(day), id"
        )

    def to_notice(self, today: date, notice_days: dict[str, int]) -> list[UUID]:
        """Institutions with a deadline of a kind in ``notice_days`` falling due within that
        many days of ``today`` (and not passed)."""
        self._current()
        if not notice_days:
            return []
        clauses: list[str] = []
        params: dict[str, Any] = {"today": today}
        for i, (kind, days) in enumerate(sorted(notice_days.items())):
            clauses.append(f"(kind = :k{i} AND day <= :d{i})")
            params |= {f"k{i}": kind, f"d{i}": today + timedelta(days=days)}
        where = f"purpose = 'notice' AND day >= :today AND ({' OR '.join(clauses)})"
        return self._ids(where, params, order="MIN(day), id")

    def _ids(self, where: str, params: dict[str, Any], *, order: str) -> list[UUID]:
        with self.store.reading() as session:
            rows = session.rows(
                self.store.dialect.sql(
                    f"SELECT id, MIN(day) AS first FROM {self._table} WHERE {where}"
                    f" GROUP BY id ORDER BY {order}"
                ),
                params,
                DUE,
            )
        return [row["id"] for row in rows]
