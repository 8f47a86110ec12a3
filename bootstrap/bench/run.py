"""The benchmark's run: a synthetic province in a fresh PostgreSQL schema, then every figure."""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from bootstrap import build_application
from bootstrap.bench import Options, load
from bootstrap.bench.impact import impact_figures, replicate
from bootstrap.bench.province import (
    BenchClock,
    Province,
    generate,
    sized_institution,
    start_instant,
)
from bootstrap.bench.table import Table
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.access import Principal
from domain.application import OversightApplication
from domain.institution import Institution
from domain.ledger import HistoryFolds
from projections.deadlines import DueIndex
from workers import deadlines

AS_OF = date(2026, 9, 30)


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def ms(seconds: list[float], p: float = 50) -> float:
    return load.percentile(seconds, p) * 1000


# --- the store ------------------------------------------------------------------------------


@contextmanager
def fresh_schema(url: str, keep: bool) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        if keep:
            say(f"kept schema {schema}")
        else:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def events_table(schema: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier("oversight_events"))


# --- figures --------------------------------------------------------------------------------


def rebuild_figures(table: Table, app: OversightApplication, settings: Settings) -> None:
    """Every projection caught up, then rebuilt from the start; against a raw select."""
    projections = build_projections(settings, app)
    try:
        head = app.store.recorder.max_notification_id() or 0
        started = time.perf_counter()
        projections.catch_up()
        say(f"projected {head} events in {time.perf_counter() - started:.1f} s")
        hashes = {name: p.content_hash() for name, p in projections.items()}
        started = time.perf_counter()
        projections.rebuild()
        seconds = time.perf_counter() - started
        again = {name: p.content_hash() for name, p in projections.items()}
        positions = {p.position() for p in projections.values()}
        if again != hashes or positions != {head}:
            raise RuntimeError(f"a rebuild gave other rows or positions: {positions} vs {head}")
    finally:
        projections.close()
    raw = raw_select_seconds(settings, head)
    table.add(
        f"projection rebuild, all {len(hashes)} read models, {head:,} events",
        "events/s",
        head / seconds,
        head / raw,
        "≥ 40 % of raw select",
    )


def deadline_figures(table: Table, app: OversightApplication, settings: Settings) -> None:
    """One deadline pass in this process from the deadlines read model against a scan of
    every record, once the day's deadlines are recorded (the pass every interval makes)."""
    projections = build_projections(settings, app)
    try:
        index = DueIndex(projections)
        today = app.ledger.today()
        deadlines.run_once(app, today, index=index)  # records what is due today
        started = time.perf_counter()
        deadlines.run_once(app, today, index=index)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        deadlines.run_once(app, today)
        table.add(
            "deadline pass in process (nothing new)", "s", ours, time.perf_counter() - started
        )
    finally:
        projections.close()


def raw_select_seconds(settings: Settings, head: int) -> float:
    """Reading every stored event in pages of 500, as the projections page through them."""
    statement = sql.SQL(
        "SELECT * FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT 500"
    ).format(events_table(settings.database_schema))
    started = time.perf_counter()
    with psycopg.connect(settings.database_url) as conn:
        position = 0
        while position < head:
            rows = conn.execute(statement, (position,)).fetchall()
            if not rows:
                break
            position = rows[-1][-1]
    return time.perf_counter() - started


def load_assess_figures(
    table: Table, app: OversightApplication, settings: Settings, province: Province, repeats: int
) -> None:
    """Per sized institution: a load, an assessment with and without a kept history fold,
    and a raw select of the same rows; then a load with nothing kept (the snapshot read)."""
    from bootstrap.bench.compare import cold_load_figures

    cold = build_application(settings)
    cold.ledger.folds = HistoryFolds(max_events=0)
    try:
        with psycopg.connect(settings.database_url) as conn:
            for size, iid in sorted(province.sized.items()):
                last = size == max(province.sized)
                sized_figures(table, (app, cold), conn, settings, size, iid, repeats, last)
        cold_load_figures(table, cold, settings, province, repeats)
    finally:
        cold.close()


