"""Typed reads of the regulator's worklist (:mod:`projections.worklist`).

Public function (confined to the caller's scope by the ``allowed_*`` arguments of
:func:`projections.queries.allowed_scope`, applied to the institution's current
jurisdiction and district; a filter outside the scope matches nothing):

``worklist(store, *, as_of: date, jurisdiction=None, district=None,
institution_id=None, officer=None, due_within_days=7, include_closed=False, limit=500,
allowed_jurisdiction=None, allowed_district=None, allowed_institution_id=None)
-> WorklistItems``
    What must be acted on, grouped by kind:

    - ``findings``: open findings (in no case, not dismissed), oldest conduct first, with
      the level, article and actions their stored assessment required;
    - ``cases``: cases at step ``opened``, ``noticed`` (with the defence deadline),
      ``decided`` (not yet served), and ``served`` ones whose interview is still to be
      held; soonest deadline first (``WorklistItems.cases_by_step`` groups them);
    - ``rectifications``: ordered, reported or overdue, by deadline;
    - ``below_requirement``: decisions below what the rules required (decided or served,
      not annulled or varied on appeal), newest first;
    - ``appeals``: pending appeals, oldest first;
    - ``flags``: checks batches failed that the rulebook names no item for (so no finding
      was raised), oldest first.

    Each item names its ``officer``: its own, else (a rectification) its case's, else the
    file's, else None. ``officer="li.wei"`` lists only that officer's items (the "assigned
    to me" queue).

    ``include_closed=True`` lists every item of each kind whatever its state (findings in a
    case or dismissed, every served case, accepted and lifted rectifications, annulled or
    varied decisions below the requirement, decided appeals). Each kind lists at most
    ``limit`` items; ``truncated`` names the kinds that had more.

``worklist_counts(store, *, as_of: date, jurisdiction=None, district=None,
allowed_jurisdiction=None, allowed_district=None, allowed_institution_id=None)
-> WorklistCounts``
    How many items the worklist holds to act on (open findings, cases, rectifications
    and appeals, every one however many) and how many of its cases and rectifications
    are overdue on ``as_of``: counted in the read model, no item read.

Deadlines: an item with a ``due_on`` (a noticed case's defence deadline, a rectification's
deadline while neither accepted nor lifted) is ``overdue`` when ``as_of`` is after it, and
``due`` when it falls within ``due_within_days`` days from ``as_of`` (``as_of`` itself
included) and is not overdue. ``as_of`` is a business date the caller passes; the clock
is never read. It sets the flags only: every item recorded so far is listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.errors import InvalidInput
from projections.querying import Scope, Select, check_limit, reading
from projections.store import Column, Row, Table, ViewSession, ViewStore
from projections.worklist import (
    APPEALS,
    CASES,
    FINDING_COUNTS,
    FINDINGS,
    FLAGS,
    INSTITUTIONS,
    OFFICERS,
    OPEN_RECTIFICATION_STATES,
    RECTIFICATIONS,
)

CASE_STEPS = ("opened", "noticed", "decided", "served")


@dataclass(frozen=True)
class FindingItem:
    institution_id: UUID
    institution_name: str
    jurisdiction: str
    district: str
    finding_id: str
    rule_id: str
    severity: str
    source: str
    occurred_on: date
    #: What the rules required when the finding was recorded (its stored assessment).
    required_level: int | None
    required_article: str | None
    required_actions: tuple[str, ...]
    #: open | in_case | dismissed
    state: str
    case_id: str | None
    #: The officer in charge (its own, its case's, the file's), or None.
    officer: str | None = None


@dataclass(frozen=True)
class CaseItem:
    institution_id: UUID
    institution_name: str
    jurisdiction: str
    district: str
    case_id: str
    #: opened | noticed | decided | served
    step: str
    finding_ids: tuple[str, ...]
    opened_on: date
    noticed_on: date | None
    intended_level: int | None
    defence_deadline: date | None
    defences: int
    defence_waived: bool
    decision_id: str | None
    level: int | None
    decided_on: date | None
    served_on: date | None
    #: decided | served | annulled | varied (None before the decision)
    decision_status: str | None
    interview_pending: bool
    due_on: date | None
    due: bool
    overdue: bool
    #: The officer in charge (its own, its case's, the file's), or None.
    officer: str | None = None


@dataclass(frozen=True)
class RectificationItem:
    institution_id: UUID
    institution_name: str
    jurisdiction: str
    district: str
    decision_id: str
    ordered_on: date
    deadline: date
    #: ordered | reported | accepted | overdue | lifted
    state: str
    reports: int
    last_report_on: date | None
    accepted_on: date | None
    overdue_on: date | None
    lifted_on: date | None
    due_on: date | None
    due: bool
    overdue: bool
    #: The officer in charge (its own, its case's, the file's), or None.
    officer: str | None = None


@dataclass(frozen=True)
class FlaggedDecision:
    """A decision below what the rules required (it carries a written reason)."""

    institution_id: UUID
    institution_name: str
    jurisdiction: str
    district: str
    decision_id: str
    case_id: str
    level: int
    requirement_level: int | None
    requirement_article: str | None
    decided_on: date
    served_on: date | None
    #: decided | served | annulled | varied
    status: str
    #: The officer in charge (its own, its case's, the file's), or None.
    officer: str | None = None


@dataclass(frozen=True)
class AppealItem:
    institution_id: UUID
    institution_name: str
    jurisdiction: str
    district: str
    appeal_id: str
    decision_id: str
    #: reconsideration | review
    kind: str
    filed_on: date
    #: pending | decided
    state: str
    outcome: str | None
    decided_on: date | None
    #: The officer in charge (its own, its case's, the file's), or None.
    officer: str | None = None


@dataclass(frozen=True)
class FlagItem:
    institution_id: UUID
    institution_name: str
    jurisdiction: str
    district: str
    batch_id: str
    check: str
    occurred_on: date
    detail_zh: str
    detail_en: str
    reason_zh: str
    reason_en: str
    state: str
    #: The file's officer (a flag has no officer of its own), or None.
    officer: str | None = None


@dataclass(frozen=True)
class WorklistItems:
    as_of: date
    findings: tuple[FindingItem, ...]
    cases: tuple[CaseItem, ...]
    rectifications: tuple[RectificationItem, ...]
    below_requirement: tuple[FlaggedDecision, ...]
    appeals: tuple[AppealItem, ...]
    flags: tuple[FlagItem, ...]
    #: The kinds that had more than ``limit`` items (only the first ``limit`` are listed).
    truncated: tuple[str, ...]

    @property
    def cases_by_step(self) -> dict[str, tuple[CaseItem, ...]]:
        """The cases under each step (every step present, in due-process order)."""
        return {step: tuple(c for c in self.cases if c.step == step) for step in CASE_STEPS}


def _shape(table: Table) -> Table:
    """The columns of ``table`` joined with its institution's name and place."""
    return Table(
        name=table.name,
        columns=(
            *table.columns,
            Column("institution_name"),
            Column("jurisdiction"),
            Column("district"),
            Column("officer"),
        ),
        primary_key=table.primary_key,
    )


