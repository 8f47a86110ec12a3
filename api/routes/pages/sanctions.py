"""``/sanctions``: the decisions in the caller's scope, filtered and paged; every row as CSV."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.i18n import Translator
from api.routes.pages.common import (
    LEVELS,
    PagingDep,
    PlaceDep,
    SignedInDep,
    blank,
    level_text,
    parse_level,
)
from api.routes.pages.tables import Column, ExportDep, Table, csv_response, table_of
from domain.errors import DomainError
from projections.dashboard import sanction_rows, sanctions_page
from projections.filters import Place, SanctionFilter
from projections.sanctions_queries import Sanction

router = APIRouter(include_in_schema=False)


def sanctions_table(items: Iterable[Sanction], tr: Translator) -> Table:
    columns: list[Column[Sanction]] = [
        (tr("decision.id"), lambda s: s.decision_id),
        (tr("field.name"), lambda s: s.institution_name),
        (tr("field.jurisdiction"), lambda s: tr.jurisdiction(s.jurisdiction)),
        (tr("field.district"), lambda s: s.district),
        (tr("decision.level"), lambda s: level_text(s.effective_level, tr)),
        (
            tr("file.actions"),
            lambda s: "、".join(tr.action(a) for a in (s.new_actions or s.actions)),
        ),
        (tr("decision.articles"), lambda s: "；".join(s.articles)),
        (tr("decision.decided_on"), lambda s: s.decided_on),
        (tr("decision.served_on"), lambda s: s.served_on),
        (tr("decision.below"), lambda s: tr.bool(s.below_requirement)),
        (tr("sanctions.status"), lambda s: tr.sanction_status(s.status)),
    ]
    return table_of("sanctions", items, columns)


def _filters(
    place: Place,
    level: str | None,
    article: str | None,
    month_from: str | None,
    month_to: str | None,
) -> SanctionFilter:
    return SanctionFilter(
        **place.arguments(),
        level=parse_level(level),
        article=blank(article, "article"),
        month_from=blank(month_from, "month_from"),
        month_to=blank(month_to, "month_to"),
    )


@router.get("/sanctions", response_class=HTMLResponse)
def sanctions(
    page: SignedInDep,
    place: PlaceDep,
    paging: PagingDep,
    export: ExportDep,
    level: str | None = None,
    article: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
) -> Response:
    try:
        filters = _filters(place, level, article, month_from, month_to)
        if export.csv:
            rows = sanction_rows(page.store, page.principal, filters)
            return csv_response(sanctions_table(rows, page.tr))
        view = sanctions_page(page.app, page.store, page.principal, filters, paging)
    except DomainError as exc:
        return page.refused(exc)
    return page.render(
        "sanctions.html",
        page=view.page,
        filters=filters,
        choices=view.choices,
        levels=LEVELS,
        first_page=paging.cursor is not None,
    )
