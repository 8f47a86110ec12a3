"""Typed reads of the sanctions ledger (:mod:`projections.sanctions`).

Public functions, each taking the filters of :class:`SanctionFilter` as keyword arguments
(every one optional) and confined to the caller's scope by the ``allowed_*`` arguments of
:func:`projections.queries.allowed_scope` (a filter outside the scope matches nothing):

``list_sanctions(store, *, status=None, limit=50, cursor=None, **filters) -> Page[Sanction]``
    Every decision, annulled ones included (``status="annulled"``), newest decision date
    first (then institution id and decision id, descending), paged with an opaque cursor.

``sanctions_by_month(store, **filters) -> list[MonthCount]``
    ``(month, level, decisions)`` rows, by month then level.

``sanctions_by_article(store, **filters) -> list[ArticleCount]``
    ``(article, level, decisions)`` rows, by article then level; a decision citing two
    articles counts once under each.

``sanctions_by_district(store, **filters) -> list[DistrictCount]``
    ``(district, level, decisions)`` rows, by district then level. Districts of two
    jurisdictions that share a name are counted together unless ``jurisdiction`` is given.

The filters: ``jurisdiction``, ``district``, ``institution_id``; ``level``, the level in
force (the new level of a varied decision), which the counts also use; ``article``, an
exact citation such as ``"hunan-2023/26.1"``; ``month_from`` and ``month_to``, inclusive
"YYYY-MM" bounds on the month of the decision date. Annulled decisions are never counted,
and counting functions return only non-zero groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Unpack
from uuid import UUID

from domain.errors import InvalidInput
from projections.querying import (
    Page,
    Scope,
    Select,
    check_filters,
    check_limit,
    decode_date,
    decode_key,
    decode_uuid,
    encode_key,
    page,
    scope_of,
)
from projections.sanctions import ARTICLE_COUNTS, ARTICLES, COUNTS, DECISIONS
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


class SanctionFilter(Scope, total=False):
    """What every read of the ledger filters on; each absent or None: no condition."""

    jurisdiction: str | None
    district: str | None
    institution_id: UUID | None
    #: The level in force.
    level: int | None
    article: str | None
    month_from: str | None
    month_to: str | None


_NEWEST_FIRST = "s.decided_on DESC, s.institution_id DESC, s.decision_id DESC"
_SAME_DECISION = "a.institution_id = s.institution_id AND a.decision_id = s.decision_id"


def _select(store: ViewStore, filters: SanctionFilter, *, by_article: bool = False) -> Select:
    """The decisions the filters name; ``by_article`` joins one row per article cited."""
    check_filters(filters, SanctionFilter.__optional_keys__)
    select = Select(store.dialect, DECISIONS, "s", **scope_of(filters))
    select.months(filters.get("month_from"), filters.get("month_to"))
    select.in_place(
        filters.get("jurisdiction"), filters.get("district"), filters.get("institution_id")
    )
    select.equals("effective_level", filters.get("level"), "level")
    article = filters.get("article")
    if by_article:
        select.join(ARTICLES, "a", _SAME_DECISION)
        if article is not None:
            select.where("a.article = :article", article=article)
    elif article is not None:
        select.exists(ARTICLES, "a", f"{_SAME_DECISION} AND a.article = :article", article=article)
    return select


def _after(cursor: str) -> tuple[tuple[str, str, Any], ...]:
    """The sort key of the decision a cursor of :func:`list_sanctions` names."""
    day, iid, decision = decode_key(cursor, 3)
    return (
        ("s.decided_on", "after_day", decode_date(day)),
        ("s.institution_id", "after_iid", decode_uuid(iid)),
        ("s.decision_id", "after_decision", decision),
    )


def _cursor(last: Sanction) -> str:
    return encode_key(last.decided_on.isoformat(), str(last.institution_id), last.decision_id)


def list_sanctions(
    store: ViewStore,
    *,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    **filters: Unpack[SanctionFilter],
) -> Page[Sanction]:
    """Decisions, newest first, filtered and confined to the caller's scope."""
    check_limit(limit)
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    select = _select(store, filters).equals("status", status)
    if cursor is not None:
        select.after(*_after(cursor), descending=True)
    rows = select.order_by(_NEWEST_FIRST).limit(limit + 1).read(store, DECISIONS)
    return page(rows, limit, _sanction, _cursor)


def _kept_counts(
    store: ViewStore, filters: SanctionFilter, group: str, *, by_article: bool
) -> Select | None:
    """The counts the ledger keeps (``sanctions_counts``, ``sanctions_article_counts``)
    filtered as ``filters`` say, when they can answer: not for one institution, nor for an
    article by month or district, nor for months by article."""
    check_filters(filters, SanctionFilter.__optional_keys__)
    scope = scope_of(filters)
    article = filters.get("article")
    months = filters.get("month_from") is not None or filters.get("month_to") is not None
    if (
        scope.get("allowed_institution_id") is not None
        or filters.get("institution_id") is not None
        or (article is not None and not by_article)
        or (months and by_article)
    ):
        return None
    select = Select(
        store.dialect,
        ARTICLE_COUNTS if by_article else COUNTS,
        "c",
        allowed_jurisdiction=scope.get("allowed_jurisdiction"),
        allowed_district=scope.get("allowed_district"),
    )
    if not by_article:
        select.months(filters.get("month_from"), filters.get("month_to"))
    select.in_place(filters.get("jurisdiction"), filters.get("district"))
    select.equals("level", filters.get("level"))
    select.equals("article", article)
    return (
        select.columns(f"c.{group} AS grp, c.level AS level, SUM(c.decisions) AS n")
        .group_by(f"c.{group}, c.level")
        .order_by(f"c.{group}, c.level")
    )


def _counts(
    store: ViewStore, filters: SanctionFilter, group: str, *, by_article: bool = False
) -> list[tuple[Any, int, int]]:
    """Decisions in force (not annulled), per ``group`` (a column of the decisions, or the
    article) and level in force: from the counts the ledger keeps where they can answer,
    else counted from the decisions."""
    select = _kept_counts(store, filters, group, by_article=by_article)
    if select is None:
        source = "a" if by_article else "s"
        select = (
            _select(store, filters, by_article=by_article)
            .where("s.status <> 'annulled'")
            .columns(f"{source}.{group} AS grp, s.effective_level AS level, COUNT(*) AS n")
            .group_by(f"{source}.{group}, s.effective_level")
            .order_by(f"{source}.{group}, s.effective_level")
        )
    rows = select.read(store)
    return [(r["grp"], int(r["level"]), int(r["n"])) for r in rows if int(r["n"])]


def sanctions_by_month(store: ViewStore, **filters: Unpack[SanctionFilter]) -> list[MonthCount]:
    """Decisions in force (not annulled) per month of decision and level."""
    return [MonthCount(str(g), lv, n) for g, lv, n in _counts(store, filters, "month")]


def sanctions_by_article(store: ViewStore, **filters: Unpack[SanctionFilter]) -> list[ArticleCount]:
    """Decisions in force (not annulled) per article cited and level."""
    counts = _counts(store, filters, "article", by_article=True)
    return [ArticleCount(str(g), lv, n) for g, lv, n in counts]


def sanctions_by_district(
    store: ViewStore, **filters: Unpack[SanctionFilter]
) -> list[DistrictCount]:
    """Decisions in force (not annulled) per district (at the decision) and level."""
    return [DistrictCount(str(g), lv, n) for g, lv, n in _counts(store, filters, "district")]
