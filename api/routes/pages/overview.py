"""``/``: the overview — headline counts and the charts, each with its table and CSV."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.i18n import Translator
from api.routes.pages.charts import (
    STATUS_COLOURS,
    Chart,
    Series,
    by_level,
    continuous_months,
    level_table,
    most_first,
)
from api.routes.pages.common import STATUSES, PlaceDep, SignedInDep
from api.routes.pages.tables import Column, ExportDep, Table, table_of
from domain.errors import DomainError
from projections.complaints_queries import ComplaintStat
from projections.dashboard import Overview, overview

router = APIRouter(include_in_schema=False)

#: Most articles shown in the by-article chart (the table and CSV keep them all).
TOP_ARTICLES = 15
#: The complaint series: label, the count it reads, colour.
COMPLAINT_PARTS = (
    ("complaints.substantiated", "substantiated", "#c0392b"),
    ("complaints.unfounded", "unsubstantiated", "#7b8da3"),
    ("complaints.open", "pending", "#e0a30b"),
)


def _shown_statuses(view: Overview) -> list[str]:
    return [s for s in STATUSES if view.statuses.get(s)]


def _complaint_table(stats: Sequence[ComplaintStat], tr: Translator) -> Table:
    columns: list[Column[ComplaintStat]] = [
        (tr("chart.month"), lambda s: s.label),
        (tr("complaints.received"), lambda s: s.received),
        (tr("complaints.substantiated"), lambda s: s.substantiated),
        (tr("complaints.unfounded"), lambda s: s.unsubstantiated),
        (tr("complaints.open"), lambda s: s.pending),
    ]
    return table_of("complaints-by-month", stats, columns)


def _tables(view: Overview, tr: Translator) -> dict[str, Callable[[], Table]]:
    def status() -> Table:
        return Table(
            "filings-by-status",
            [tr("field.status"), tr("common.count")],
            [[tr.status(s), view.statuses[s]] for s in _shown_statuses(view)],
        )

    return {
        "status": status,
        "sanctions_by_month": lambda: level_table(
            "sanctions-by-month", tr("chart.month"), view.by_month, tr
        ),
        "sanctions_by_article": lambda: level_table(
            "sanctions-by-article", tr("chart.article"), view.by_article, tr
        ),
        "sanctions_by_district": lambda: level_table(
            "sanctions-by-district", tr("chart.district"), view.by_district, tr
        ),
        "complaints": lambda: _complaint_table(view.complaints, tr),
    }


def _status_chart(view: Overview, tr: Translator) -> Chart:
    codes = _shown_statuses(view)
    series = Series(
        tr("field.status"),
        [view.statuses[s] for s in codes],
        tuple(STATUS_COLOURS[s] for s in codes),
    )
    return Chart(
        "chart-status", tr("chart.status"), "pie", [tr.status(s) for s in codes], [series], "status"
    )


def _complaint_chart(stats: Sequence[ComplaintStat], tr: Translator) -> Chart:
    series = [
        Series(tr(key), [int(getattr(s, attr)) for s in stats], (colour,))
        for key, attr, colour in COMPLAINT_PARTS
    ]
    return Chart(
        "chart-complaints",
        tr("chart.complaints"),
        "bar",
        [s.label for s in stats],
        series,
        "complaints",
    )


def _charts(view: Overview, tr: Translator) -> list[Chart]:
    months, month_series = by_level(view.by_month, tr, order=continuous_months)
    articles, article_series = by_level(
        view.by_article, tr, order=lambda totals: most_first(totals)[:TOP_ARTICLES]
    )
    districts, district_series = by_level(view.by_district, tr, order=most_first)
    return [
        _status_chart(view, tr),
        Chart(
            "chart-month", tr("chart.by_month"), "bar", months, month_series, "sanctions_by_month"
        ),
        Chart(
            "chart-article",
            tr("chart.by_article"),
            "bar",
            articles,
            article_series,
            "sanctions_by_article",
            horizontal=True,
        ),
        Chart(
            "chart-district",
            tr("chart.by_district"),
            "bar",
            districts,
            district_series,
            "sanctions_by_district",
        ),
        _complaint_chart(view.complaints, tr),
    ]


def _cards(view: Overview, tr: Translator) -> list[tuple[str, int, str, str]]:
    """The headline numbers: label, number, where it leads, tone."""
    return [
        (tr("overview.institutions"), sum(view.statuses.values()), "/register", ""),
        (tr("overview.active"), view.statuses.get("active", 0), "/register?status=active", ""),
        (tr("overview.worklist"), view.open_items, "/worklist", ""),
        (tr("overview.overdue"), view.overdue, "/worklist", "alert" if view.overdue else ""),
    ]


@router.get("/", response_class=HTMLResponse)
def overview_page(page: SignedInDep, place: PlaceDep, export: ExportDep) -> Response:
    tr = page.tr
    try:
        view = overview(page.app, page.store, page.principal, place)
        tables = _tables(view, tr)
        if export.csv:
            return export.response(tables, "status")
    except DomainError as exc:
        return page.refused(exc)
    return page.render(
        "overview.html",
        charts=_charts(view, tr),
        cards=_cards(view, tr),
        tables={name: make() for name, make in tables.items()},
        filters=place,
        choices=view.choices,
        charts_page=True,
    )
