"""Projections are disposable and exactly-once (product.md point 8).

A rebuild reaches the same content; a crash loses and doubles nothing, because each batch's
rows and position commit together; two runners never both apply an event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from bootstrap import build_application
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from domain.events import LedgerEvent
from projections import Projections, StalePosition
from projections.queries import list_institutions
from projections.register import INSTITUTIONS, Register
from projections.store import ViewSession
from tests.conftest import FakeClock
from tests.projections.casework import LATER, busy_year
from tests.projections.filings import SUBMITTED_TOPIC, file_many

ROOT = Path(__file__).resolve().parents[2]


def head(app: OversightApplication) -> int:
    return app.store.recorder.max_notification_id() or 0


def notifications_after(app: OversightApplication, position: int) -> int:
    return len(app.store.recorder.select_notifications(start=position + 1, limit=1_000_000))


def submissions_up_to(app: OversightApplication, position: int) -> int:
    """How many institutions the log has created up to ``position``."""
    notes = app.store.recorder.select_notifications(start=1, limit=position) if position else []
    return sum(1 for n in notes if n.topic == SUBMITTED_TOPIC)


def register_size(projections: Projections) -> int:
    return len(list_institutions(projections.store, limit=500).items)


def rebuilt_hash(settings: Settings, app: OversightApplication) -> str:
    """The content a fresh rebuild reaches (on a second set of connections)."""
    fresh = build_projections(settings, app)
    try:
        fresh.register.rebuild()
        return fresh.register.content_hash()
    finally:
        fresh.close()


def test_status_reports_the_lag_before_and_after_catching_up(
    app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 3)
    before = projections.register.status()
    assert (before.position, before.head, before.lag) == (0, head(app), head(app))
    assert not before.up_to_date
    projections.register.catch_up()
    assert projections.register.status().up_to_date


def test_a_rebuild_reaches_the_same_content(
    app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 12)
    register = projections.register
    register.catch_up()
    digest = register.content_hash()
    size = register_size(projections)

    assert register.rebuild() == head(app)

    assert register.content_hash() == digest
    assert register_size(projections) == size == 12
    assert register.position() == head(app)


def test_a_crash_inside_a_batch_loses_and_doubles_nothing(
    settings: Settings,
    app: OversightApplication,
    projections: Projections,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file_many(app, 8)
    register = projections.register
    write = Register.apply
    batches: list[int] = []

    def write_then_fail_on_the_second_batch(
        self: Register, session: ViewSession, events: Sequence[LedgerEvent]
    ) -> None:
        write(self, session, events)  # the rows are written inside the transaction ...
        batches.append(len(events))
        if len(batches) == 2:
            raise RuntimeError("power cut")  # ... and the transaction never commits

    monkeypatch.setattr(Register, "apply", write_then_fail_on_the_second_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        register.catch_up(batch_size=4)

    survived = register.position()
    first_batch = app.store.recorder.select_notifications(start=1, limit=4)
    assert survived == first_batch[-1].id  # the first batch committed, the second rolled back
    assert register_size(projections) == submissions_up_to(app, survived)

    monkeypatch.undo()
    assert register.catch_up() == notifications_after(app, survived)
    assert register.position() == head(app)
    assert register.content_hash() == rebuilt_hash(settings, app)


def test_a_replayed_batch_is_refused_with_its_rows(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    file_many(app, 2)
    register = projections.register
    register.catch_up()
    position = register.position()
    digest = register.content_hash()

    def replay() -> None:
        with projections.store.transaction() as session:
            session.execute(f"DELETE FROM {session.dialect.table(INSTITUTIONS.name)}")
            session.record_position(register.name, position)

    with pytest.raises(StalePosition):
        replay()

    assert register.position() == position
    assert register.content_hash() == digest


R = TypeVar("R")


def at_once(runners: list[Projections], work: Callable[[Projections], R]) -> list[R]:
    """``work`` on each runner in a thread of its own, started together; the runners are
    closed afterwards and any error is raised."""
    done: list[R] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(runners))

    def run(p: Projections) -> None:
        try:
            start.wait()
            done.append(work(p))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in runners]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for p in runners:
            p.close()
    assert errors == []
    return done


def test_two_runners_at_once_apply_each_event_exactly_once(
    settings: Settings, app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 30)
    runners = [build_projections(settings, app, batch_size=3) for _ in range(2)]
    consumed = at_once(runners, lambda p: p.register.catch_up())

    assert sum(consumed) == notifications_after(app, 0)
    assert projections.register.position() == head(app)
    assert projections.register.content_hash() == rebuilt_hash(settings, app)


def test_views_of_an_in_memory_store_live_beside_it(clock: FakeClock) -> None:
    settings = Settings(database_url="sqlite:///:memory:")
    app = build_application(settings, clock=clock)
    projections = build_projections(settings, app)
    try:
        file_many(app, 3)
        assert projections.register.catch_up() == head(app)
        assert register_size(projections) == 3
    finally:
        projections.close()
        app.close()


# --- the worker as a separate process -----------------------------------------------------


@contextmanager
def worker(settings: Settings, *, slow: bool = False) -> Iterator[subprocess.Popen[str]]:
    env = {
        **os.environ,
        "OVERSIGHT_DATABASE_URL": settings.database_url,
        "OVERSIGHT_DATABASE_SCHEMA": settings.database_schema,
        "OVERSIGHT_POOL_SIZE": "1",
        "OVERSIGHT_LOG_FORMAT": "json",
    }
    args = [sys.executable, "-m", "tests.projections.worker_process"]
    proc = subprocess.Popen(
        [*args, "--slow"] if slow else args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stderr is not None and not proc.stderr.closed:
            proc.communicate(timeout=30)


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the worker exited with {proc.returncode}: {err[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail("the worker did not get there in time")
        time.sleep(0.01)


def test_a_killed_worker_loses_and_doubles_nothing_after_a_restart(
    settings: Settings, app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 40)
    register = projections.register
    end = head(app)

    with worker(settings, slow=True) as proc:
        wait_until(lambda: register.position() >= end // 3, proc, timeout=60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    at_kill = register.position()
    assert 0 < at_kill < end, "the worker should have been killed part-way"
    assert register_size(projections) == submissions_up_to(app, at_kill)

    with worker(settings) as proc:  # the restart resumes at the recorded position
        wait_until(lambda: register.position() == end, proc, timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0

    assert register_size(projections) == 40
    assert register.content_hash() == rebuilt_hash(settings, app)


def test_sigterm_lets_the_batch_finish_and_the_worker_exit_cleanly(
    settings: Settings, app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 20)
    register = projections.register
    end = head(app)

    with worker(settings, slow=True) as proc:
        wait_until(lambda: register.position() > 0, proc, timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        _, err = proc.communicate()
    assert '"projections.stopped"' in err

    stopped_at = register.position()
    assert stopped_at < end, "SIGTERM should stop the worker before the end"
    assert register_size(projections) == submissions_up_to(app, stopped_at)

    file_many(app, 2, start=100)
    assert register.catch_up() == notifications_after(app, stopped_at)
    assert register.content_hash() == rebuilt_hash(settings, app)


def contents(projections: Projections) -> dict[str, str]:
    return {name: p.content_hash() for name, p in projections.items()}


def test_every_projection_fed_from_one_read_applies_each_event_exactly_once(
    settings: Settings, app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set(LATER)
    busy_year(app)
    file_many(app, 12, start=10)
    runners = [build_projections(settings, app, batch_size=7) for _ in range(2)]
    consumed = at_once(runners, lambda p: p.catch_up())

    everything = notifications_after(app, 0)
    assert {name: sum(c[name] for c in consumed) for name in projections} == dict.fromkeys(
        projections, everything
    )
    assert {p.position() for p in projections.values()} == {head(app)}
    # Each projection alone, reading the log for itself, reaches the same rows.
    shared = contents(projections)
    for projection in projections.values():
        projection.rebuild()
    assert contents(projections) == shared


def test_a_projection_behind_the_others_catches_up_from_the_shared_reads(
    app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 9)
    projections.catch_up()
    earlier = head(app)
    before = contents(projections)
    projections.register.reset()
    file_many(app, 3, start=9)

    done = projections.catch_up()

    others = dict.fromkeys(set(projections) - {"register"}, notifications_after(app, earlier))
    assert done == {"register": notifications_after(app, 0), **others}
    assert {p.position() for p in projections.values()} == {head(app)}
    after = contents(projections)
    assert after != before
    assert projections.rebuild() == dict.fromkeys(projections, notifications_after(app, 0))
    assert contents(projections) == after
