"""Typed reads of the sanctions ledger (:mod:`projections.sanctions`).

Public functions (every one confined to the caller's scope by the ``allowed_*`` arguments
of :func:`projections.queries.allowed_scope`; a filter outside the scope matches nothing):

``list_sanctions(store, *, jurisdiction=None, district=None, institution_id=None,
level=None, article=None, status=None, month_from=None, month_to=None, limit=50,
cursor=None, allowed_jurisdiction=None, allowed_district=None,
allowed_institution_id=None) -> Page[Sanction]``
    Every decision, annulled ones included (``status="annulled"``), newest decision date
    first (then institution id and decision id, descending), paged with an opaque cursor.

``sanctions_by_month(store, *, <the same filters, no paging>) -> list[MonthCount]``
    ``(month, level, decisions)`` rows, by month then level.

``sanctions_by_article(store, *, ...) -> list[ArticleCount]``
    ``(article, level, decisions)`` rows, by article then level; a decision citing two
    articles counts once under each.

``sanctions_by_district(store, *, ...) -> list[DistrictCount]``
    ``(district, level, decisions)`` rows, by district then level. Districts of two
    jurisdictions that share a name are counted together unless ``jurisdiction`` is given.

Common to all: ``level`` is the level in force (the new level of a varied decision), and
the counts use it; annulled decisions are never counted. ``month_from`` and ``month_to``
are inclusive "YYYY-MM" bounds on the month of the decision date; ``article`` is an
exact citation such as ``"hunan-2023/26.1"``. Counting functions return only non-zero
groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from domain.errors import InvalidInput
from projections.queries import Page
from projections.querying import (
    Where,
    check_limit,
    check_month,
    decode_key,
    decode_uuid,
    encode_key,
)
from projections.sanctions import ARTICLES, DECISIONS
from projections.store import Row, ViewStore

STATUSES = ("decided", "served", "annulled", "varied")


@dataclass(frozen=True)
class Sanction:
    """One decision as the ledger shows it."""

    decision_id: str
    case_id: str
    institution_id: UUID
    institution_name: str
    jurisdiction: str
    district: str
    #: The level decided (0 void results, 1 interview, 2 rectification, 3 revocation).
    level: int
    actions: tuple[str, ...]
    articles: tuple[str, ...]
    decided_on: date
    #: "YYYY-MM" of ``decided_on``.
    month: str
    served_on: date | None
    below_requirement: bool
    requirement_level: int | None
    requirement_article: str | None
    #: decided | served | annulled | varied
    status: str
    #: A varied decision's new level and actions.
    new_level: int | None
    new_actions: tuple[str, ...]
    #: The date of the appeal decision that annulled or varied it.
    appeal_decided_on: date | None
    #: The level in force: ``new_level`` when varied, else ``level``.
    effective_level: int


class MonthCount(NamedTuple):
    month: str
    level: int
    decisions: int


class ArticleCount(NamedTuple):
    article: str
    level: int
    decisions: int


class DistrictCount(NamedTuple):
    district: str
    level: int
    decisions: int


def _sanction(row: Row) -> Sanction:
    return Sanction(
        decision_id=row["decision_id"],
        case_id=row["case_id"],
        institution_id=row["institution_id"],
        institution_name=row["institution_name"],
        jurisdiction=row["jurisdiction"],
        district=row["district"],
        level=int(row["level"]),
        actions=tuple(row["actions"] or ()),
        articles=tuple(row["articles"] or ()),
        decided_on=row["decided_on"],
        month=row["month"],
        served_on=row["served_on"],
        below_requirement=bool(row["below_requirement"]),
        requirement_level=(
            int(row["requirement_level"]) if row["requirement_level"] is not None else None
        ),
        requirement_article=row["requirement_article"],
        status=row["status"],
        new_level=int(row["new_level"]) if row["new_level"] is not None else None,
        new_actions=tuple(row["new_actions"] or ()),
        appeal_decided_on=row["appeal_decided_on"],
        effective_level=int(row["effective_level"]),
    )


def _where(
    store: ViewStore,
    *,
    jurisdiction: str | None,
    district: str | None,
    institution_id: UUID | None,
    level: int | None,
    article: str | None,
    month_from: str | None,
    month_to: str | None,
    allowed_jurisdiction: str | None,
    allowed_district: str | None,
    allowed_institution_id: UUID | None,
) -> Where:
    check_month(month_from, "month_from")
    check_month(month_to, "month_to")
    where = Where(
        "s",
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    where.equals("jurisdiction", jurisdiction)
    where.equals("district", district)
    where.equals("institution_id", institution_id)
    where.equals("effective_level", level, "level")
    if month_from is not None:
        where.add("s.month >= :month_from", month_from=month_from)
    if month_to is not None:
        where.add("s.month <= :month_to", month_to=month_to)
    if article is not None:
        where.add(
            f"EXISTS (SELECT 1 FROM {store.dialect.table(ARTICLES.name)} a"
            " WHERE a.institution_id = s.institution_id AND a.decision_id = s.decision_id"
            " AND a.article = :article)",
            article=article,
        )
    return where


def list_sanctions(
    store: ViewStore,
    *,
    jurisdiction: str | None = None,
    district: str | None = None,
    institution_id: UUID | None = None,
    level: int | None = None,
    article: str | None = None,
    status: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> Page[Sanction]:
    """Decisions, newest first, filtered and confined to the caller's scope."""
    check_limit(limit)
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    where = _where(
        store,
        jurisdiction=jurisdiction,
        district=district,
        institution_id=institution_id,
        level=level,
        article=article,
        month_from=month_from,
        month_to=month_to,
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    where.equals("status", status)
    if cursor is not None:
        day, iid, decision = decode_key(cursor, 3)
        try:
            after_day = date.fromisoformat(day)
        except ValueError as exc:
            raise InvalidInput("the cursor is not one this service issued", field="cursor") from exc
        where.add(
            "(s.decided_on < :after_day OR (s.decided_on = :after_day AND"
            " (s.institution_id < :after_iid OR (s.institution_id = :after_iid"
            " AND s.decision_id < :after_decision))))",
            after_day=after_day,
            after_iid=decode_uuid(iid),
            after_decision=decision,
        )
    dialect = store.dialect
    statement = dialect.sql(
        f"SELECT s.* FROM {dialect.table(DECISIONS.name)} s WHERE {where.sql()}"
        " ORDER BY s.decided_on DESC, s.institution_id DESC, s.decision_id DESC LIMIT :limit"
    )
    with store.reading() as session:
        rows = session.rows(statement, {**where.params, "limit": limit + 1}, DECISIONS)
    items = [_sanction(r) for r in rows[:limit]]
    last = items[-1] if items else None
    return Page(
        items=items,
        next_cursor=(
            encode_key(last.decided_on.isoformat(), str(last.institution_id), last.decision_id)
            if len(rows) > limit and last is not None
            else None
        ),
    )


def _counts(
    store: ViewStore, group: str, where: Where, *, join_articles: bool = False
) -> list[tuple[Any, int, int]]:
    dialect = store.dialect
    source = f"{dialect.table(DECISIONS.name)} s"
    if join_articles:
        source += (
            f" JOIN {dialect.table(ARTICLES.name)} a"
            " ON a.institution_id = s.institution_id AND a.decision_id = s.decision_id"
        )
    statement = dialect.sql(
        f"SELECT {group} AS grp, s.effective_level AS level, COUNT(*) AS n FROM {source}"
        f" WHERE {where.sql()} AND s.status <> 'annulled'"
        f" GROUP BY {group}, s.effective_level ORDER BY {group}, s.effective_level"
    )
    with store.reading() as session:
        rows = session.rows(statement, where.params)
    return [(r["grp"], int(r["level"]), int(r["n"])) for r in rows]


def sanctions_by_month(
    store: ViewStore,
    *,
    jurisdiction: str | None = None,
    district: str | None = None,
    institution_id: UUID | None = None,
    level: int | None = None,
    article: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> list[MonthCount]:
    """Decisions in force (not annulled) per month of decision and level."""
    where = _where(
        store,
        jurisdiction=jurisdiction,
        district=district,
        institution_id=institution_id,
        level=level,
        article=article,
        month_from=month_from,
        month_to=month_to,
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    return [MonthCount(str(g), lv, n) for g, lv, n in _counts(store, "s.month", where)]


def sanctions_by_article(
    store: ViewStore,
    *,
    jurisdiction: str | None = None,
    district: str | None = None,
    institution_id: UUID | None = None,
    level: int | None = None,
    article: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> list[ArticleCount]:
    """Decisions in force (not annulled) per article cited and level."""
    where = _where(
        store,
        jurisdiction=jurisdiction,
        district=district,
        institution_id=institution_id,
        level=level,
        article=None,
        month_from=month_from,
        month_to=month_to,
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    if article is not None:
        where.add("a.article = :article", article=article)
    return [
        ArticleCount(str(g), lv, n)
        for g, lv, n in _counts(store, "a.article", where, join_articles=True)
    ]


def sanctions_by_district(
    store: ViewStore,
    *,
    jurisdiction: str | None = None,
    district: str | None = None,
    institution_id: UUID | None = None,
    level: int | None = None,
    article: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> list[DistrictCount]:
    """Decisions in force (not annulled) per district (at the decision) and level."""
    where = _where(
        store,
        jurisdiction=jurisdiction,
        district=district,
        institution_id=institution_id,
        level=level,
        article=article,
        month_from=month_from,
        month_to=month_to,
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    return [DistrictCount(str(g), lv, n) for g, lv, n in _counts(store, "s.district", where)]
