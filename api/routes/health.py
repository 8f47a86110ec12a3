"""Liveness (the process answers) and readiness (the store answers, workers run).

``/readyz`` also reports how far each read model has read (position, head, lag) and, in
embedded mode, whether the worker threads are alive. It answers 503 when the store does
not answer or an embedded worker has died (the read models would stop moving); lag alone
does not make the service unready, since a rebuild legitimately lags for a while.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.routes.metrics import worker_threads
from projections import Projections, ProjectionStatus

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@dataclass(frozen=True)
class Readiness:
    """Where the store is, how far each read model has read, and the embedded workers."""

    store_position: int
    projections: list[ProjectionStatus]
    #: Worker thread name → running | stopped (none outside embedded mode).
    workers: dict[str, str]

    @property
    def degraded(self) -> bool:
        return any(state != "running" for state in self.workers.values())


def readiness(request: Request) -> Readiness:
    """Read the store's position and each projection's; raises what the store raises."""
    app = request.app.state.oversight
    projections: Projections = request.app.state.projections
    position = app.store.recorder.max_notification_id() or 0
    statuses = projections.status()
    workers = {t.name: "running" if t.is_alive() else "stopped" for t in worker_threads(request)}
    return Readiness(position, statuses, workers)


@router.get("/readyz", summary="The event store answers; projection lag and worker health")
def readyz(request: Request) -> Any:
    try:
        ready = readiness(request)
    except Exception as exc:  # any store failure means not ready
        return JSONResponse(
            {"status": "unavailable", "store": type(exc).__name__},
            status_code=503,
            media_type="application/problem+json",
        )
    body = {
        "status": "degraded" if ready.degraded else "ready",
        "store_position": ready.store_position,
        "projections": [
            {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag}
            for s in ready.projections
        ],
        "workers": ready.workers,
    }
    if ready.degraded:
        return JSONResponse(body, status_code=503)
    return body
