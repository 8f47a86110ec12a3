"""Benchmark: the ledger's write path against raw psycopg inserts, side by side in one run.

    .venv/bin/python -m tests.bench.append --database-url postgresql://postgres@127.0.0.1/postgres

Three ways of writing the same number of institution events to PostgreSQL, each into its
own fresh schema:

1. ``ledger``: the application's command path (load, validate, hash-chain, save through the
   eventsourcing recorder with its commit-order lock), one command per transaction;
2. ``library``: the eventsourcing recorder alone, the same stored events pre-encoded;
3. ``raw``: psycopg ``INSERT``s of rows of the same size into a plain table, one per
   transaction.

Prints events per second and the ratios to ``raw``; asserts nothing (timings depend on the
machine and its load; the ratios are what to compare between changes).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from bootstrap import build_application
from config.settings import Settings
from domain.access import Principal
from domain.creditcode import make_credit_code
from domain.institution import FilingApplication
from domain.ledger import Context

DEFAULT_URL = os.environ.get(
    "OVERSIGHT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 20, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


def schema_settings(url: str, label: str) -> Settings:
    schema = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    return Settings(database_url=url, database_schema=schema, pool_size=2)


def drop(settings: Settings) -> None:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(settings.database_schema)
            )
        )


def filing(n: int) -> FilingApplication:
    return FilingApplication(
        credit_code=make_credit_code(f"91510104MA{n:07d}"),
        name=f"评价机构{n}",
        kind="employer",
        jurisdiction="chengdu",
        district="锦江区",
        address="成都市锦江区东大街100号",
        scope=[{"occupation": "4-03-02-01", "levels": [3, 4, 5]}],
        test_sites=["东大街考点"],
        legal_representative="王某",
        contact={"name": "李某", "phone": "028-00000000"},
    )


def ledger_path(url: str, count: int) -> tuple[float, list[tuple[uuid.UUID, int, str, bytes]]]:
    """Submit ``count`` filings through the application; returns time and the stored rows."""
    settings = schema_settings(url, "ledger")
    try:
        app = build_application(settings, clock=Clock())
        ctx = Context(Principal("bench", "admin"), "bench")
        started = time.perf_counter()
        for n in range(count):
            app.filing.submit_filing(ctx, filing(n), date(2024, 3, 1))
        elapsed = time.perf_counter() - started
        rows = [
            (n.originator_id, n.originator_version, n.topic, bytes(n.state))
            for n in app.store.recorder.select_notifications(start=1, limit=count)
        ]
        app.close()
        return elapsed, rows
    finally:
        drop(settings)


def library_path(url: str, rows: list[tuple[uuid.UUID, int, str, bytes]]) -> float:
    """The same stored events through the library's recorder, one per transaction."""
    from eventsourcing.persistence import StoredEvent

    settings = schema_settings(url, "library")
    try:
        app = build_application(settings, clock=Clock())
        recorder = app.store.recorder
        started = time.perf_counter()
        for originator_id, version, topic, state in rows:
            recorder.insert_events([StoredEvent(originator_id, version, topic, state)])
        elapsed = time.perf_counter() - started
        app.close()
        return elapsed
    finally:
        drop(settings)


def raw_path(url: str, rows: list[tuple[uuid.UUID, int, str, bytes]]) -> float:
    settings = schema_settings(url, "raw")
    schema = sql.Identifier(settings.database_schema)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {}.events (id bigserial PRIMARY KEY, originator_id uuid,"
                    " originator_version int, topic text, state bytea,"
                    " UNIQUE (originator_id, originator_version))"
                ).format(schema)
            )
            insert = sql.SQL(
                "INSERT INTO {}.events (originator_id, originator_version, topic, state)"
                " VALUES (%s, %s, %s, %s)"
            ).format(schema)
            conn.autocommit = False
            started = time.perf_counter()
            for row in rows:
                with conn.transaction():
                    conn.execute(insert, row)
            return time.perf_counter() - started
    finally:
        drop(settings)


def report(count: int, timings: dict[str, float]) -> None:
    raw = timings["raw"]
    print(f"{count} events, one per transaction, PostgreSQL")
    print(f"{'path':<10} {'seconds':>9} {'events/s':>10} {'time vs raw':>12}")
    for name, seconds in timings.items():
        print(f"{name:<10} {seconds:9.3f} {count / seconds:10.0f} {seconds / raw:11.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    steps: list[tuple[str, Callable[[], float]]] = []
    ledger_seconds, rows = ledger_path(args.database_url, args.count)
    steps += [
        ("library", lambda: library_path(args.database_url, rows)),
        ("raw", lambda: raw_path(args.database_url, rows)),
    ]
    timings = {"ledger": ledger_seconds}
    for name, step in steps:
        timings[name] = step()
    report(args.count, timings)


if __name__ == "__main__":
    main()
