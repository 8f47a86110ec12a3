"""PostgreSQL stops in the middle of a stream of commands (product.md points 1 and 9).

While the server is down, commands answer 503 with ``Retry-After`` and a problem body;
when it is back, the connection pool recovers by itself; every command acknowledged
before the stop is still there; none left half of its writes (the institution without
its roster, or the events without their idempotency record); and a client that sends a
refused command again with the same Idempotency-Key has it recorded exactly once.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from config.settings import Settings
from domain.roster import roster_id
from tests.api.conftest import code, filing
from tests.reliability.cluster import Cluster
from tests.reliability.server import BASE, LiveServer, live_server, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

#: One occupation each, so that their approvals do not contend for one roster.
OCCUPATIONS = ("4-07-05-04", "4-03-02-01", "6-29-01-01", "4-10-01-02")
CLIENTS = len(OCCUPATIONS)
#: Longest the stream may run in all (a bound, not a pause).
STREAM_LIMIT = 120.0


@dataclass
class Attempt:
    request_id: str
    status: int
    at: float
    body: Any
    headers: httpx.Headers


@dataclass
class Command:
    """One command as a client sends it: one Idempotency-Key, sent until it lands."""

    name: str
    path: str
    body: dict[str, Any]
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def landed(self) -> Attempt | None:
        return next((a for a in self.attempts if a.status < 300), None)


class Client:
    """Files an institution, approves it, then keeps receiving complaints on it.

    A command that answers 503 is sent again with the same key after a short pause,
    until it lands; the next command waits for it.
    """

    def __init__(self, live: LiveServer, n: int, stop: threading.Event) -> None:
        self.http = live.client()
        self.n = n
        self.stop = stop
        self.commands: list[Command] = []
        self.errors: list[BaseException] = []
        self.iid = ""

    def send(self, command: Command) -> Attempt:
        request_id = f"c{self.n}-{len(self.commands)}-{len(command.attempts)}"
        headers = {"Idempotency-Key": command.key, "X-Request-ID": request_id}
        response = self.http.post(command.path, json=command.body, headers=headers)
        body = response.json() if response.headers.get("content-type", "").endswith("json") else {}
        attempt = Attempt(
            request_id, response.status_code, time.monotonic(), body, response.headers
        )
        command.attempts.append(attempt)
        return attempt

    def run_command(self, command: Command) -> None:
        self.commands.append(command)
        while not (attempt := self.send(command)).status < 300:
            if attempt.status != 503 or self.stop.is_set():
                return
            time.sleep(0.2)
        if command.name == "submit":
            self.iid = attempt.body["id"]

    def next_command(self) -> Command:
        if not self.iid:
            body = filing(
                credit_code=code(self.n),
                name=f"机构{self.n}",
                kind="employer",
                scope=[{"occupation": OCCUPATIONS[self.n], "levels": [3, 4, 5]}],
            )
            return Command("submit", BASE, body)
        if len(self.commands) == 1:
            return Command("approve", f"{BASE}/{self.iid}/approval", {"occurred_on": "2024-03-15"})
        body = {"channel": "phone", "summary": f"投诉{len(self.commands)}"}
        return Command("complaint", f"{BASE}/{self.iid}/complaints", body)

    def __call__(self) -> None:
        try:
            with self.http:
                while not self.stop.is_set():
                    self.run_command(self.next_command())
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)

    def acknowledged(self, before: float = float("inf")) -> list[Command]:
        return [c for c in self.commands if c.landed is not None and c.landed.at < before]


def stream(live: LiveServer, cluster: Cluster) -> tuple[list[Client], float]:
    """Run the clients, stop PostgreSQL under them, start it again; the stop's instant."""
    stop = threading.Event()
    clients = [Client(live, n, stop) for n in range(CLIENTS)]
    threads = [threading.Thread(target=c, name=f"client-{c.n}") for c in clients]
    started = time.monotonic()
    for t in threads:
        t.start()

    def acknowledged() -> int:
        return sum(len(c.acknowledged()) for c in clients)

    def refused() -> int:
        return sum(
            1 for c in clients for cmd in c.commands for a in cmd.attempts if a.status >= 500
        )

    try:
        wait_for(lambda: acknowledged() >= 20, timeout=30, what="commands before the stop")
        cluster.stop_immediately()
        stopped_at = time.monotonic()
        wait_for(lambda: refused() >= CLIENTS, timeout=60, what="503s while the store is down")
        cluster.start()
        after = acknowledged()
        wait_for(lambda: acknowledged() >= after + 3 * CLIENTS, timeout=90, what="the recovery")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=STREAM_LIMIT - (time.monotonic() - started))
    assert not [c.errors for c in clients if c.errors]
    return clients, stopped_at


