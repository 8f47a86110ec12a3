"""The institution register: one row per institution, as its filing events state it.

Copies facts only: the status is the one the last lifecycle event names, the validity
dates and receipt number are the approval's, the scope is the filed (or last approved)
one; suspensions and bans follow the rectification, revocation and appeal events.
``version`` and ``last_event_at`` are those of the institution's last event; events of other
aggregates (tokens, rosters, idempotency records) are skipped.

Tables:

- ``register_institutions``: the row per institution;
- ``register_occupations``: one row per (occupation, institution) in the scope, so that
  "who holds occupation X" is an exact, indexed match;
- ``register_counts``: how many institutions each (jurisdiction, district, status) holds,
  kept with the rows in the same batch, so that the dashboard's count by status is a small
  indexed read rather than a scan of the register.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, ClassVar

from domain import events as ev
from domain.events import (
    AppealDecided,
    DetailsChanged,
    FilingApproved,
    FilingCancelled,
    FilingExpired,
    FilingLapsed,
    FilingRejected,
    FilingResubmitted,
    FilingRevoked,
    FilingSubmitted,
    LedgerEvent,
    RectificationAccepted,
    RectificationOrdered,
    RenewalApproved,
    RenewalRejected,
    RenewalRequested,
    ScopeChangeApproved,
    ScopeChangeRejected,
    ScopeChangeRequested,
    ScopeLine,
)
from projections.base import ReadModel
from projections.rows import Counts, add_counts, fill_counts
from projections.store import Column, Index, Row, Table, ViewSession

INSTITUTIONS = Table(
    name="register_institutions",
    columns=(
        Column("id", "uuid", nullable=False),
        Column("credit_code", nullable=False),
        Column("name", nullable=False),
        Column("kind", nullable=False),
        Column("jurisdiction", nullable=False),
        Column("district", nullable=False),
        Column("status", nullable=False),
        Column("receipt_number"),
        Column("valid_from", "date"),
        Column("valid_until", "date"),
        #: The scope: [{"occupation": "4-07-05-04", "levels": [3, 4, 5]}, ...].
        Column("occupations", "json", nullable=False),
        Column("test_sites", "json", nullable=False),
        #: A requested scope change not yet decided: {change_id, scope, test_sites}.
        Column("pending_scope_change", "json"),
        Column("renewal_requested_on", "date"),
        #: Decisions whose rectification suspends evaluation now (ids).
        Column("suspensions", "json"),
        Column("ban_until", "date"),
        Column("ban_indefinite", "int"),
        Column("ban_decision"),
        Column("status_before_revocation"),
        Column("version", "int", nullable=False),
        Column("submitted_on", "date", nullable=False),
        Column("last_event_at", "timestamp", nullable=False),
    ),
    primary_key=("id",),
    indexes=(
        Index("register_institutions_by_name", ("name", "id")),
        Index("register_institutions_by_place", ("jurisdiction", "district", "name", "id")),
        # A jurisdiction's page of the register, by name, from a cursor.
        Index("register_institutions_by_jurisdiction", ("jurisdiction", "name", "id")),
        Index("register_institutions_by_status", ("status", "name", "id")),
        Index("register_institutions_by_credit_code", ("credit_code",)),
    ),
)

OCCUPATIONS = Table(
    name="register_occupations",
    columns=(
        Column("occupation", nullable=False),
        Column("institution_id", "uuid", nullable=False),
        Column("levels", "json", nullable=False),
    ),
    primary_key=("occupation", "institution_id"),
    indexes=(Index("register_occupations_by_institution", ("institution_id",)),),
)

COUNTS = Table(
    name="register_counts",
    columns=(
        Column("jurisdiction", nullable=False),
        Column("district", nullable=False),
        Column("status", nullable=False),
        Column("institutions", "int", nullable=False),
    ),
    primary_key=("jurisdiction", "district", "status"),
)

Handler = Callable[[Row, Any], bool]
Place = tuple[str, str, str]


def _place(row: Row) -> Place:
    """Where the row is counted: its jurisdiction, district and status."""
    return (row["jurisdiction"], row["district"], row["status"])


def _scope(scope: Sequence[ScopeLine]) -> list[dict[str, Any]]:
    return [
        {"occupation": line["occupation"], "levels": sorted(int(v) for v in line["levels"])}
        for line in sorted(scope, key=lambda ln: ln["occupation"])
    ]


def _take_application(row: Row, e: FilingSubmitted | FilingResubmitted) -> None:
    row.update(
        name=e.name,
        kind=e.kind,
        district=e.district,
        occupations=_scope(e.scope),
        test_sites=sorted(e.test_sites),
        status="submitted",
        submitted_on=e.occurred_on,
        pending_scope_change=None,
        renewal_requested_on=None,
    )


# Each handler changes the row in place and says whether the scope changed.


def _submitted(row: Row, e: FilingSubmitted) -> bool:
    row.update(
        id=e.originator_id,
        credit_code=e.credit_code,
        jurisdiction=e.jurisdiction,
        receipt_number=None,
        valid_from=None,
        valid_until=None,
        suspensions=[],
        ban_until=None,
        ban_indefinite=0,
        ban_decision=None,
        status_before_revocation=None,
    )
    _take_application(row, e)
    return True


def _resubmitted(row: Row, e: FilingResubmitted) -> bool:
    _take_application(row, e)
    return True


def _approved(row: Row, e: FilingApproved) -> bool:
    row.update(
        status="active",
        receipt_number=e.receipt_number,
        valid_from=e.valid_from,
        valid_until=e.valid_until,
    )
    return False


def _rejected(row: Row, e: FilingRejected) -> bool:
    row["status"] = "rejected"
    return False


def _cancelled(row: Row, e: FilingCancelled) -> bool:
    row.update(status="cancelled", pending_scope_change=None, renewal_requested_on=None)
    return False


def _details_changed(row: Row, e: DetailsChanged) -> bool:
    for key in ("name", "district"):
        if key in e.changes:
            row[key] = e.changes[key]
    return False


def _scope_change_requested(row: Row, e: ScopeChangeRequested) -> bool:
    row["pending_scope_change"] = {
        "change_id": e.change_id,
        "scope": _scope(e.scope),
        "test_sites": sorted(e.test_sites),
    }
    return False


def _scope_change_approved(row: Row, e: ScopeChangeApproved) -> bool:
    pending = row.get("pending_scope_change")
    row["pending_scope_change"] = None
    if not pending or pending.get("change_id") != e.change_id:
        return False  # the aggregate refuses this; nothing to copy
    row["occupations"] = pending["scope"]
    row["test_sites"] = pending["test_sites"]
    return True


def _scope_change_rejected(row: Row, e: ScopeChangeRejected) -> bool:
    row["pending_scope_change"] = None
    return False


def _renewal_requested(row: Row, e: RenewalRequested) -> bool:
    row["renewal_requested_on"] = e.occurred_on
    return False


def _renewal_approved(row: Row, e: RenewalApproved) -> bool:
    row.update(status="active", valid_until=e.valid_until, renewal_requested_on=None)
    return False


def _renewal_rejected(row: Row, e: RenewalRejected) -> bool:
    row["renewal_requested_on"] = None
    return False


def _expired(row: Row, e: FilingExpired) -> bool:
    row["status"] = "expired"
    return False


def _lapsed(row: Row, e: FilingLapsed) -> bool:
    row.update(status="lapsed", pending_scope_change=None)
    return False


def _revoked(row: Row, e: FilingRevoked) -> bool:
    row.update(
        status_before_revocation=row["status"],
        status="revoked",
        ban_until=e.ban_until,
        ban_indefinite=1 if e.ban_indefinite else 0,
        ban_decision=e.decision_id,
    )
    return False


def _suspensions(row: Row) -> list[str]:
    return list(row.get("suspensions") or [])


def _rectification_ordered(row: Row, e: RectificationOrdered) -> bool:
    row["suspensions"] = sorted({*_suspensions(row), e.decision_id})
    return False


def _rectification_accepted(row: Row, e: RectificationAccepted) -> bool:
    row["suspensions"] = [d for d in _suspensions(row) if d != e.decision_id]
    return False


def _appeal_decided(row: Row, e: AppealDecided) -> bool:
    """An annulment or variation lifts the old decision's suspension and ban."""
    if e.outcome == "upheld":
        return False
    row["suspensions"] = [d for d in _suspensions(row) if d != e.decision_id]
    if row.get("ban_decision") == e.decision_id:
        row.update(
            status=row.get("status_before_revocation") or "active",
            ban_until=None,
            ban_indefinite=0,
            ban_decision=None,
        )
    return False


