"""Prometheus metrics through ``prometheus-client``, across processes when asked.

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts: the library reads it
when it is imported), every process of one host (API replicas, workers) writes its
counters and histograms to files in that directory, and any API process's ``/metrics``
sums them all (the library's multiprocess mode). Without it, ``/metrics`` shows the
process's own. Numbers read from the store when scraped (positions, lag, heartbeats) are
never kept in files: each scrape asks the store (``api.routes.metrics``).

- per web service (:class:`RequestMetrics`): ``oversight_http_requests_total{method,route,
  status}`` and the histogram ``oversight_http_request_duration_seconds{method,route}``;
- per process (:data:`PROCESS`): ``oversight_command_duration_seconds{command}``, the time
  an application command takes behind the API, and ``oversight_projection_lag_seconds
  {projection}``, from an event's recording to the commit of the batch that projected it,
  and the gauge ``oversight_commands_recording``, the commands waiting for their events to
  be recorded or being recorded (summed over live processes).

The directory is emptied when the deployment starts (not while it runs: counters of
processes that stopped still count), e.g. a tmpfs, as ``deploy/`` mounts it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

#: The text format ``/metrics`` answers in.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
#: Seconds, for requests and commands.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds, for projection lag.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)

#: This process's own counters and histograms (its commands, its workers).
PROCESS = CollectorRegistry()
COMMAND_SECONDS = Histogram(
    "oversight_command_duration_seconds",
    "Time an application command took behind the API, by command.",
    ["command"],
    buckets=LATENCY_BUCKETS,
    registry=PROCESS,
)
COMMANDS_RECORDING = Gauge(
    "oversight_commands_recording",
    "Commands waiting for their events to be recorded, or being recorded.",
    registry=PROCESS,
    multiprocess_mode="livesum",
)
PROJECTION_LAG_SECONDS = Histogram(
    "oversight_projection_lag_seconds",
    "Seconds from the recording of a batch's last event to the batch's commit, by projection.",
    ["projection"],
    buckets=LAG_BUCKETS,
    registry=PROCESS,
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class RequestMetrics:
    """One web service's request counts and durations (a registry of its own, so that
    services built side by side in one process count apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "oversight_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "oversight_http_request_duration_seconds",
            "Time spent answering requests, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)


def exposition(own: Iterable[CollectorRegistry], live: Iterable[Collector]) -> bytes:
    """The text format: every process's files in multiprocess mode, else ``own``; then the
    ``live`` collectors, asked now."""
    disable_created_metrics()  # type: ignore[no-untyped-call]  # no ``_created`` series
    registry = CollectorRegistry()
    if multiprocess_dir() is not None:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for each in own:
            registry.register(each)
    for collector in live:
        registry.register(collector)
    return generate_latest(registry)