def _opt_int(value: Any) -> int | None:
    return int(value) if value is not None else None


class _Deadlines:
    def __init__(self, as_of: date, due_within_days: int) -> None:
        self.as_of = as_of
        self.horizon = as_of + timedelta(days=due_within_days)

    def flags(self, due_on: date | None) -> tuple[bool, bool]:
        """(due, overdue) for an item waiting on ``due_on``."""
        if due_on is None:
            return False, False
        overdue = self.as_of > due_on
        return (not overdue and due_on <= self.horizon), overdue


def _place(row: Row) -> dict[str, Any]:
    return {
        "institution_id": row["institution_id"],
        "institution_name": row["institution_name"],
        "jurisdiction": row["jurisdiction"],
        "district": row["district"],
        "officer": row["officer"],
    }


def _finding(row: Row) -> FindingItem:
    return FindingItem(
        **_place(row),
        finding_id=row["finding_id"],
        rule_id=row["rule_id"],
        severity=row["severity"],
        source=row["source"],
        occurred_on=row["occurred_on"],
        required_level=_opt_int(row["required_level"]),
        required_article=row["required_article"],
        required_actions=tuple(row["required_actions"] or ()),
        state=row["state"],
        case_id=row["case_id"],
    )


def _case(row: Row, deadlines: _Deadlines) -> CaseItem:
    due, overdue = deadlines.flags(row["due_on"])
    return CaseItem(
        **_place(row),
        case_id=row["case_id"],
        step=row["step"],
        finding_ids=tuple(row["finding_ids"] or ()),
        opened_on=row["opened_on"],
        noticed_on=row["noticed_on"],
        intended_level=_opt_int(row["intended_level"]),
        defence_deadline=row["defence_deadline"],
        defences=int(row["defences"]),
        defence_waived=bool(row["defence_waived"]),
        decision_id=row["decision_id"],
        level=_opt_int(row["level"]),
        decided_on=row["decided_on"],
        served_on=row["served_on"],
        decision_status=row["decision_status"],
        interview_pending=bool(row["interview_pending"]),
        due_on=row["due_on"],
        due=due,
        overdue=overdue,
    )


