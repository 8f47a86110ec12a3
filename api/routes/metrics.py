"""``/metrics``: the service's numbers in the Prometheus text format (version 0.0.4),
through ``prometheus-client`` (multiprocess mode with ``PROMETHEUS_MULTIPROC_DIR``: see
:mod:`config.metrics`).

Asked of the store at each scrape:

- ``oversight_up``: 1 when the store answered this scrape;
- ``oversight_event_store_head``: the id of the last notification in the event store;
- ``oversight_projection_position`` / ``_lag``: how far each read model has read;
- ``oversight_worker_up{worker}``: 1 while a worker thread of this process runs (embedded
  mode), 0 once it has stopped;
- ``oversight_worker_heartbeat_age_seconds{worker,kind,host}``: each worker's last beat;
  ``oversight_workers_live{kind}``: workers of a kind whose beat is not stale;
  ``oversight_worker_leading{kind,of}``: 1 for what a live worker leads.

Counted as it happens (summed over every process in multiprocess mode):
``oversight_http_requests_total{method,route,status}`` and the histograms
``oversight_http_request_duration_seconds{method,route}`` (by route template, so
``/institutions/{iid}`` is one series however many institutions there are),
``oversight_command_duration_seconds{command}`` and
``oversight_projection_lag_seconds{projection}``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from config.metrics import CONTENT_TYPE, PROCESS, RequestMetrics, exposition
from projections import Projections
from projections.heartbeats import Heartbeat, heartbeats

router = APIRouter(tags=["health"])

UNMATCHED = "unmatched"


def route_of(request: Request) -> str:
    """The template of the route that answered (``/api/v1/institutions/{iid}``)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def worker_threads(request: Request) -> Sequence[threading.Thread]:
    workers: Sequence[threading.Thread] = getattr(request.app.state, "workers", ())
    return workers


class StoreCollector(Collector):
    """What the store says at the moment of the scrape."""

    def __init__(self, request: Request) -> None:
        self.state = request.app.state
        self.threads = worker_threads(request)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        projections: Projections = self.state.projections
        try:
            head = self.state.oversight.store.recorder.max_notification_id() or 0
            statuses = projections.status()
            beats = heartbeats(projections.store)
            up = 1
        except Exception:  # the store did not answer: say so, keep the other numbers
            statuses, beats, head, up = [], [], 0, 0
        yield GaugeMetricFamily("oversight_up", "1 when the event store answered.", value=up)
        worker_up = GaugeMetricFamily(
            "oversight_worker_up",
            "1 while a worker thread of this process runs (embedded workers only).",
            labels=["worker"],
        )
        for thread in self.threads:
            worker_up.add_metric([thread.name], 1 if thread.is_alive() else 0)
        yield worker_up
        if not up:
            return
        yield GaugeMetricFamily(
            "oversight_event_store_head",
            "Id of the last notification in the event store.",
            value=head,
        )
        position = GaugeMetricFamily(
            "oversight_projection_position",
            "Id of the last notification the projection applied.",
            labels=["projection"],
        )
        lag = GaugeMetricFamily(
            "oversight_projection_lag",
            "Notifications recorded but not yet applied by the projection.",
            labels=["projection"],
        )
        for s in statuses:
            position.add_metric([s.name], s.position)
            lag.add_metric([s.name], s.lag)
        yield position
        yield lag
        yield from self._heartbeats(beats)

    def _heartbeats(self, beats: list[Heartbeat]) -> Iterator[GaugeMetricFamily]:
        stale_after: float = self.state.settings.worker_stale_seconds
        age = GaugeMetricFamily(
            "oversight_worker_heartbeat_age_seconds",
            "Seconds since each worker's last heartbeat (the database's clock).",
            labels=["worker", "kind", "host"],
        )
        live = GaugeMetricFamily(
            "oversight_workers_live",
            f"Workers of a kind whose last beat is at most {stale_after:g} s old.",
            labels=["kind"],
        )
        leading = GaugeMetricFamily(
            "oversight_worker_leading",
            "1 for each thing (a projection, deadlines) a live worker leads.",
            labels=["kind", "of"],
        )
        counts: dict[str, int] = {}
        led: set[tuple[str, str]] = set()
        for h in beats:
            age.add_metric([h.worker_id, h.kind, h.host], h.age)
            fresh = h.fresh(stale_after)
            counts[h.kind] = counts.get(h.kind, 0) + (1 if fresh else 0)
            if fresh:
                led.update((h.kind, name) for name in h.leader_of)
        for kind, n in sorted(counts.items()):
            live.add_metric([kind], n)
        for kind, name in sorted(led):
            leading.add_metric([kind, name], 1)
        yield age
        yield live
        yield leading


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    own: RequestMetrics = request.app.state.requests
    body = exposition([own.registry, PROCESS], [StoreCollector(request)])
    return Response(body, media_type=CONTENT_TYPE)
