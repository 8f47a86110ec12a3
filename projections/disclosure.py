"""The public disclosure list (公开): what was published about which institution, and when.

Copies facts only; one entry per publication, each with the day it starts and, once known,
the day it ends and why. An entry is in force on day D when ``published_on <= D`` and it
has no ``ends_on`` or ``D < ends_on``.

- ``rectification_notice``: a rectification order served with a public announcement
  (``RectificationOrdered.public_announcement``); published on the order's date; ends on
  the day the rectification is accepted (``accepted``).
- ``abnormal_activity_list``: an order that enters the institution in the abnormal-activity
  list (活动异常名录, Huangshi warnings: ``RectificationOrdered.abnormal_activity_list``);
  published on the order's date. No event removes an institution from the list, so only an
  appeal ends it.
- ``revocation``: a filing revoked (``FilingRevoked``); published on the revocation date.
- ``ban``: the ban on a new filing that came with the revocation; published on the same
  day; ends on ``ban_until`` (``ban_expired``), never for an indefinite ban.

An appeal that annuls or varies the decision (``AppealDecided``) ends every entry of that
decision still in force on the appeal date (``annulled`` or ``varied``); effects of the new
level of a varied decision are new entries. An upheld appeal changes nothing.

Only public facts are kept: the institution's name (as filed when the entry was published),
credit code and jurisdiction, the decision's id and articles, and the dates.

Tables:

- ``disclosure_institutions``: name, credit code and jurisdiction of each institution;
- ``disclosure_decisions``: the articles each decision cites;
- ``disclosure_entries``: the entries.

Reads: :mod:`projections.disclosure_queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.events import (
    AnnualAssessmentRecorded,
    AppealDecided,
    CaseDecided,
    FilingRevoked,
    LedgerEvent,
    RectificationAccepted,
    RectificationOrdered,
)
from projections.base import ReadModel
from projections.rows import (
    BatchTables,
    apply_handlers,
    filing_handlers,
    institution_rows,
    lookup_table,
)
from projections.store import Column, Index, Row, Table, ViewSession

KINDS = ("rectification_notice", "abnormal_activity_list", "revocation", "ban")

INSTITUTIONS = lookup_table("disclosure_institutions", ("name", "credit_code", "jurisdiction"))

DECISIONS = institution_rows(
    "disclosure_decisions", ("decision_id",), Column("articles", "json", nullable=False)
)

ENTRIES = Table(
    name="disclosure_entries",
    columns=(
        #: "<institution id>:<version of the publishing event, six digits>:<kind>".
        Column("entry_id", nullable=False),
        Column("kind", nullable=False),
        Column("institution_id", "uuid", nullable=False),
        Column("institution_name", nullable=False),
        Column("credit_code", nullable=False),
        Column("jurisdiction", nullable=False),
        Column("decision_id", nullable=False),
        Column("articles", "json", nullable=False),
        Column("published_on", "date", nullable=False),
        Column("ends_on", "date"),
        #: accepted | annulled | varied | ban_expired
        Column("ended_reason"),
    ),
    primary_key=("entry_id",),
    indexes=(
        Index("disclosure_entries_by_date", ("published_on", "entry_id")),
        Index("disclosure_entries_by_place", ("jurisdiction", "published_on")),
        Index("disclosure_entries_by_institution", ("institution_id", "decision_id")),
    ),
)


class _Batch(BatchTables):
    """The rows one batch of events may change."""

    def __init__(self, session: ViewSession, ids: set[UUID]) -> None:
        super().__init__(session, ids)
        self.institutions = self.hold(INSTITUTIONS, "id")
        self.decisions = self.hold(DECISIONS, "institution_id")
        self.entries = self.hold(ENTRIES, "institution_id")

    def publish(self, e: LedgerEvent, kind: str, decision_id: str) -> Row | None:
        institution = self.institutions.get(e.originator_id)
        if institution is None:
            return None  # no filing (cannot happen in a consistent store)
        decision = self.decisions.get(e.originator_id, decision_id)
        return self.entries.add(
            {
                "entry_id": f"{e.originator_id}:{e.originator_version:06d}:{kind}",
                "kind": kind,
                "institution_id": e.originator_id,
                "institution_name": institution["name"],
                "credit_code": institution["credit_code"],
                "jurisdiction": institution["jurisdiction"],
                "decision_id": decision_id,
                "articles": list(decision["articles"]) if decision else [],
                "published_on": e.occurred_on,
                "ends_on": None,
                "ended_reason": None,
            }
        )


def _end(entry: Row, on: date, reason: str) -> None:
    """End ``entry`` on ``on`` unless it has already ended by then."""
    if entry["ends_on"] is None or on < entry["ends_on"]:
        entry["ends_on"] = on
        entry["ended_reason"] = reason


def _decided(b: _Batch, e: CaseDecided) -> None:
    b.decisions.add(
        {
            "institution_id": e.originator_id,
            "decision_id": e.decision_id,
            "articles": list(e.articles),
        }
    )


def _rectification_ordered(b: _Batch, e: RectificationOrdered) -> None:
    if e.public_announcement:
        b.publish(e, "rectification_notice", e.decision_id)
    if e.abnormal_activity_list:
        b.publish(e, "abnormal_activity_list", e.decision_id)


def _rectification_accepted(b: _Batch, e: RectificationAccepted) -> None:
    for entry in b.entries.where(
        institution_id=e.originator_id, decision_id=e.decision_id, kind="rectification_notice"
    ):
        _end(entry, e.occurred_on, "accepted")


def _revoked(b: _Batch, e: FilingRevoked) -> None:
    b.publish(e, "revocation", e.decision_id)
    if e.ban_indefinite or e.ban_until is not None:
        ban = b.publish(e, "ban", e.decision_id)
        if ban is not None and not e.ban_indefinite and e.ban_until is not None:
            ban.update(ends_on=e.ban_until, ended_reason="ban_expired")


def _annual_result(b: _Batch, e: AnnualAssessmentRecorded) -> None:
    """A published annual result stays in force until the next year's replaces it."""
    if not e.published:
        return
    for earlier in list(b.entries.where(institution_id=e.originator_id, kind="annual_result")):
        _end(earlier, e.occurred_on, "superseded")
    published = b.publish(e, "annual_result", e.assessment_id)
    if published is not None:
        published["articles"] = list(e.articles)


def _appeal_decided(b: _Batch, e: AppealDecided) -> None:
    if e.outcome not in ("annulled", "varied"):
        return
    for entry in b.entries.where(institution_id=e.originator_id, decision_id=e.decision_id):
        _end(entry, e.occurred_on, e.outcome)


Handler = Callable[[_Batch, Any], None]

HANDLERS: dict[type[LedgerEvent], Handler] = {
    **filing_handlers(INSTITUTIONS),
    AnnualAssessmentRecorded: _annual_result,
    CaseDecided: _decided,
    RectificationOrdered: _rectification_ordered,
    RectificationAccepted: _rectification_accepted,
    FilingRevoked: _revoked,
    AppealDecided: _appeal_decided,
}


class Disclosure(ReadModel):
    name: ClassVar[str] = "disclosure"
    tables: ClassVar[tuple[Table, ...]] = (INSTITUTIONS, DECISIONS, ENTRIES)
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(HANDLERS)

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        batch = _Batch(session, {e.originator_id for e in events})
        apply_handlers(HANDLERS, batch, events)