def _touch(row: Row, e: LedgerEvent) -> bool:
    """Casework events the register does not show: only version and time move on."""
    return False


#: Institution events that change nothing the register shows.
TOUCHING: tuple[type[LedgerEvent], ...] = (
    ev.FindingRecorded,
    ev.FindingDismissed,
    ev.EvaluationReported,
    ev.ComplaintReceived,
    ev.ComplaintVerified,
    ev.CaseOpened,
    ev.NoticeIssued,
    ev.DefenceSubmitted,
    ev.DefenceWaived,
    ev.CaseDecided,
    ev.DecisionServed,
    ev.InterviewHeld,
    ev.ResultsVoided,
    ev.RectificationReportSubmitted,
    ev.RectificationOverdue,
    ev.AppealFiled,
    ev.EvaluationPaused,
    ev.EvaluationResumed,
    ev.EvaluationStopped,
)

HANDLERS: dict[type[LedgerEvent], Handler] = {
    FilingSubmitted: _submitted,
    FilingResubmitted: _resubmitted,
    FilingApproved: _approved,
    FilingRejected: _rejected,
    FilingCancelled: _cancelled,
    DetailsChanged: _details_changed,
    ScopeChangeRequested: _scope_change_requested,
    ScopeChangeApproved: _scope_change_approved,
    ScopeChangeRejected: _scope_change_rejected,
    RenewalRequested: _renewal_requested,
    RenewalApproved: _renewal_approved,
    RenewalRejected: _renewal_rejected,
    FilingExpired: _expired,
    FilingLapsed: _lapsed,
    FilingRevoked: _revoked,
    RectificationOrdered: _rectification_ordered,
    RectificationAccepted: _rectification_accepted,
    AppealDecided: _appeal_decided,
    **dict.fromkeys(TOUCHING, _touch),
}


