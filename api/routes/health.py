"""Liveness (the process answers) and readiness (the store answers, workers run).

``/readyz`` also reports how far each read model has read (position, head, lag), in
embedded mode whether the worker threads are alive, and every worker's heartbeat (its
host, pid, start, last beat, age, what it leads, whether it is stale). It answers 503 when
the store does not answer, an embedded worker has died, every worker of a kind that has
reported is stale, or a projection has no live leader while projection workers report
(the read models would stop moving); lag alone does not make the service unready, since a
rebuild legitimately lags for a while. A stale worker beside a live one of its kind (a
killed worker whose standby took over) is listed, and does not make it unready.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.routes.metrics import worker_threads
from projections import Projections, ProjectionStatus
from projections.heartbeats import Heartbeat, heartbeats

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
    heartbeats: list[Heartbeat]
    #: Beats older than this many seconds are stale.
    stale_after: float

    def live(self) -> list[Heartbeat]:
        return [h for h in self.heartbeats if h.fresh(self.stale_after)]

    def problems(self) -> list[str]:
        """Why the service is not ready, one reason each (none: ready)."""
        found = [f"worker thread {n} stopped" for n, s in self.workers.items() if s != "running"]
        live = self.live()
        for kind in sorted({h.kind for h in self.heartbeats}):
            if not any(h.kind == kind for h in live):
                found.append(f"every {kind} worker is stale")
        if any(h.kind == "projections" for h in live):
            led = {name for h in live if h.kind == "projections" for name in h.leader_of}
            found += [
                f"projection {s.name} has no live leader"
                for s in self.projections
                if s.name not in led
            ]
        return found

    @property
    def degraded(self) -> bool:
        return bool(self.problems())


def readiness(request: Request) -> Readiness:
    """Read the store's position and each projection's; raises what the store raises."""
    app = request.app.state.oversight
    projections: Projections = request.app.state.projections
    position = app.store.recorder.max_notification_id() or 0
    statuses = projections.status()
    workers = {t.name: "running" if t.is_alive() else "stopped" for t in worker_threads(request)}
    stale_after = request.app.state.settings.worker_stale_seconds
    return Readiness(position, statuses, workers, heartbeats(projections.store), stale_after)


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
        "heartbeats": [
            {
                "worker_id": h.worker_id,
                "kind": h.kind,
                "host": h.host,
                "pid": h.pid,
                "started_at": h.started_at.isoformat(),
                "beat_at": h.beat_at.isoformat(),
                "age_seconds": round(h.age, 3),
                "leader_of": list(h.leader_of),
                "stale": not h.fresh(ready.stale_after),
            }
            for h in ready.heartbeats
        ],
        "problems": ready.problems(),
    }
    if ready.degraded:
        return JSONResponse(body, status_code=503)
    return body
