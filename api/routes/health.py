"""Liveness (the process answers) and readiness (the store answers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The event store answers")
def readyz(request: Request) -> Any:
    app = request.app.state.oversight
    try:
        position = app.recorder.max_notification_id() or 0
    except Exception as exc:  # any store failure means not ready
        return JSONResponse(
            {"status": "unavailable", "store": type(exc).__name__},
            status_code=503,
            media_type="application/problem+json",
        )
    return {"status": "ready", "store_position": position}
