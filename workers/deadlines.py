"""The deadline watcher: turns due dates into events, each at most once.

Expiry and lapse of filings, overdue rectifications (each itself a finding), inactivity
(one and two years without evaluation, per rulebook), and supervisors' card and term expiry.

Every pass asks each open filing what is due by today's business date (Asia/Shanghai)
on the injected clock: with a :class:`~projections.deadlines.DueIndex`, only the records
the deadlines read model has a deadline due for (the others have nothing to record);
the aggregate decides from its own history, so a second pass over
the same day records nothing, and two watchers racing lose only a version conflict.

With a :class:`~workers.coordination.Coordinator`, only the watcher that leads
``deadlines`` makes passes; the others beat and stand by, and the first to take the lead
after the leader dies makes a pass at once. A stop request ends a pass between two records
(each record's changes are saved together or not at all).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable
from datetime import date
from types import FrameType
from uuid import UUID

from config.logging import get_logger
from domain.application import OversightApplication
from domain.errors import Conflict
from domain.institution import Institution
from domain.supervisor import Supervisor
from projections.deadlines import DueIndex
from workers.coordination import Coordinator

log = get_logger("workers.deadlines")

#: What the deadline watchers' leader leads.
LEADS = "deadlines"


def run_once(
    app: OversightApplication,
    today: date | None = None,
    stop: threading.Event | None = None,
    index: DueIndex | None = None,
) -> dict[str, int]:
    """One pass; counts of the events recorded, by type. With ``index``, over the records
    it has a deadline due by ``today`` for; without, over every record in the store."""
    today = today or app.ledger.today()
    counts: dict[str, int] = {}
    request_id = f"deadlines:{today.isoformat()}"
    ids: Iterable[UUID] = app.records.all_originators() if index is None else index.to_watch(today)
    for aggregate_id in ids:
        if stop is not None and stop.is_set():
            break
        aggregate: object = app.store.repository.get(aggregate_id)
        try:
            if isinstance(aggregate, Institution) and aggregate.valid_until is not None:
                recorded = app.filing.advance_filing(aggregate_id, today, request_id)
                recorded += app.cases.advance_casework(aggregate_id, today, request_id)
            elif isinstance(aggregate, Supervisor):
                recorded = app.supervision.advance_supervisor(aggregate_id, today, request_id)
            else:
                continue
        except Conflict:
            log.info("deadline.skipped_concurrent", aggregate_id=str(aggregate_id))
            continue
        for name in recorded:
            counts[name] = counts.get(name, 0) + 1
            log.info("deadline.recorded", aggregate_id=str(aggregate_id), event_type=name)
    return counts


def run(
    app: OversightApplication,
    stop: threading.Event,
    interval: float = 60.0,
    coordinator: Coordinator | None = None,
    index: DueIndex | None = None,
) -> None:
    """A pass every ``interval`` seconds until ``stop`` is set (with ``coordinator``, while
    this watcher leads; it beats meanwhile and gives its row up when it stops)."""
    tick = interval if coordinator is None else min(interval, coordinator.interval)
    next_pass = 0.0
    if coordinator is not None:
        coordinator.lead([LEADS])  # before the first beat, which then names it
        coordinator.start()
    try:
        while not stop.is_set():
            leads = coordinator is None or LEADS in coordinator.lead([LEADS])
            if leads and time.monotonic() >= next_pass:
                try:
                    run_once(app, stop=stop, index=index)
                except Exception:  # the store is away: the next pass tries again
                    log.exception("deadlines.pass_failed")
                next_pass = time.monotonic() + interval
            elif not leads:
                next_pass = 0.0  # on taking the lead, a pass at once
            stop.wait(tick)
    finally:
        if coordinator is not None:
            coordinator.close()


def main(
    app: OversightApplication,
    *,
    once: bool = False,
    interval: float = 60.0,
    coordinator: Coordinator | None = None,
    index: DueIndex | None = None,
) -> None:
    """The worker process on ``app``: one pass, or passes until SIGTERM or SIGINT."""
    if once:
        log.info("deadlines.pass", recorded=run_once(app, index=index))
        return
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("deadlines.stopping", signal=signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(app, stop, interval, coordinator, index)
