"""``/register``: the institutions in the caller's scope, filtered and paged; every row as CSV."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.i18n import Translator
from api.routes.pages.common import (
    STATUSES,
    PagingDep,
    PlaceDep,
    SignedInDep,
    blank,
    scope_text,
)
from api.routes.pages.tables import Column, ExportDep, Table, csv_response, table_of
from domain.errors import DomainError
from projections.dashboard import register_page, register_rows
from projections.filters import RegisterFilter
from projections.queries import RegisterEntry

router = APIRouter(include_in_schema=False)


def register_table(entries: Iterable[RegisterEntry], tr: Translator) -> Table:
    columns: list[Column[RegisterEntry]] = [
        (tr("field.credit_code"), lambda e: e.credit_code),
        (tr("field.name"), lambda e: e.name),
        (tr("field.kind"), lambda e: tr.kind(e.kind)),
        (tr("field.jurisdiction"), lambda e: tr.jurisdiction(e.jurisdiction)),
        (tr("field.district"), lambda e: e.district),
        (tr("field.status"), lambda e: tr.status(e.status)),
        (tr("field.suspended"), lambda e: tr.bool(e.suspended_by)),
        (tr("field.receipt_number"), lambda e: e.receipt_number),
        (tr("field.valid_from"), lambda e: e.valid_from),
        (tr("field.valid_until"), lambda e: e.valid_until),
        (
            tr("field.ban_until"),
            lambda e: tr("common.indefinite") if e.ban_indefinite else e.ban_until,
        ),
        (tr("field.occupations"), lambda e: scope_text(e.occupations)),
        (tr("field.test_sites"), lambda e: "；".join(e.test_sites)),
        (tr("field.id"), lambda e: e.id),
    ]
    return table_of("register", entries, columns)


@router.get("/register", response_class=HTMLResponse)
def register(
    page: SignedInDep,
    place: PlaceDep,
    paging: PagingDep,
    export: ExportDep,
    status: str | None = None,
    occupation: str | None = None,
) -> Response:
    filters = RegisterFilter(
        **place.arguments(),
        status=blank(status, "status"),
        occupation=blank(occupation, "occupation"),
    )
    try:
        if export.csv:
            rows = register_rows(page.store, page.principal, filters)
            return csv_response(register_table(rows, page.tr))
        view = register_page(page.app, page.store, page.principal, filters, paging)
    except DomainError as exc:
        return page.refused(exc)
    return page.render(
        "register.html",
        page=view.page,
        filters=filters,
        choices=view.choices,
        first_page=paging.cursor is not None,
        statuses=STATUSES,
    )