def test_a_stopped_store_answers_503_loses_nothing_acknowledged_and_recovers(
    cluster: Cluster, cluster_settings: Settings
) -> None:
    with live_server(cluster_settings) as live:
        clients, stopped_at = stream(live, cluster)
        commands = [c for client in clients for c in client.commands]
        attempts = [a for c in commands for a in c.attempts]

        assert {a.status for a in attempts} <= {200, 201, 503}, [
            (c.name, [(a.request_id, a.status, a.body) for a in c.attempts])
            for c in commands
            if any(a.status not in (200, 201, 503) for a in c.attempts)
        ]
        refused = [a for a in attempts if a.status == 503]
        assert len(refused) >= CLIENTS
        for a in refused:
            assert a.headers["content-type"] == "application/problem+json"
            assert int(a.headers["retry-after"]) > 0
            assert a.body["type"] == "/problems/store-unavailable"
            assert a.body["status"] == 503

        before_stop = [c for client in clients for c in client.acknowledged(before=stopped_at)]
        assert len(before_stop) >= 20
        assert_every_command_landed_once(live, clients)
        assert_the_acknowledged_are_there(live, before_stop)
        assert_no_partial_write(live, clients)


def assert_every_command_landed_once(live: LiveServer, clients: list[Client]) -> None:
    """Each key's command is in the history once, under one of its attempts' request ids."""
    for client in clients:
        history = live.events(client.iid)
        by_request = {e["request_id"]: e for e in history}
        for command in client.commands:
            if command.landed is None:
                continue  # stopped by the test while the store was still down
            mine = [a.request_id for a in command.attempts if a.request_id in by_request]
            assert len(mine) == 1, (command.name, [a.status for a in command.attempts], mine)
        landed = [c for c in client.commands if c.landed is not None]
        assert len(history) == len(landed)


def assert_the_acknowledged_are_there(live: LiveServer, acknowledged: list[Command]) -> None:
    """Every id an acknowledgement returned is in the store after the restart."""
    seen: dict[str, list[dict[str, Any]]] = {}
    for command in acknowledged:
        answer = command.landed.body if command.landed else {}
        iid = answer.get("institution_id") or answer["id"]
        history = seen.setdefault(iid, live.events(iid))
        event = history[answer["version"] - 1]
        assert event["request_id"] in {a.request_id for a in command.attempts}
        if command.name == "complaint":
            assert event["data"]["complaint_id"] == answer["complaint_id"]


def assert_no_partial_write(live: LiveServer, clients: list[Client]) -> None:
    """Each command's aggregates and idempotency record landed together, or nothing did."""
    for client in clients:
        approved = any(e["type"] == "FilingApproved" for e in live.events(client.iid))
        roster = live.app.store.repository.get(roster_id("chengdu", OCCUPATIONS[client.n]))
        assert set(roster.holders) == ({client.iid} if approved else set())

    with live.client() as http:  # every landed command, sent once more, is a replay
        for client in clients:
            before = len(live.events(client.iid))
            for command in client.commands:
                if command.landed is None:
                    continue
                again = http.post(
                    command.path, json=command.body, headers={"Idempotency-Key": command.key}
                )
                assert again.status_code == command.landed.status, again.text
                assert again.headers.get("idempotent-replay") == "true"
            assert len(live.events(client.iid)) == before

    for aggregate_id in live.app.records.all_originators():
        assert live.app.records.verify_aggregate(aggregate_id) is None, aggregate_id
    with live.client() as http:
        for client in clients:
            assert http.get(f"{BASE}/{client.iid}/integrity").json()["intact"] is True