@cache
def handler_for(cls: type[LedgerEvent]) -> Handler | None:
    for base in cls.__mro__:
        handler = HANDLERS.get(base)
        if handler is not None:
            return handler
    return None


class _Handlers(dict[type[LedgerEvent], Handler | None]):
    """:func:`handler_for` by class, found once each (a plain dictionary's lookup)."""

    def __missing__(self, cls: type[LedgerEvent]) -> Handler | None:
        handler = self[cls] = handler_for(cls)
        return handler


_handler = _Handlers().__getitem__


class Register(ReadModel):
    name: ClassVar[str] = "register"
    tables: ClassVar[tuple[Table, ...]] = (INSTITUTIONS, OCCUPATIONS, COUNTS)
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(HANDLERS)
    touches: ClassVar[tuple[type[LedgerEvent], ...]] = TOUCHING

    def prepare(self, session: ViewSession) -> None:
        """The counts, where there are none, from the rows (a store whose register was
        projected before it kept counts; an empty register has none to fill)."""
        fill_counts(
            session,
            COUNTS,
            "jurisdiction, district, status, institutions",
            "SELECT jurisdiction, district, status, COUNT(*)"
            f" FROM {session.dialect.table(INSTITUTIONS.name)}"
            " GROUP BY jurisdiction, district, status",
        )

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        # Events grouped by institution first (keyed by the id's integer, hashed without
        # a call into Python): each group's row is then found once and its version and
        # time set once, from its last event; touching events change nothing else.
        groups: dict[int, list[LedgerEvent]] = {}
        for event in events:
            key = event.originator_id.int
            group = groups.get(key)
            if group is None:
                groups[key] = [event]
            else:
                group.append(event)
        found = session.fetch(INSTITUTIONS, "id", [g[0].originator_id for g in groups.values()])
        rows: dict[Any, Row] = {r["id"].int: r for r in found}
        counted = {key: _place(row) for key, row in rows.items()}
        moved: Counts = {}
        changed: list[Row] = []
        rescoped: list[Row] = []
        for key, group in groups.items():
            row = rows.get(key)
            last: LedgerEvent | None = None
            scope_changed = False
            for event in group:
                handler = _handler(type(event))
                if handler is None:
                    continue
                if row is None:
                    if not isinstance(event, FilingSubmitted):
                        continue  # no filing to change (cannot happen in a consistent store)
                    row = rows[key] = {}
                if handler is not _touch and handler(row, event):
                    scope_changed = True
                last = event
            if row is None or last is None:
                continue
            row["version"] = last.originator_version
            row["last_event_at"] = last.timestamp
            changed.append(row)
            was, now = counted.get(key), _place(row)
            if was != now:
                if was is not None:
                    moved[was] = moved.get(was, 0) - 1
                moved[now] = moved.get(now, 0) + 1
            if scope_changed:
                rescoped.append(row)
        if not changed:
            return
        session.upsert(INSTITUTIONS, changed)
        add_counts(session, COUNTS, moved)
        if rescoped:
            session.delete(OCCUPATIONS, "institution_id", [row["id"] for row in rescoped])
            session.insert(
                OCCUPATIONS,
                [
                    {
                        "occupation": line["occupation"],
                        "institution_id": row["id"],
                        "levels": line["levels"],
                    }
                    for row in rescoped
                    for line in row["occupations"]
                ],
            )
