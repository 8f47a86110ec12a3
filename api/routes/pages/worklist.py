"""``/worklist``: what the caller must act on, with the deadlines the worklist flags.

Whether an item is due or overdue is the worklist read model's flag; the page shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Protocol

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.i18n import Translator
from api.routes.pages.common import SignedInDep, blank, level_text
from api.routes.pages.tables import Column, ExportDep, Table, table_of
from domain.errors import DomainError
from projections.dashboard import WORKLIST_LIMIT, WorklistPage, worklist_page
from projections.queries import RegisterEntry
from projections.querying import MAX_LIMIT
from projections.worklist_queries import (
    AppealItem,
    CaseItem,
    FindingItem,
    FlaggedDecision,
    FlagItem,
    RectificationItem,
)

router = APIRouter(include_in_schema=False)


class Placed(Protocol):
    """A worklist item: it names its institution and where it is."""

    @property
    def institution_name(self) -> str: ...
    @property
    def jurisdiction(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def officer(self) -> str | None: ...


class Waiting(Protocol):
    """A worklist item waiting on a date, with the read model's overdue flag."""

    @property
    def due_on(self) -> date | None: ...
    @property
    def overdue(self) -> bool: ...


def deadline_text(item: Waiting, today: date, tr: Translator) -> str:
    """``overdue by N days`` or ``days left N`` (blank without a date)."""
    if item.due_on is None:
        return ""
    days = (item.due_on - today).days
    return tr("worklist.overdue", n=-days) if item.overdue else f"{tr('worklist.days')} {days}"


def _place(tr: Translator) -> list[Column[Placed]]:
    return [
        (tr("worklist.institution"), lambda x: x.institution_name),
        (tr("field.jurisdiction"), lambda x: tr.jurisdiction(x.jurisdiction)),
        (tr("field.district"), lambda x: x.district),
        (tr("worklist.officer"), lambda x: x.officer or ""),
    ]


def _cases(view: WorklistPage, tr: Translator) -> Table:
    columns: list[Column[CaseItem]] = [
        *_place(tr),
        (tr("case.id"), lambda c: c.case_id),
        (
            tr("case.step"),
            lambda c: tr("worklist.interview_due") if c.interview_pending else tr.case_step(c.step),
        ),
        (tr("worklist.due_on"), lambda c: c.due_on),
        (tr("worklist.days"), lambda c: deadline_text(c, view.today, tr)),
        (tr("case.opened_on"), lambda c: c.opened_on),
        (tr("case.intended_level"), lambda c: level_text(c.intended_level, tr)),
        (tr("decision.level"), lambda c: level_text(c.level, tr)),
        (tr("case.findings"), lambda c: "；".join(c.finding_ids)),
        (tr("case.decision"), lambda c: c.decision_id),
    ]
    return table_of("worklist-cases", view.work.cases, columns)


def _rectifications(view: WorklistPage, tr: Translator) -> Table:
    columns: list[Column[RectificationItem]] = [
        *_place(tr),
        (tr("decision.id"), lambda r: r.decision_id),
        (tr("worklist.ordered_on"), lambda r: r.ordered_on),
        (tr("worklist.due_on"), lambda r: r.deadline),
        (tr("worklist.days"), lambda r: deadline_text(r, view.today, tr)),
        (tr("worklist.state"), lambda r: tr.rectification(r.state)),
        (tr("worklist.reports"), lambda r: r.reports),
    ]
    return table_of("worklist-rectifications", view.work.rectifications, columns)


def _findings(view: WorklistPage, tr: Translator) -> Table:
    columns: list[Column[FindingItem]] = [
        *_place(tr),
        (tr("file.finding"), lambda f: f.finding_id),
        (tr("chart.article"), lambda f: f.rule_id),
        (tr("event.occurred_on"), lambda f: f.occurred_on),
        (tr("file.requirement_level"), lambda f: level_text(f.required_level, tr)),
        (tr("file.required_article"), lambda f: f.required_article),
        (tr("file.actions"), lambda f: "、".join(tr.action(a) for a in f.required_actions)),
    ]
    return table_of("worklist-findings", view.work.findings, columns)


def _below(view: WorklistPage, tr: Translator) -> Table:
    columns: list[Column[FlaggedDecision]] = [
        *_place(tr),
        (tr("decision.id"), lambda d: d.decision_id),
        (tr("decision.decided_on"), lambda d: d.decided_on),
        (tr("decision.level"), lambda d: level_text(d.level, tr)),
        (tr("worklist.required"), lambda d: level_text(d.requirement_level, tr)),
        (tr("file.required_article"), lambda d: d.requirement_article),
        (tr("field.status"), lambda d: tr.sanction_status(d.status)),
    ]
    return table_of("worklist-below-requirement", view.work.below_requirement, columns)


def _appeals(view: WorklistPage, tr: Translator) -> Table:
    columns: list[Column[AppealItem]] = [
        *_place(tr),
        (tr("worklist.appeal"), lambda a: f"{a.appeal_id} · {tr.appeal_kind(a.kind)}"),
        (tr("decision.id"), lambda a: a.decision_id),
        (tr("worklist.filed_on"), lambda a: a.filed_on),
    ]
    return table_of("worklist-appeals", view.work.appeals, columns)


def _flags(view: WorklistPage, tr: Translator) -> Table:
    columns: list[Column[FlagItem]] = [
        *_place(tr),
        (tr("worklist.batch"), lambda f: f.batch_id),
        (tr("event.occurred_on"), lambda f: f.occurred_on),
        (tr("worklist.check"), lambda f: f.check),
        (tr("worklist.flag_detail"), lambda f: tr.pick(f.detail_zh, f.detail_en)),
        (tr("worklist.flag_reason"), lambda f: tr.pick(f.reason_zh, f.reason_en)),
    ]
    return table_of("worklist-flags", view.work.flags, columns)


def _filings(view: WorklistPage, tr: Translator) -> Table:
    columns: list[Column[RegisterEntry]] = [
        (tr("worklist.institution"), lambda e: e.name),
        (tr("field.jurisdiction"), lambda e: tr.jurisdiction(e.jurisdiction)),
        (tr("field.district"), lambda e: e.district),
        (tr("field.credit_code"), lambda e: e.credit_code),
        (tr("field.submitted_on"), lambda e: e.submitted_on),
    ]
    return table_of("worklist-filings", view.filings, columns)


TABLES: dict[str, Callable[[WorklistPage, Translator], Table]] = {
    "cases": _cases,
    "rectifications": _rectifications,
    "findings": _findings,
    "below_requirement": _below,
    "appeals": _appeals,
    "flags": _flags,
    "filings": _filings,
}


@router.get("/worklist", response_class=HTMLResponse)
def worklist(page: SignedInDep, export: ExportDep, mine: str | None = None) -> Response:
    """Every item in the caller's scope; ``?mine=1``: only those assigned to the caller."""
    tr = page.tr
    try:
        assigned = blank(mine, "mine") not in (None, "0", "false")
        limit = MAX_LIMIT if export.csv else WORKLIST_LIMIT
        view = worklist_page(page.app, page.store, page.principal, mine=assigned, limit=limit)
        if export.csv:
            tables = {name: partial(make, view, tr) for name, make in TABLES.items()}
            return export.response(tables, "cases")
    except DomainError as exc:
        return page.refused(exc)
    return page.render(
        "worklist.html",
        work=view.work,
        filings=view.filings,
        today=view.today,
        officer=view.officer,
        limit=view.limit,
        deadline=lambda item: deadline_text(item, view.today, tr),
    )
