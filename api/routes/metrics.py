"""``/metrics``: the service's numbers in the Prometheus text format (version 0.0.4).

- ``oversight_event_store_head``: the id of the last notification in the event store;
- ``oversight_projection_position`` / ``_head`` / ``_lag``: how far each read model has read;
- ``oversight_http_requests_total{method,route,status}`` and
  ``oversight_http_request_duration_seconds`` (sum and count): requests by route template,
  so ``/institutions/{iid}`` is one series however many institutions there are;
- ``oversight_worker_up{worker}``: 1 while a worker thread of this process runs (embedded
  mode), 0 once it has stopped;
- ``oversight_up``: 1 when the store answered this scrape.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from projections import Projections

router = APIRouter(tags=["health"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "unmatched"


@dataclass
class _Tally:
    count: int = 0
    seconds: float = 0.0


class RequestCounter:
    """Requests answered, by method, route template and status (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tallies: dict[tuple[str, str, str], _Tally] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        with self._lock:
            tally = self._tallies.setdefault(key, _Tally())
            tally.count += 1
            tally.seconds += seconds

    def snapshot(self) -> list[tuple[tuple[str, str, str], int, float]]:
        with self._lock:
            return [(k, t.count, t.seconds) for k, t in sorted(self._tallies.items())]


def route_of(request: Request) -> str:
    """The template of the route that answered (``/api/v1/institutions/{iid}``)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return "{" + inner + "}" if inner else ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Exposition:
    """Builds the text format: each family's HELP and TYPE once, then its samples."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self,
        name: str,
        kind: str,
        help_text: str,
        samples: Iterable[tuple[str, dict[str, str], float]],
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for suffix, labels, value in samples:
            self.lines.append(f"{name}{suffix}{_labels(**labels)} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def worker_threads(request: Request) -> Sequence[threading.Thread]:
    workers: Sequence[threading.Thread] = getattr(request.app.state, "workers", ())
    return workers


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    out = Exposition()
    store_families(out, request)
    counter: RequestCounter = request.app.state.requests
    http_families(out, counter.snapshot())
    out.family(
        "oversight_worker_up",
        "gauge",
        "1 while a worker thread of this process runs (embedded workers only).",
        [("", {"worker": t.name}, 1 if t.is_alive() else 0) for t in worker_threads(request)],
    )
    return Response(out.text(), media_type=CONTENT_TYPE)


def store_families(out: Exposition, request: Request) -> None:
    """Whether the store answered; its head and each projection's position and lag."""
    projections: Projections = request.app.state.projections
    try:
        head = request.app.state.oversight.store.recorder.max_notification_id() or 0
        statuses = projections.status()
        up = 1
    except Exception:  # the store did not answer: say so, keep the other numbers
        statuses, head, up = [], 0, 0
    out.family("oversight_up", "gauge", "1 when the event store answered.", [("", {}, up)])
    if not up:
        return
    out.family(
        "oversight_event_store_head",
        "gauge",
        "Id of the last notification in the event store.",
        [("", {}, head)],
    )
    out.family(
        "oversight_projection_position",
        "gauge",
        "Id of the last notification the projection applied.",
        [("", {"projection": s.name}, s.position) for s in statuses],
    )
    out.family(
        "oversight_projection_lag",
        "gauge",
        "Notifications recorded but not yet applied by the projection.",
        [("", {"projection": s.name}, s.lag) for s in statuses],
    )


def http_families(
    out: Exposition, tallies: Sequence[tuple[tuple[str, str, str], int, float]]
) -> None:
    """Requests by method, route template and status; time spent by method and route."""
    out.family(
        "oversight_http_requests_total",
        "counter",
        "HTTP requests answered, by method, route template and status.",
        [("", {"method": m, "route": r, "status": s}, n) for (m, r, s), n, _ in tallies],
    )
    by_route: dict[tuple[str, str], list[float]] = {}
    for (method, route, _), n, seconds in tallies:
        total = by_route.setdefault((method, route), [0.0, 0.0])
        total[0] += n
        total[1] += seconds
    out.family(
        "oversight_http_request_duration_seconds",
        "summary",
        "Time spent answering requests, by method and route template.",
        [
            sample
            for (method, route), (n, seconds) in sorted(by_route.items())
            for sample in (
                ("_sum", {"method": method, "route": route}, seconds),
                ("_count", {"method": method, "route": route}, n),
            )
        ],
    )
