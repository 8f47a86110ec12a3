"""``/workload``: each supervisor's assignments, visits and assignments still without a
record, and how many times in a row each was sent to the same institution against the
rotation rule (zhengzhou-2014/19); both tables as CSV.

Whether the next assignment would be refused is the domain's answer
(:func:`domain.assignment.rotation_headroom`), read through
:func:`projections.dashboard.workload_page`; the page shows it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.i18n import Translator
from api.routes.pages.common import PlaceDep, SignedInDep, parse_date
from api.routes.pages.tables import Column, ExportDep, Table, table_of
from domain.errors import DomainError
from projections.dashboard import RotationRow, WorkloadPage, workload_page
from projections.filters import WorkloadFilter
from projections.queries import Page
from projections.workload_queries import SupervisorLoad

router = APIRouter(include_in_schema=False)


def _supervisors_table(view: WorkloadPage, tr: Translator) -> Table:
    columns: list[Column[SupervisorLoad]] = [
        (tr("workload.supervisor"), lambda s: s.name),
        (tr("workload.card"), lambda s: s.card_number),
        (tr("field.jurisdiction"), lambda s: tr.jurisdiction(s.jurisdiction)),
        (tr("field.district"), lambda s: s.district),
        (tr("workload.assignments"), lambda s: s.assignments),
        (tr("workload.special"), lambda s: s.special),
        (tr("workload.open"), lambda s: s.open),
        (tr("workload.visits"), lambda s: s.visits),
        (tr("workload.withdrawn"), lambda s: s.withdrawn),
        (tr("workload.last"), lambda s: s.last_assigned_on),
    ]
    return table_of("supervisor-workload", view.loads, columns)


def _rotation_table(view: WorkloadPage, tr: Translator) -> Table:
    columns: list[Column[RotationRow]] = [
        (tr("workload.institution"), lambda r: r.counter.institution_name),
        (tr("field.jurisdiction"), lambda r: tr.jurisdiction(r.counter.jurisdiction)),
        (tr("workload.supervisor"), lambda r: r.counter.supervisor_name),
        (tr("workload.card"), lambda r: r.counter.card_number),
        (tr("workload.consecutive"), lambda r: r.counter.consecutive),
        (tr("workload.limit"), lambda r: r.limit),
        (tr("workload.left"), lambda r: r.left),
        (tr("chart.article"), lambda r: r.article),
    ]
    return table_of("rotation", view.rotation, columns)


def _tables(view: WorkloadPage, tr: Translator) -> dict[str, Callable[[], Table]]:
    return {
        "supervisors": lambda: _supervisors_table(view, tr),
        "rotation": lambda: _rotation_table(view, tr),
    }


@router.get("/workload", response_class=HTMLResponse)
def workload(
    page: SignedInDep, place: PlaceDep, export: ExportDep, since: str | None = None
) -> Response:
    try:
        filters = WorkloadFilter(**place.arguments(), since=parse_date(since, "since"))
        view = workload_page(page.app, page.store, page.principal, filters)
        if export.csv:
            return export.response(_tables(view, page.tr), "supervisors")
    except DomainError as exc:
        return page.refused(exc)
    return page.render(
        "workload.html",
        view=view,
        page=Page(list(view.loads), None),
        filters=filters,
        choices=view.choices,
        first_page=False,
    )