def sized_figures(
    table: Table,
    apps: tuple[OversightApplication, OversightApplication],
    conn: psycopg.Connection[Any],
    settings: Settings,
    size: int,
    iid: UUID,
    repeats: int,
    last: bool,
) -> None:
    warm, cold = apps
    admin = Principal("bench.admin", "admin")
    statement = sql.SQL(
        "SELECT topic, state FROM {} WHERE originator_id = %s ORDER BY originator_version"
    ).format(events_table(settings.database_schema))
    raw = load.timed_reads(lambda: conn.execute(statement, (iid,)).fetchall(), repeats)
    loads = load.timed_reads(lambda: warm.ledger.get(Institution, iid), repeats)
    kept = load.timed_reads(lambda: warm.records.assessment(admin, iid, AS_OF), repeats)
    read = load.timed_reads(
        lambda: cold.records.assessment(admin, iid, AS_OF), max(3, repeats // 10)
    )
    target = "≤ 5 ms, ≤ 2× the smallest" if last else ""
    table.add(f"load institution, {size:,} events", "ms", ms(loads), ms(raw), target)
    table.add(f"assess, {size:,} events (history kept)", "ms", ms(kept), ms(raw), target)
    table.add(f"assess, {size:,} events (history read)", "ms", ms(read), ms(raw))


def impact_store_figures(table: Table, app: OversightApplication, o: Options) -> None:
    """The impact figure on the province, or on a store of ``o.impact_institutions``."""
    if o.impact_institutions <= 0:
        impact_figures(table, app)
        return
    with fresh_schema(o.database_url, o.keep) as schema:
        settings = Settings(
            database_url=o.database_url,
            database_schema=schema,
            snapshot_interval=o.snapshot_interval,
        )
        big = build_application(settings)
        try:
            started = time.perf_counter()
            events = replicate(app, settings, o.impact_institutions, say)
            say(f"copied {events:,} events in {time.perf_counter() - started:.0f} s")
            impact_figures(table, big)
        finally:
            big.close()


# --- the server and the workers -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_env(settings: Settings, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "OVERSIGHT_DATABASE_URL": settings.database_url,
        "OVERSIGHT_DATABASE_SCHEMA": settings.database_schema,
        "OVERSIGHT_PORT": str(port),
        "OVERSIGHT_LOG_LEVEL": "WARNING",
        "OVERSIGHT_EMBEDDED_WORKERS": "false",
        "OVERSIGHT_DEMO_DATA": "false",
        "OVERSIGHT_SNAPSHOT_INTERVAL": str(settings.snapshot_interval),
    }


def start(settings: Settings, port: int, *command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bootstrap.cli", *command],
        env=process_env(settings, port),
        stdout=subprocess.DEVNULL,
    )


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM, wait; the process's peak resident set in MiB."""
    process.send_signal(signal.SIGTERM)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


# --- the command path and the reads ---------------------------------------------------------


def command_figures(
    table: Table, settings: Settings, port: int, token: str, o: Options, targets: list[Any]
) -> None:
    insert = load.raw_table(settings.database_url, settings.database_schema)
    state = b"x" * 900  # about the size of a stored batch or finding
    for clients in o.clients:
        ours = load.concurrently(clients, o.duration, load.http_commands(port, token, targets))
        raw = load.concurrently(
            clients, o.duration, load.raw_transactions(settings.database_url, insert, state)
        )
        top = clients == max(o.clients)
        table.add(
            f"POST findings+batches, {clients} clients",
            "commands/s",
            ours.rate,
            raw.rate,
            "≥ 35 % of raw" if top else "",
        )
        table.add(f"  p50, {clients} clients", "ms", ours.percentile(50), raw.percentile(50))
        table.add(
            f"  p99, {clients} clients",
            "ms",
            ours.percentile(99),
            raw.percentile(99),
            "≤ 50 ms" if top else "",
        )
        if ours.failures:
            table.notes.append(f"{clients} clients: answers other than 201: {ours.failures}")
    store_figure(table, settings, max(o.clients), o.duration, insert, state)


def store_figure(
    table: Table, settings: Settings, clients: int, duration: float, insert: Any, state: bytes
) -> None:
    """The store's recorder alone (its lock included) against raw one-row transactions, on
    a store of its own (what it records is no event of the ledger's)."""
    with fresh_schema(settings.database_url, keep=False) as schema:
        pooled = settings.model_copy(
            update={"database_schema": schema, "pool_size": clients, "pool_max_overflow": 0}
        )
        app = build_application(pooled)
        recorder = app.store.recorder
        try:
            ours = load.concurrently(clients, duration, load.store_inserts(recorder, state))
            library = load.concurrently(
                clients, duration, load.store_inserts(LibraryInserts(recorder), state)
            )
        finally:
            app.close()
    raw = load.concurrently(
        clients, duration, load.raw_transactions(settings.database_url, insert, state)
    )
    table.add(f"store recorder insert, {clients} clients", "events/s", ours.rate, raw.rate)
    table.add(f"  the library's insert path, {clients} clients", "events/s", library.rate, raw.rate)