def _rectification(row: Row, deadlines: _Deadlines) -> RectificationItem:
    due, overdue = deadlines.flags(row["due_on"])
    return RectificationItem(
        **_place(row),
        decision_id=row["decision_id"],
        ordered_on=row["ordered_on"],
        deadline=row["deadline"],
        state=row["state"],
        reports=int(row["reports"]),
        last_report_on=row["last_report_on"],
        accepted_on=row["accepted_on"],
        overdue_on=row["overdue_on"],
        lifted_on=row["lifted_on"],
        due_on=row["due_on"],
        due=due,
        overdue=overdue,
    )


def _flagged(row: Row) -> FlaggedDecision:
    return FlaggedDecision(
        **_place(row),
        decision_id=row["decision_id"],
        case_id=row["case_id"],
        level=int(row["level"]),
        requirement_level=_opt_int(row["requirement_level"]),
        requirement_article=row["requirement_article"],
        decided_on=row["decided_on"],
        served_on=row["served_on"],
        status=row["decision_status"],
    )


def _appeal(row: Row) -> AppealItem:
    return AppealItem(
        **_place(row),
        appeal_id=row["appeal_id"],
        decision_id=row["decision_id"],
        kind=row["kind"],
        filed_on=row["filed_on"],
        state=row["state"],
        outcome=row["outcome"],
        decided_on=row["decided_on"],
    )


def _flag(row: Row) -> FlagItem:
    return FlagItem(
        **_place(row),
        batch_id=row["batch_id"],
        check=row["check_name"],
        occurred_on=row["occurred_on"],
        detail_zh=row["detail_zh"],
        detail_en=row["detail_en"],
        reason_zh=row["reason_zh"],
        reason_en=row["reason_en"],
        state=row["state"],
    )


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


@dataclass(frozen=True)
class _Kind:
    """One kind of item: where it is kept, which are listed and in which order."""

    name: str
    table: Table
    #: What every listed item meets (None: nothing).
    listed: str | None
    #: What an item still to act on meets besides (listed unless ``include_closed``).
    still_open: str
    order: str
    #: The kind of work item its officer is assigned to, and the column naming the item.
    item_kind: str
    item_column: str


