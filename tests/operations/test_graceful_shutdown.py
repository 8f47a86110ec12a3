"""SIGTERM during load: the API answers the requests it has taken, takes no new ones, and
exits 0; a deadline watcher stopped in a pass exits 0 with each record it reached whole.

The requests are held in flight deterministically: a test connection takes the lock every
insert into the event store takes, so the commands load and decide and then wait at their
write; the API is sent SIGTERM while they wait, and the lock is released after.
"""

from __future__ import annotations

import secrets
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from bootstrap import build_application
from config.settings import Settings
from domain.application import OversightApplication
from tests.api.conftest import code, filing
from tests.operations.processes import deployment, eventually
from tests.projections.filings import file_approved
from tests.reliability.server import commands_recording, writes_held
from workers.deadlines import run_once

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

IN_FLIGHT = 6
SUBMITTED = "domain.events:FilingSubmitted"
FINDING = "domain.events:FindingRecorded"


@pytest.fixture
def app(deployment_settings: Settings) -> Iterator[OversightApplication]:
    with closing(build_application(deployment_settings)) as application:
        yield application


def submissions(app: OversightApplication) -> int:
    notes = app.store.recorder.select_notifications(start=1, limit=1_000_000)
    return sum(1 for n in notes if n.topic == SUBMITTED)


def test_sigterm_lets_the_requests_in_flight_finish_and_exits_zero(
    deployment_settings: Settings, app: OversightApplication, tmp_path: Path
) -> None:
    secret = secrets.token_urlsafe(16)
    app.access.issue_token(secret, subject="admin.ops", role="admin")
    admin = {"Authorization": f"Bearer {secret}"}
    with deployment(deployment_settings, tmp_path) as deployed:
        api = deployed.serve("api")

        def healthy() -> bool:
            with deployed.client("api") as http:
                return http.get("/healthz").status_code == 200

        eventually(healthy, "the API answering", 120, deployed)

        def submit(n: int) -> httpx.Response:
            with deployed.client("api", admin) as http:
                return http.post(
                    "/api/v1/institutions",
                    json=filing(credit_code=code(n), name=f"机构{n}", kind="employer"),
                )

        def recording() -> int:
            with deployed.client("api", admin) as http:
                return commands_recording(http.get("/metrics").text)

        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            with writes_held(deployment_settings) as waiting:
                answers = [pool.submit(submit, n) for n in range(IN_FLIGHT)]
                # One transaction waits for the lock, for all of them (a group of commands).
                eventually(
                    lambda: waiting() == 1 and recording() == IN_FLIGHT,
                    "every command at its write",
                    60,
                )
                api.popen.send_signal(signal.SIGTERM)
                time.sleep(1.0)
                assert api.popen.poll() is None  # still answering what it took
                with pytest.raises(httpx.ConnectError):  # and taking nothing new
                    healthy()
                assert not any(a.done() for a in answers)
            statuses = [a.result(timeout=60).status_code for a in answers]
        assert statuses == [201] * IN_FLIGHT
        assert api.popen.wait(timeout=30) == 0
        assert "stopped by SIGTERM" in api.output()
    assert submissions(app) == IN_FLIGHT


def findings(app: OversightApplication) -> Counter[str]:
    notes = app.store.recorder.select_notifications(start=1, limit=1_000_000)
    return Counter(str(n.originator_id) for n in notes if n.topic == FINDING)


def test_a_deadline_watcher_stopped_in_a_pass_exits_zero(
    deployment_settings: Settings, app: OversightApplication, tmp_path: Path
) -> None:
    filed = [str(file_approved(app, n)) for n in range(30)]
    with deployment(deployment_settings, tmp_path) as deployed:
        watcher = deployed.start("deadlines", "worker", "deadlines")
        eventually(lambda: findings(app), "the pass under way", 120, deployed)
        assert watcher.terminate() == 0, watcher.output()
    run_once(app)  # the rest of the pass the watcher was stopped in
    after = findings(app)
    assert set(after) == set(filed)
    assert len(set(after.values())) == 1  # each institution's findings whole, none twice
    assert run_once(app) == {}
