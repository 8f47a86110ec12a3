"""The production app behind a real uvicorn, for tests that need real sockets and threads.

``LiveServer`` builds the application and the web app with the production factories
(``build_application``, ``web_service``), serves it with uvicorn on a free port of
127.0.0.1 in a thread of the test process, and hands out bearer tokens and HTTP clients.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import uvicorn
from psycopg import sql

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from domain.application import OversightApplication
from tests.api.conftest import code, filing
from tests.reliability.cluster import free_port

BASE = "/api/v1/institutions"
#: How long one request may take here before the test counts it as hung.
REQUEST_TIMEOUT = 60.0


class LiveServer:
    """``web_service(settings, app)`` served by uvicorn until the block ends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.model_copy(update={"log_level": "WARNING"})
        self.app: OversightApplication = build_application(self.settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin = self.token("admin")
        config = uvicorn.Config(
            web_service(self.settings, self.app),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)

    def token(self, role: str, **scope: Any) -> dict[str, str]:
        secret = secrets.token_urlsafe(16)
        self.app.access.issue_token(secret, subject=f"{role}-{secret[:6]}", role=role, **scope)
        return {"Authorization": f"Bearer {secret}"}

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers=headers or self.admin,
            timeout=REQUEST_TIMEOUT,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        )

    # --- the few commands the tests set up with ------------------------------------------

    def submit(self, n: int, area: str = "510104", **overrides: Any) -> str:
        body = filing(credit_code=code(n, area), name=f"机构{n}", **overrides)
        with self.client() as http:
            response = http.post(BASE, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def approve(self, iid: str, headers: dict[str, str] | None = None) -> httpx.Response:
        with self.client(headers) as http:
            return http.post(f"{BASE}/{iid}/approval", json={"occurred_on": "2024-03-15"})

    def events(self, iid: str) -> list[dict[str, Any]]:
        with self.client() as http:
            response = http.get(f"{BASE}/{iid}/events")
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()
        return events


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.app.close()


def all_at_once(calls: Sequence[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run every call in its own thread, released together; the responses in call order."""
    gate = threading.Barrier(len(calls))

    def released(call: Callable[[], httpx.Response]) -> httpx.Response:
        gate.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(released, calls))


@contextmanager
def writes_held(settings: Settings) -> Iterator[Callable[[], int]]:
    """Hold back every write to the event store until the block ends; reads go on.

    Takes the lock the store's own inserts take (``EXCLUSIVE`` on the events table), so
    commands load and decide as usual and then wait at their insert. Yields a function
    counting the transactions waiting for it.
    """
    table = sql.Identifier(settings.database_schema, "oversight_events")
    with psycopg.connect(settings.database_url) as conn:
        conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
        relation = f"{settings.database_schema}.oversight_events"

        def waiting() -> int:
            with psycopg.connect(settings.database_url, autocommit=True) as probe:
                row = probe.execute(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE relation = to_regclass(%s) AND NOT granted",
                    (relation,),
                ).fetchone()
            return int(row[0]) if row else 0

        yield waiting
        conn.commit()


def commands_recording(metrics: str) -> int:
    """``oversight_commands_recording`` in a ``/metrics`` text: the commands of the service
    waiting for their events to be recorded (one transaction waits for the lock for a group
    of them)."""
    for line in metrics.splitlines():
        if line.startswith("oversight_commands_recording"):
            return int(float(line.split()[-1]))
    return 0


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