_KINDS = (
    _Kind(
        "findings",
        FINDINGS,
        None,
        "x.state = 'open'",
        "x.occurred_on, i.name, x.institution_id, x.finding_id",
        "finding",
        "finding_id",
    ),
    _Kind(
        "cases",
        CASES,
        None,
        "(x.step IN ('opened', 'noticed', 'decided') OR x.interview_pending = 1)",
        "(x.due_on IS NULL), x.due_on, x.opened_on, i.name, x.institution_id, x.case_id",
        "case",
        "case_id",
    ),
    _Kind(
        "rectifications",
        RECTIFICATIONS,
        None,
        f"x.state IN ({_quoted(OPEN_RECTIFICATION_STATES)})",
        "x.deadline, i.name, x.institution_id, x.decision_id",
        "rectification",
        "decision_id",
    ),
    _Kind(
        "below_requirement",
        CASES,
        "x.below_requirement = 1",
        "x.decision_status IN ('decided', 'served')",
        "x.decided_on DESC, i.name, x.institution_id, x.case_id",
        "case",
        "case_id",
    ),
    _Kind(
        "appeals",
        APPEALS,
        None,
        "x.state = 'pending'",
        "x.filed_on, i.name, x.institution_id, x.appeal_id",
        "appeal",
        "appeal_id",
    ),
    _Kind(
        "flags",
        FLAGS,
        None,
        "x.state = 'open'",
        "x.occurred_on, i.name, x.institution_id, x.batch_id, x.check_name",
        "flag",
        "batch_id",
    ),
)


class _Reader:
    """Reads each kind of item, with its institution's name and place, in one snapshot."""

    def __init__(
        self,
        session: ViewSession,
        select: Callable[[Table], Select],
        *,
        limit: int,
        include_closed: bool,
        officer: str | None = None,
    ) -> None:
        self.session = session
        self.select = select
        self.limit = limit
        self.include_closed = include_closed
        self.officer = officer
        self.truncated: list[str] = []

    def read(self, kind: _Kind) -> list[Row]:
        select = self.select(kind.table)
        in_charge = _officers(select, kind)
        select.columns(
            "x.*, i.name AS institution_name, i.jurisdiction AS jurisdiction,"
            f" i.district AS district, {in_charge} AS officer"
        )
        if self.officer is not None:
            select.where(f"{in_charge} = :officer", officer=self.officer)
        if kind.listed is not None:
            select.where(kind.listed)
        if not self.include_closed:
            select.where(kind.still_open)
        rows = (
            select.order_by(kind.order).limit(self.limit + 1).rows(self.session, _shape(kind.table))
        )
        if len(rows) > self.limit:
            self.truncated.append(kind.name)
        return rows[: self.limit]


def _officers(select: Select, kind: _Kind) -> str:
    """Join the officers of the item, of its case (a rectification) and of its file; the
    expression naming the one in charge."""

    def officer_of(alias: str, item_kind: str, item_id: str) -> None:
        select.left_join(
            OFFICERS,
            alias,
            f"{alias}.institution_id = x.institution_id AND {alias}.item_kind = '{item_kind}'"
            f" AND {alias}.item_id = {item_id}",
        )

    officer_of("oi", kind.item_kind, f"x.{kind.item_column}")
    chain = ["oi.officer"]
    if kind.item_kind == "rectification":
        select.left_join(
            CASES, "rc", "rc.institution_id = x.institution_id AND rc.decision_id = x.decision_id"
        )
        officer_of("oc", "case", "rc.case_id")
        chain.append("oc.officer")
    officer_of("ofile", "file", "''")
    chain.append("ofile.officer")
    return f"COALESCE({', '.join(chain)})"


def _items(
    as_of: date, deadlines: _Deadlines, rows: dict[str, list[Row]], truncated: list[str]
) -> WorklistItems:
    return WorklistItems(
        as_of=as_of,
        findings=tuple(_finding(r) for r in rows["findings"]),
        cases=tuple(_case(r, deadlines) for r in rows["cases"]),
        rectifications=tuple(_rectification(r, deadlines) for r in rows["rectifications"]),
        below_requirement=tuple(_flagged(r) for r in rows["below_requirement"]),
        appeals=tuple(_appeal(r) for r in rows["appeals"]),
        flags=tuple(_flag(r) for r in rows["flags"]),
        truncated=tuple(truncated),
    )


