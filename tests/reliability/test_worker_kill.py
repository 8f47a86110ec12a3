"""The projection worker killed again and again mid-batch while the casework goes on.

``tests/projections/test_exactly_once.py`` kills the worker once, on a store that no longer
changes, and checks the register. Here every read model is fed while commands keep
arriving, the worker is killed with SIGKILL three times while it holds a batch's
transaction open (its advisory lock is held), and restarted each time: in the end every
read model has the content of a fresh rebuild — nothing lost, nothing applied twice.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import closing

import psycopg
import pytest

from bootstrap import build_application
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from projections import Projections
from tests.conftest import FakeClock
from tests.projections.casework import LATER, busy_year
from tests.projections.filings import file_many
from tests.projections.test_exactly_once import (
    head,
    register_size,
    submissions_up_to,
    wait_until,
    worker,
)

pytestmark = [pytest.mark.postgres, pytest.mark.faults]


@pytest.fixture
def app(pg_settings: Settings, clock: FakeClock) -> Iterator[OversightApplication]:
    clock.set(LATER)  # the casework's business dates are all before it
    with closing(build_application(pg_settings, clock=clock)) as application:
        yield application


@pytest.fixture
def projections(pg_settings: Settings, app: OversightApplication) -> Iterator[Projections]:
    with closing(build_projections(pg_settings, app)) as built:
        yield built


def batch_in_progress(settings: Settings) -> bool:
    """Whether some projection's batch transaction is open (it holds its advisory lock,
    of one number: ``objsubid`` 1; the workers' leadership locks are of two)."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    return bool(row and row[0])


def fresh_hashes(settings: Settings, app: OversightApplication) -> dict[str, str]:
    """Every read model's content after a rebuild from the store (new connections)."""
    with closing(build_projections(settings, app)) as fresh:
        for projection in fresh.values():
            projection.rebuild()
        return {name: p.content_hash() for name, p in fresh.items()}


def test_a_worker_killed_mid_batch_while_commands_arrive_loses_and_doubles_nothing(
    pg_settings: Settings, app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 6)
    done = threading.Event()
    errors: list[BaseException] = []

    def casework() -> None:
        """Casework of every kind, then a filing now and then until the kills are over."""
        try:
            busy_year(app)
            for n in range(100, 1500):
                if done.wait(0.05):
                    return
                file_many(app, 1, start=n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    register = projections.register
    others = [p for name, p in projections.items() if name != "register"]
    kill_when = [
        lambda: register.position() > 0,
        lambda: register.position() > at_kill[-1] + 30,
        # the rest are fed from the same reads: inside a batch of theirs too
        lambda: any(p.position() > at_kill[-1] for p in others),
    ]
    at_kill: list[int] = []
    producer = threading.Thread(target=casework, name="casework")
    producer.start()
    try:
        for ready in kill_when:

            def mid_batch(ready: Callable[[], bool] = ready) -> bool:
                return ready() and batch_in_progress(pg_settings)

            with worker(pg_settings, slow=True) as proc:
                wait_until(mid_batch, proc, timeout=60)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
            at_kill.append(register.position())
            assert register_size(projections) == submissions_up_to(app, at_kill[-1])
            assert producer.is_alive(), "the commands should still be arriving"
    finally:
        done.set()
        producer.join(timeout=120)
    assert errors == []

    end = head(app)
    with worker(pg_settings) as proc:  # the last restart catches every read model up
        wait_until(lambda: all(p.position() == end for p in projections.values()), proc, 180)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0

    assert {n: p.content_hash() for n, p in projections.items()} == fresh_hashes(pg_settings, app)