class LibraryInserts:
    """The store's recorder through the library's own insert path (lock, insert, read the
    ids back, commit: two round trips under the lock), for the figure beside ours."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder

    def insert_events(self, events: list[Any]) -> Any:
        return PostgresApplicationRecorder.insert_events(self.recorder, events)


def read_figures(table: Table, port: int, token: str, province: Province, repeats: int) -> None:
    """p50/p99 of each read over HTTP; baseline: ``/healthz`` on the same connection."""
    client = load.Http(port, token)
    rng = random.Random(7)

    def get(path: str) -> bytes:
        status, body = client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return body

    cursor: list[str | None] = [None]

    def page() -> None:
        path = "/api/v1/institutions?jurisdiction=hunan&limit=50"
        if cursor[0]:
            path += f"&cursor={cursor[0]}"
        cursor[0] = json.loads(get(path))["next_cursor"]

    active = province.active
    reads: list[tuple[str, Callable[[], object]]] = [
        (
            "register filter (hunan, active)",
            lambda: get("/api/v1/institutions?jurisdiction=hunan&status=active&limit=50"),
        ),
        ("register cursor paging", page),
        ("register page (HTML)", lambda: get("/register?jurisdiction=hunan")),
        ("institution timeline", lambda: get(f"/api/v1/institutions/{rng.choice(active)}/events")),
        ("institution page", lambda: get(f"/institutions/{rng.choice(active)}")),
        (
            "assessment over HTTP",
            lambda: get(f"/api/v1/institutions/{rng.choice(active)}/assessment?as_of={AS_OF}"),
        ),
        ("worklist", lambda: get("/worklist")),
        ("dashboard (every chart query)", lambda: get("/")),
        ("sanctions page", lambda: get("/sanctions")),
        ("public page", lambda: get("/public")),
    ]
    floor = load.timed_reads(lambda: get("/healthz"), repeats)
    try:
        for name, read in reads:
            read()  # warm
            times = load.timed_reads(read, repeats)
            if len(times) < repeats:
                table.notes.append(f"GET {name}: {len(times)} reads in the time allowed")
            table.add(f"GET {name}: p50", "ms", ms(times), ms(floor))
            table.add(f"GET {name}: p99", "ms", ms(times, 99), ms(floor, 99), "≤ 50 ms")
    finally:
        client.close()


def chart_figures(table: Table, settings: Settings, repeats: int) -> None:
    """Each dashboard chart query on the read models, in this process; against ``SELECT 1``."""
    from projections.complaints_queries import complaint_stats
    from projections.queries import count_by_status
    from projections.sanctions_queries import (
        sanctions_by_article,
        sanctions_by_district,
        sanctions_by_month,
    )
    from projections.worklist_queries import worklist, worklist_counts

    projections = build_projections(settings)
    store = projections.store
    queries: list[tuple[str, Callable[[], object]]] = [
        ("count_by_status", lambda: count_by_status(store)),
        ("sanctions_by_month", lambda: sanctions_by_month(store)),
        ("sanctions_by_article", lambda: sanctions_by_article(store)),
        ("sanctions_by_district", lambda: sanctions_by_district(store)),
        ("complaint_stats", lambda: complaint_stats(store, by="month")),
        ("worklist", lambda: worklist(store, as_of=AS_OF)),
        ("worklist, 50 of each kind (the page)", lambda: worklist(store, as_of=AS_OF, limit=50)),
        ("worklist counts (the dashboard)", lambda: worklist_counts(store, as_of=AS_OF)),
    ]
    try:
        with psycopg.connect(settings.database_url) as conn:
            floor = load.timed_reads(lambda: conn.execute("SELECT 1").fetchall(), repeats)
        for name, query in queries:
            query()
            times = load.timed_reads(query, repeats)
            table.add(f"chart query {name}: p99", "ms", ms(times, 99), ms(floor, 99), "≤ 50 ms")
    finally:
        projections.close()


# --- the whole run --------------------------------------------------------------------------


def run(o: Options) -> Table:
    table = Table(echo=say)
    with fresh_schema(o.database_url, o.keep) as schema:
        settings = Settings(
            database_url=o.database_url,
            database_schema=schema,
            snapshot_interval=o.snapshot_interval,
        )
        clock = BenchClock(start_instant())
        app = build_application(settings, clock=clock)
        try:
            province = populate(table, app, o, clock)
            rebuild_figures(table, app, settings)
            load_assess_figures(table, app, settings, province, o.repeats)
            impact_store_figures(table, app, o)
            deadline_figures(table, app, settings)
            token = "sov_" + secrets.token_urlsafe(24)
            app.access.issue_token(token, subject="bench.admin", role="admin", note="bench")
        finally:
            app.close()
        served(table, settings, token, o, province)
    return table


def province_of(app: OversightApplication, o: Options, clock: BenchClock) -> Province:
    """The province ``o`` asks for, generated into ``app``'s store."""
    return generate(
        app,
        institutions=o.institutions,
        events=o.events,
        seed=o.seed,
        clock=clock,
        snapshot_interval=o.snapshot_interval,
        progress=say,
    )


