"""Liveness (the process answers) and readiness (the store answers, workers run).

``/readyz`` also reports how far each read model has read (position, head, lag) and, in
embedded mode, whether the worker threads are alive. It answers 503 when the store does
not answer or an embedded worker has died (the read models would stop moving); lag alone
does not make the service unready, since a rebuild legitimately lags for a while.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.routes.metrics import worker_threads
from projections import Projections

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The event store answers; projection lag and worker health")
def readyz(request: Request) -> Any:
    app = request.app.state.oversight
    projections: Projections = request.app.state.projections
    try:
        position = app.store.recorder.max_notification_id() or 0
        statuses = projections.status()
    except Exception as exc:  # any store failure means not ready
        return JSONResponse(
            {"status": "unavailable", "store": type(exc).__name__},
            status_code=503,
            media_type="application/problem+json",
        )
    workers = {t.name: "running" if t.is_alive() else "stopped" for t in worker_threads(request)}
    body = {
        "status": "ready",
        "store_position": position,
        "projections": [
            {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag} for s in statuses
        ],
        "workers": workers,
    }
    if any(state != "running" for state in workers.values()):
        body["status"] = "degraded"
        return JSONResponse(body, status_code=503)
    return body