def _placed(store: ViewStore, table: Table, scope: Scope) -> Select:
    """``table``'s items joined with their institution, confined to ``scope``."""
    return Select(store.dialect, table, "x", place="i", id_column="id", **scope).join(
        INSTITUTIONS, "i", "i.id = x.institution_id"
    )


@dataclass(frozen=True)
class WorklistCounts:
    #: Open findings, cases, rectifications and appeals.
    open_items: int
    #: Cases and rectifications overdue on the day asked about.
    overdue: int


#: The kinds the counts add up, and whether their ``due_on`` can make them overdue.
_COUNTED = {"findings": False, "cases": True, "rectifications": True, "appeals": False}


def worklist_counts(
    store: ViewStore,
    *,
    as_of: date,
    jurisdiction: str | None = None,
    district: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> WorklistCounts:
    """The items to act on and the overdue ones, counted (what :func:`worklist` would
    list without ``limit``, as its ``overdue`` flags say on ``as_of``)."""
    scope = Scope(
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    placed = jurisdiction is not None or district is not None
    placed = placed or any(v is not None for v in scope.values())
    parts: list[Select] = []
    for kind in _KINDS:
        if kind.name not in _COUNTED:
            continue
        if kind.name == "findings" and allowed_institution_id is None:
            # The open findings the worklist keeps counted by place: a few rows summed.
            counted = Select(store.dialect, FINDING_COUNTS, "x", **scope)
            counted.in_place(jurisdiction, district)
            parts.append(counted.columns("COALESCE(SUM(x.findings), 0) AS n, 0 AS late"))
            continue
        select = Select(store.dialect, kind.table, "x")
        if placed:
            # The institution's current place: joined only when a place is asked for.
            select = _placed(store, kind.table, scope).in_place(jurisdiction, district)
        late = "0"
        if _COUNTED[kind.name]:
            late = "SUM(CASE WHEN x.due_on < :as_of THEN 1 ELSE 0 END)"
            select.bind(as_of=as_of)
        select.columns(f"COUNT(*) AS n, {late} AS late")
        select.where(kind.still_open)
        if kind.listed is not None:
            select.where(kind.listed)
        parts.append(select)
    # One statement, one round trip: the kinds' counts one row each.
    statement = " UNION ALL ".join(part.statement() for part in parts)
    params = {name: value for part in parts for name, value in part.params.items()}
    with reading(store) as session:
        rows = session.rows(statement, params)
    items = sum(int(row["n"]) for row in rows)
    overdue = sum(int(row["late"] or 0) for row in rows)
    return WorklistCounts(open_items=items, overdue=overdue)


def worklist(
    store: ViewStore,
    *,
    as_of: date,
    jurisdiction: str | None = None,
    district: str | None = None,
    institution_id: UUID | None = None,
    officer: str | None = None,
    due_within_days: int = 7,
    include_closed: bool = False,
    limit: int = 500,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> WorklistItems:
    """What the regulator must act on, by kind, with deadline flags against ``as_of``."""
    check_limit(limit)
    if due_within_days < 0:
        raise InvalidInput("due_within_days must not be negative", field="due_within_days")

    def select(table: Table) -> Select:
        """``table``'s items, joined with their institution, in the scope and place asked."""
        return _placed(store, table, scope).in_place(jurisdiction, district, institution_id)

    scope = Scope(
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    with reading(store) as session:
        reader = _Reader(
            session, select, limit=limit, include_closed=include_closed, officer=officer
        )
        rows = {kind.name: reader.read(kind) for kind in _KINDS}
    return _items(as_of, _Deadlines(as_of, due_within_days), rows, reader.truncated)