def populate(table: Table, app: OversightApplication, o: Options, clock: BenchClock) -> Province:
    started = time.perf_counter()
    province = province_of(app, o, clock)
    for n, size in enumerate(o.sizes):
        province.sized[size] = sized_institution(app, size, n)
    seconds = time.perf_counter() - started
    head = app.store.recorder.max_notification_id() or 0
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(province.counts.items()))
    table.notes.append(f"province: {o.institutions:,} institutions, {head:,} events ({counts})")
    table.add("generate and bulk-load the province", "events/s", head / seconds)
    return province


def served(table: Table, settings: Settings, token: str, o: Options, province: Province) -> None:
    """The figures against a real server, with the projection worker running beside it."""
    port = free_port()
    server = start(settings, port, "serve")
    worker = start(settings, port, "worker", "projections")
    try:
        wait_ready(port, server)
        targets = province.clean or [(i, "hunan", "4-00-00-01") for i in province.active]
        command_figures(table, settings, port, token, o, targets)
        time.sleep(1.0)
        read_figures(table, port, token, province, o.repeats)
        chart_figures(table, settings, o.repeats)
        server_rss = peak_rss_mib(server.pid)
        worker_rss = peak_rss_mib(worker.pid)  # its own; see deadline_pass
    finally:
        stop(server)
        stop(worker)
    passes = {
        how: deadline_pass(settings, port, *flags)
        for how, flags in (
            ("first", ()),  # records what the province has due
            ("indexed", ()),  # then, with nothing new: the pass every interval
            ("full scan", ("--full-scan",)),
        )
    }
    table.add("peak RSS, API process", "MiB", server_rss, target="≤ 300 MiB")
    table.add("peak RSS, projection worker", "MiB", worker_rss)
    table.add("peak RSS, deadline worker (one pass)", "MiB", passes["first"][1])
    table.add("deadline worker, one pass over the province", "s", passes["first"][0])
    (seconds, rss), (base_seconds, base_rss) = passes["indexed"], passes["full scan"]
    table.add("deadline worker, a later pass", "s", seconds, base_seconds)
    table.add("  peak RSS, deadline worker, a later pass", "MiB", rss, base_rss)


def deadline_pass(settings: Settings, port: int, *flags: str) -> tuple[float, float]:
    """One pass of ``oversight worker deadlines --once``: seconds and peak RSS (MiB).

    The peak is the process's own VmHWM, read until it exits: the ``ru_maxrss`` of a child
    started from this process keeps this process's peak from before the child's exec."""
    started = time.perf_counter()
    worker = start(settings, port, "worker", "deadlines", "--once", *flags)
    peak = 0.0
    while worker.poll() is None:
        with suppress(OSError):  # exiting: its memory is gone already
            peak = max(peak, peak_rss_mib(worker.pid))
        time.sleep(0.02)
    return time.perf_counter() - started, peak


def main(options: Options) -> int:
    say(f"{os.cpu_count()} cores; {options}")
    if options.scale_institutions or options.scale_store:
        from bootstrap.bench import scale

        print(scale.run(options).render(), flush=True)
        return 0
    print(run(options).render(), flush=True)
    return 0
