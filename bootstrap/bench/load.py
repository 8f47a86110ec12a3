"""Concurrent load for the benchmark: HTTP commands against the server, raw transactions.

Both run ``clients`` threads for ``duration`` seconds and report what completed and how
long each took, so the two are measured the same way in the same run.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

#: The finding each jurisdiction's regulator records in the command load.
RULES = {
    "hunan": "hunan-2023/25.9",
    "chengdu": "chengdu-2024/30.4",
    "huangshi": "huangshi-2022/15.4",
}
#: The business date of what the load records.
ON = "2026-09-01"


@dataclass
class Run:
    """What one timed run completed: latencies in seconds, and the failures by status."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        for key, n in other.failures.items():
            self.failures[key] = self.failures.get(key, 0) + n

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile latency, in milliseconds."""
        return percentile(self.latencies, p) * 1000


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def concurrently(clients: int, duration: float, work: Callable[[int, float], Run]) -> Run:
    """``work(client, until)`` on ``clients`` threads; their runs together."""
    runs: list[Run] = []
    lock = threading.Lock()
    until = time.perf_counter() + duration

    def client(n: int) -> None:
        run = work(n, until)
        with lock:
            runs.append(run)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Run(seconds=time.perf_counter() - started)
    for run in runs:
        total.add(run)
    return total


class Http:
    """One keep-alive connection to the server, with the bench's token."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        # The API reads the bearer token, the pages the session cookie that sign-in sets.
        self.headers = {"Authorization": f"Bearer {token}", "Cookie": f"oversight_session={token}"}

    def request(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
        sent = {**self.headers, **headers}
        if payload is not None:
            sent["Content-Type"] = "application/json"
        self.connection.request(method, path, body=payload, headers=sent)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def command_body(rng: random.Random, jurisdiction: str, occupation: str) -> tuple[str, Any]:
    """A finding or an evaluation batch, half and half: (path under the institution, body)."""
    if rng.random() < 0.5:
        return "findings", {
            "rule_id": RULES[jurisdiction],
            "severity": "minor",
            "occurred_on": ON,
            "source": "inspection",
            "reference": "督导记录",
            "facts": "评价档案缺少考场记录表",
        }
    n = uuid.uuid4().hex[:12]
    return "evaluations", {
        "batch_id": f"L-{n}",
        "occupation": occupation,
        "level": 4,
        "evaluated_on": ON,
        "site": "主考点",
        "candidates": 40,
        "unqualified_candidates": 0,
        "passed": 36,
        "paper_set_id": f"LP-{n}",
    }


def http_commands(
    port: int, token: str, targets: list[tuple[UUID, str, str]]
) -> Callable[[int, float], Run]:
    """A client that POSTs findings and batches, each with its own Idempotency-Key."""

    def work(client: int, until: float) -> Run:
        rng = random.Random(client)
        connection = Http(port, token)
        run = Run()
        try:
            while time.perf_counter() < until:
                iid, jurisdiction, occupation = rng.choice(targets)
                path, body = command_body(rng, jurisdiction, occupation)
                started = time.perf_counter()
                status, _ = connection.request(
                    "POST",
                    f"/api/v1/institutions/{iid}/{path}",
                    body,
                    **{"Idempotency-Key": uuid.uuid4().hex},
                )
                if status == 201:
                    run.latencies.append(time.perf_counter() - started)
                else:
                    run.failures[str(status)] = run.failures.get(str(status), 0) + 1
        finally:
            connection.close()
        return run

    return work


def raw_table(url: str, schema: str) -> sql.Composed:
    """A plain events table in ``schema`` (created), and the insert into it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.raw_events (id bigserial PRIMARY KEY, originator_id uuid,"
                " originator_version int, topic text, state bytea,"
                " UNIQUE (originator_id, originator_version))"
            ).format(sql.Identifier(schema))
        )
    return raw_insert(schema)


def raw_insert(schema: str) -> sql.Composed:
    """One row into ``schema``'s ``raw_events``."""
    return sql.SQL(
        "INSERT INTO {}.raw_events (originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s)"
    ).format(sql.Identifier(schema))


def raw_transactions(url: str, insert: sql.Composed, state: bytes) -> Callable[[int, float], Run]:
    """A client that commits one-row transactions of an event's size on its own connection."""

    def work(client: int, until: float) -> Run:
        run = Run()
        with psycopg.connect(url) as conn:
            version = 0
            originator = uuid.uuid4()
            while time.perf_counter() < until:
                version += 1
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute(insert, (originator, version, "bench:Raw", state))
                run.latencies.append(time.perf_counter() - started)
        return run

    return work


def timed_reads(read: Callable[[], object], repeats: int, budget: float = 30.0) -> list[float]:
    """``read()`` ``repeats`` times in a row, or fewer (at least 5) once ``budget`` seconds
    are spent; each one's seconds."""
    times: list[float] = []
    spent = 0.0
    while len(times) < repeats and (spent < budget or len(times) < min(5, repeats)):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
        spent += times[-1]
    return times


def store_inserts(recorder: Any, state: bytes) -> Callable[[int, float], Run]:
    """A client that records one event per transaction through the store's own recorder
    (with its commit-order lock), as a command's save does."""
    from eventsourcing.persistence import StoredEvent

    def work(client: int, until: float) -> Run:
        run = Run()
        while time.perf_counter() < until:
            event = StoredEvent(uuid.uuid4(), 1, "bench:Recorded", state)
            started = time.perf_counter()
            recorder.insert_events([event])
            run.latencies.append(time.perf_counter() - started)
        return run

    return work
