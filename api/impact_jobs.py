"""Impact runs started from the dashboard: each on a thread of its own, its progress kept
for the page to poll, its report kept when done.

A run belongs to the subject who started it (another caller's id answers 404). The web
process keeps the latest :data:`KEPT` runs; an older finished one is forgotten, and a
caller may have :data:`RUNNING_PER_SUBJECT` under way at once. Runs live in the process
that started them: behind several replicas, the page must reach the same one (sticky
sessions), or the run is not found.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from config.logging import get_logger
from domain.application import OversightApplication
from domain.commands.impact import Plan, Progress, ProgressMeter, Report
from domain.errors import Conflict, NotFound

log = get_logger("api.impact")

#: Runs kept by the process, finished or not.
KEPT = 32
#: Runs one subject may have under way at once.
RUNNING_PER_SUBJECT = 2
#: Seconds between two updates of a run's progress.
EVERY = 0.25


@dataclass
class Run:
    id: str
    subject: str
    plan: Plan
    progress: Progress = field(default_factory=lambda: Progress(0, 0, 0.0, None, 0.0))
    report: Report | None = None
    failed: str | None = None
    seconds: float = 0.0

    @property
    def done(self) -> bool:
        return self.report is not None or self.failed is not None


class ImpactRuns:
    def __init__(self, application: OversightApplication) -> None:
        self.application = application
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, subject: str, plan: Plan) -> Run:
        with self._lock:
            running = [r for r in self._runs.values() if r.subject == subject and not r.done]
            if len(running) >= RUNNING_PER_SUBJECT:
                raise Conflict(
                    f"{len(running)} impact runs of yours are under way; wait for one to end"
                )
            run = Run(secrets.token_urlsafe(12), subject, plan)
            self._runs[run.id] = run
            while len(self._runs) > KEPT:
                oldest = next((k for k, r in self._runs.items() if r.done), None)
                if oldest is None:
                    break
                del self._runs[oldest]
        threading.Thread(
            target=self._work, args=(run,), name=f"impact-{run.id}", daemon=True
        ).start()
        return run

    def get(self, subject: str, run_id: str) -> Run:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None or run.subject != subject:
            raise NotFound(f"impact run {run_id} does not exist", field="run_id")
        return run

    def _work(self, run: Run) -> None:
        def show(progress: Progress) -> None:
            run.progress = progress

        meter = ProgressMeter(time.perf_counter, EVERY, show)
        report: Report | None = None
        try:
            report = self.application.impact.run(run.plan, meter)
        except Exception as exc:  # the run ends; the page says so, the log says why
            log.exception("impact.failed", run=run.id)
            run.failed = type(exc).__name__
        run.seconds = meter.stop()
        if report is not None:
            run.progress = meter.final(report)
            run.report = report
