"""The deadline watcher: turns due dates into events, each at most once.

Expiry and lapse of filings, overdue rectifications (each itself a finding), inactivity
(one and two years without evaluation, per rulebook), and supervisors' card and term expiry.

Every pass asks each open filing what is due by today's business date (Asia/Shanghai)
on the injected clock; the aggregate decides from its own history, so a second pass over
the same day records nothing, and two watchers racing lose only a version conflict.
"""

from __future__ import annotations

import signal
import threading
from datetime import date
from types import FrameType

from config.logging import get_logger
from domain.application import OversightApplication
from domain.errors import Conflict
from domain.institution import Institution
from domain.supervisor import Supervisor

log = get_logger("workers.deadlines")


def run_once(app: OversightApplication, today: date | None = None) -> dict[str, int]:
    """One pass over every institution; counts of the events recorded, by type."""
    today = today or app.ledger.today()
    counts: dict[str, int] = {}
    request_id = f"deadlines:{today.isoformat()}"
    for aggregate_id in app.records.all_originators():
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


def run(app: OversightApplication, stop: threading.Event, interval: float = 60.0) -> None:
    while not stop.is_set():
        run_once(app)
        stop.wait(interval)


def main(app: OversightApplication, *, once: bool = False) -> None:
    """The worker process on ``app``: one pass, or passes until SIGTERM or SIGINT."""
    if once:
        log.info("deadlines.pass", recorded=run_once(app))
        return
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("deadlines.stopping", signal=signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(app, stop)
