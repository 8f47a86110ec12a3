"""The sanctions ledger: one row per decision, as the casework events state it.

Copies facts only. A row is written when a case is decided (``CaseDecided``) and follows
the decision's service (``DecisionServed``) and appeals (``AppealDecided``): its ``status``
is ``decided``, ``served``, ``annulled`` or ``varied``; a variation records the new level
and actions and the date of the appeal decision. ``effective_level`` is the level in force:
the new level of a varied decision, otherwise the decided one. An upheld appeal changes
nothing.

The institution's name, jurisdiction and district are those its filing events
(``FilingSubmitted``, ``FilingResubmitted``, ``DetailsChanged``) state on the day of the
decision, so a later move to another district leaves the statistics of earlier decisions
where they were made. The model keeps that lookup in its own table, so it can be rebuilt
alone. ``month`` is the "YYYY-MM" of ``decided_on``, a business date (Asia/Shanghai).

Tables:

- ``sanctions_institutions``: name, jurisdiction and district of each institution;
- ``sanctions_decisions``: the row per decision;
- ``sanctions_articles``: one row per (decision, article cited), so that "decisions under
  article X" is an exact, indexed match;
- ``sanctions_counts``: the decisions in force (not annulled) per (jurisdiction, district,
  month, level in force), and ``sanctions_article_counts`` per (jurisdiction, district,
  article, level in force): kept in the batch's transaction as its rows change, so that the
  dashboard's charts sum a few rows instead of counting every decision.

Reads: :mod:`projections.sanctions_queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from domain.events import AppealDecided, CaseDecided, DecisionServed, LedgerEvent
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
    requirement_columns,
    tally,
)
from projections.store import Column, Index, Row, Table, ViewSession

INSTITUTIONS = lookup_table("sanctions_institutions", NAME_AND_PLACE)

DECISIONS = institution_rows(
    "sanctions_decisions",
    ("decision_id",),
    Column("case_id", nullable=False),
    Column("institution_name", nullable=False),
    Column("jurisdiction", nullable=False),
    Column("district", nullable=False),
    #: The decided level (0 void results, 1 interview, 2 rectification, 3 revocation).
    Column("level", "int", nullable=False),
    Column("actions", "json", nullable=False),
    Column("articles", "json", nullable=False),
    Column("decided_on", "date", nullable=False),
    Column("month", nullable=False),
    Column("served_on", "date"),
    Column("below_requirement", "int", nullable=False),
    #: What the rules required when the decision was made.
    Column("requirement_level", "int"),
    Column("requirement_article"),
    #: decided | served | annulled | varied
    Column("status", nullable=False),
    Column("new_level", "int"),
    Column("new_actions", "json"),
    #: The date of the appeal decision that annulled or varied it.
    Column("appeal_decided_on", "date"),
    #: The level in force: the new level of a varied decision, else ``level``.
    Column("effective_level", "int", nullable=False),
    indexes=(
        Index("sanctions_decisions_by_date", ("decided_on", "institution_id", "decision_id")),
        Index("sanctions_decisions_by_place", ("jurisdiction", "district", "month")),
        Index("sanctions_decisions_by_month", ("month", "effective_level")),
    ),
)

ARTICLES = institution_rows(
    "sanctions_articles",
    ("decision_id", "article"),
    indexes=(Index("sanctions_articles_by_article", ("article",)),),
)


def _counts_table(name: str, group: str) -> Table:
    """The decisions in force per (jurisdiction, district, ``group``, level in force)."""
    return Table(
        name=name,
        columns=(
            Column("jurisdiction", nullable=False),
            Column("district", nullable=False),
            Column(group, nullable=False),
            Column("level", "int", nullable=False),
            Column("decisions", "int", nullable=False),
        ),
        primary_key=("jurisdiction", "district", group, "level"),
    )


COUNTS = _counts_table("sanctions_counts", "month")
ARTICLE_COUNTS = _counts_table("sanctions_article_counts", "article")


def _by_month(row: Row) -> Iterable[Key]:
    """Where a decision is counted by month: once, unless it was annulled."""
    if row["status"] == "annulled":
        return ()
    return ((row["jurisdiction"], row["district"], row["month"], row["effective_level"]),)


def _by_article(row: Row) -> Iterable[Key]:
    """Where a decision is counted by article: once per article cited (as
    ``sanctions_articles`` holds them), unless it was annulled."""
    if row["status"] == "annulled":
        return ()
    place = (row["jurisdiction"], row["district"])
    return [(*place, a, row["effective_level"]) for a in dict.fromkeys(row["articles"])]


class _Batch(BatchTables):
    """The rows one batch of events may change."""

    def __init__(self, session: ViewSession, ids: set[UUID]) -> None:
        super().__init__(session, ids)
        self.institutions = self.hold(INSTITUTIONS, "id")
        self.decisions = self.hold(DECISIONS, "institution_id")
        # Articles are only ever added, once per decision: nothing to load.
        self.articles = self.hold(ARTICLES)
        #: Where the batch's decisions were counted before it (a rebuild changes the rows
        #: it holds in place: what they counted is taken now).
        self.counted = self._counts()

    def _counts(self) -> tuple[dict[Key, int], dict[Key, int]]:
        rows = list(self.decisions.where())
        return tally(rows, _by_month), tally(rows, _by_article)

    def flush(self) -> None:
        (months, articles), (months_now, articles_now) = self.counted, self._counts()
        add_counts(self.session, COUNTS, moved(months, months_now))
        add_counts(self.session, ARTICLE_COUNTS, moved(articles, articles_now))
        super().flush()


def _decided(b: _Batch, e: CaseDecided) -> None:
    institution = b.institutions.get(e.originator_id)
    if institution is None:
        return  # no filing (cannot happen in a consistent store)
    b.decisions.add(
        {
            "institution_id": e.originator_id,
            "decision_id": e.decision_id,
            "case_id": e.case_id,
            "institution_name": institution["name"],
            "jurisdiction": institution["jurisdiction"],
            "district": institution["district"],
            "level": e.level,
            "actions": list(e.actions),
            "articles": list(e.articles),
            "decided_on": e.occurred_on,
            "month": month_of(e.occurred_on),
            "served_on": None,
            **requirement_columns(e),
            "status": "decided",
            "new_level": None,
            "new_actions": None,
            "appeal_decided_on": None,
            "effective_level": e.level,
        }
    )
    for article in dict.fromkeys(e.articles):
        b.articles.add(
            {"institution_id": e.originator_id, "decision_id": e.decision_id, "article": article}
        )


def _served(b: _Batch, e: DecisionServed) -> None:
    row = b.decisions.get(e.originator_id, e.decision_id)
    if row is None:
        return
    row["served_on"] = e.occurred_on
    if row["status"] == "decided":
        row["status"] = "served"


def _appeal_decided(b: _Batch, e: AppealDecided) -> None:
    row = b.decisions.get(e.originator_id, e.decision_id)
    if row is None or e.outcome == "upheld":
        return
    row["appeal_decided_on"] = e.occurred_on
    if e.outcome == "annulled":
        row["status"] = "annulled"
    elif e.outcome == "varied" and e.new_level is not None:
        row.update(
            status="varied",
            new_level=e.new_level,
            new_actions=list(e.new_actions),
            effective_level=e.new_level,
        )


Handler = Callable[[_Batch, Any], None]

HANDLERS: dict[type[LedgerEvent], Handler] = {
    **filing_handlers(INSTITUTIONS),
    CaseDecided: _decided,
    DecisionServed: _served,
    AppealDecided: _appeal_decided,
}


class Sanctions(ReadModel):
    name: ClassVar[str] = "sanctions"
    tables: ClassVar[tuple[Table, ...]] = (
        INSTITUTIONS,
        DECISIONS,
        ARTICLES,
        COUNTS,
        ARTICLE_COUNTS,
    )
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(HANDLERS)

    def prepare(self, session: ViewSession) -> None:
        """The counts, where there are none, from the rows (a store whose ledger was
        projected before it kept counts; a ledger with no decision in force has none)."""
        d = session.dialect
        decisions, articles = d.table(DECISIONS.name), d.table(ARTICLES.name)
        in_force = "s.status <> 'annulled'"
        fills = (
            (COUNTS, "month", decisions + " s"),
            (
                ARTICLE_COUNTS,
                "article",
                f"{decisions} s JOIN {articles} a"
                " ON a.institution_id = s.institution_id AND a.decision_id = s.decision_id",
            ),
        )
        for table, group, source in fills:
            fill_counts(
                session,
                table,
                f"jurisdiction, district, {group}, level, decisions",
                f"SELECT s.jurisdiction, s.district, {group}, s.effective_level, COUNT(*)"
                f" FROM {source} WHERE {in_force}"
                f" GROUP BY s.jurisdiction, s.district, {group}, s.effective_level",
            )

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        batch = _Batch(session, {e.originator_id for e in events})
        apply_handlers(HANDLERS, batch, events)
