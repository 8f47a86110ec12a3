"""The projection worker: keeps every read model caught up with the event store.

It polls the notification log (SQLite has no notifications to listen to, and one code
path serves both backends), applies new events in batches, and records each batch's
position with its rows. SIGTERM or SIGINT lets the batch in progress commit and then
stops the loop; a restart resumes from the recorded positions. Several workers may run
against one store: each batch is taken under a per-projection lock, so they never apply
an event twice; and with a :class:`~workers.coordination.Coordinator` each projection is
fed by the worker that leads it while the others stand by, ready to take it over.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from types import FrameType

from config.logging import get_logger
from config.metrics import PROJECTION_LAG_SECONDS
from domain.events import LedgerEvent
from projections import Projections
from workers.coordination import Coordinator

log = get_logger("workers.projections")

#: Longest wait between attempts after failures (seconds).
MAX_BACKOFF = 30.0


def run(
    projections: Projections,
    stop_event: threading.Event,
    poll_interval: float = 0.5,
    coordinator: Coordinator | None = None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Catch up every projection until ``stop_event`` is set (with ``coordinator``, those
    this worker leads; it beats meanwhile and gives its row up when it stops). With
    ``clock``, each batch's lag (its last event's recording to its commit) is observed in
    ``oversight_projection_lag_seconds``.

    ``projections`` are fed by an application (``bootstrap.read_models.build_projections``); whoever
    built them closes them.
    """
    failures = 0
    if clock is not None:
        projections.observe(partial(observe_lag, clock))
    log.info("projections.started", projections=list(projections))
    if coordinator is not None:
        coordinator.lead(projections)  # before the first beat, which then names them
        coordinator.start()
    try:
        while not stop_event.is_set():
            led = None if coordinator is None else coordinator.lead(projections)
            try:
                applied = projections.catch_up(stop=stop_event, only=led)
            except Exception:
                failures += 1
                delay = min(MAX_BACKOFF, poll_interval * 2**failures)
                log.exception("projections.batch_failed", retry_in=delay, failures=failures)
                stop_event.wait(delay)
                continue
            failures = 0
            if any(applied.values()):
                log.info("projections.applied", applied=applied)
            else:
                stop_event.wait(poll_interval)
    finally:
        if coordinator is not None:
            coordinator.close()
        log.info("projections.stopped")


def observe_lag(clock: Callable[[], datetime], name: str, event: LedgerEvent) -> None:
    lag = (clock() - event.timestamp).total_seconds()
    PROJECTION_LAG_SECONDS.labels(name).observe(max(0.0, lag))


def main(
    projections: Projections,
    *,
    poll_interval: float = 0.5,
    coordinator: Coordinator | None = None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """The worker process: runs until SIGTERM or SIGINT, then exits cleanly."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("projections.stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(projections, stop, poll_interval, coordinator, clock)


def command(projections: Projections, action: str, name: str | None, all_: bool) -> int:
    """``oversight projections status|rebuild [NAME] [--all]``; the process exit code."""
    if name is not None and name not in projections:
        known = ", ".join(projections)
        print(f"no projection {name!r} (known: {known})", file=sys.stderr)
        return 2
    chosen = [name] if name is not None else list(projections)
    if action == "status":
        for n in chosen:
            s = projections[n].status()
            print(f"{n:<16} position {s.position:>10}  head {s.head:>10}  lag {s.lag:>8}")
        return 0
    if action == "rebuild":
        if name is None and not all_:
            print("name a projection to rebuild, or pass --all", file=sys.stderr)
            return 2
        # All of them from one read of the log, or the one named.
        rebuilt = projections.rebuild() if name is None else {name: projections[name].rebuild()}
        for n, applied in rebuilt.items():
            print(f"{n:<16} rebuilt from {applied} events  sha256 {projections[n].content_hash()}")
        return 0
    print(f"unknown action {action!r} (status, rebuild)", file=sys.stderr)
    return 2
