"""``/status``: how far each read model has read against the store's last notification id,
its lag, when the last event it applied was recorded, and the embedded workers' threads;
the table as CSV.

The numbers are the ones ``/readyz`` reports (:func:`api.routes.health.readiness`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.i18n import Translator
from api.routes.health import Readiness, readiness
from api.routes.pages.common import SignedInDep
from api.routes.pages.tables import Column, ExportDep, Table, table_of
from projections import Projections, ProjectionStatus
from projections.queries import Page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ModelStatus:
    """One read model: its position, the store's head, and the last event it applied."""

    status: ProjectionStatus
    #: When the store recorded the last event the read model applied (``None``: none yet).
    applied_at: datetime | None


def applied_at(projections: Projections, status: ProjectionStatus) -> datetime | None:
    """The recording instant of the notification at ``status.position``."""
    if status.position == 0:
        return None
    log = projections[status.name].log
    entries = log.read(status.position, 1)
    if not entries or entries[0].notification_id != status.position:
        return None
    return log.decode(entries[0]).timestamp


def _table(models: list[ModelStatus], tr: Translator) -> Table:
    columns: list[Column[ModelStatus]] = [
        (tr("status.projection"), lambda m: m.status.name),
        (tr("status.position"), lambda m: m.status.position),
        (tr("status.head"), lambda m: m.status.head),
        (tr("status.lag"), lambda m: m.status.lag),
        (tr("status.updated"), lambda m: tr.instant(m.applied_at)),
    ]
    return table_of("projections", models, columns)


@router.get("/status", response_class=HTMLResponse)
def status_page(page: SignedInDep, export: ExportDep) -> Response:
    projections: Projections = page.request.app.state.projections
    ready: Readiness = readiness(page.request)
    models = [ModelStatus(s, applied_at(projections, s)) for s in ready.projections]
    if export.csv:
        return export.response({"projections": lambda: _table(models, page.tr)}, "projections")
    return page.render(
        "status.html",
        ready=ready,
        page=Page(models, None),
        first_page=False,
    )
