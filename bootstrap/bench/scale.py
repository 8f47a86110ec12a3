"""The reads at national scale: ``oversight bench --scale-institutions N``.

Generating millions of events through the commands takes hours, so the store is built
the way :func:`bootstrap.bench.impact.replicate` builds the impact figure's: a province is
generated (``--institutions``, ``--events``; or a kept one is reused with
``--scale-source SCHEMA``), and its institutions' stored events are copied ``COPY`` by
``COPY`` under new ids into a store of its own until it holds N institutions. That store
is then projected by the real projections (``Projections.catch_up``) and every read of
:func:`bootstrap.bench.run.read_figures` and :func:`bootstrap.bench.run.chart_figures`
runs against a real server on it, beside its baseline measured in the same run.

    oversight bench --institutions 2000 --events 200000 --scale-institutions 100000
    oversight bench --scale-source bench_xxxx --scale-institutions 100000 --keep
    oversight bench --scale-store bench_yyyy          # the reads again on a kept store

``--scale-store`` skips the copy and the projection: the reads again (after a change) on
a store kept by an earlier run.
"""

from __future__ import annotations

import secrets
import time
from contextlib import ExitStack

import psycopg
from psycopg import sql

from bootstrap import build_application
from bootstrap.bench import Options
from bootstrap.bench.impact import replicate
from bootstrap.bench.province import BenchClock, Province, generate, start_instant
from bootstrap.bench.run import (
    chart_figures,
    free_port,
    fresh_schema,
    peak_rss_mib,
    read_figures,
    say,
    start,
    stop,
    wait_ready,
)
from bootstrap.bench.table import Table
from bootstrap.read_models import build_projections
from config.settings import Settings

#: Active institutions the reads pick among.
SAMPLE = 5000


def settings_of(o: Options, schema: str) -> Settings:
    return Settings(
        database_url=o.database_url,
        database_schema=schema,
        snapshot_interval=o.snapshot_interval,
    )


def source_schema(o: Options, stack: ExitStack) -> str:
    """The province to copy: the one named, else one generated now."""
    if o.scale_source:
        return o.scale_source
    schema = stack.enter_context(fresh_schema(o.database_url, o.keep))
    clock = BenchClock(start_instant())
    app = build_application(settings_of(o, schema), clock=clock)
    try:
        started = time.perf_counter()
        generate(
            app,
            institutions=o.institutions,
            events=o.events,
            seed=o.seed,
            clock=clock,
            snapshot_interval=o.snapshot_interval,
            progress=say,
        )
        say(f"generated the province in {time.perf_counter() - started:.0f} s")
    finally:
        app.close()
    return schema


def build_store(table: Table, o: Options, source: str, target: Settings) -> None:
    """``o.scale_institutions`` copied from ``source`` into ``target``, then projected."""
    app = build_application(settings_of(o, source))
    try:
        started = time.perf_counter()
        written = replicate(app, target, o.scale_institutions, say)
        say(f"copied {written:,} events in {time.perf_counter() - started:.0f} s")
    finally:
        app.close()
    big = build_application(target)
    projections = build_projections(target, big)
    try:
        head = big.store.recorder.max_notification_id() or 0
        started = time.perf_counter()
        projections.catch_up()
        seconds = time.perf_counter() - started
        say(f"projected {head:,} events in {seconds:.0f} s")
        table.add(f"project the copied store, {head:,} events", "events/s", head / seconds)
    finally:
        projections.close()
        big.close()


def issue_token(settings: Settings) -> str:
    """An admin's bearer token in the store, and every projection caught up with it."""
    token = "sov_" + secrets.token_urlsafe(24)
    app = build_application(settings)
    projections = build_projections(settings, app)
    try:
        app.access.issue_token(token, subject="bench.admin", role="admin", note="bench")
        projections.catch_up()
    finally:
        projections.close()
        app.close()
    return token


def active_sample(settings: Settings, count: int = SAMPLE) -> Province:
    """Active institutions of the register, spread over the whole store."""
    statement = sql.SQL(
        "SELECT id FROM {} WHERE status = 'active' ORDER BY md5(id::text) LIMIT %s"
    ).format(sql.Identifier(settings.database_schema, "register_institutions"))
    with psycopg.connect(settings.database_url) as conn:
        ids = [row[0] for row in conn.execute(statement, (count,))]
        total = conn.execute(
            sql.SQL("SELECT count(*), max(notification_id) FROM {}").format(
                sql.Identifier(settings.database_schema, "oversight_events")
            )
        ).fetchone()
    if not ids:
        raise RuntimeError("the store holds no active institution")
    province = Province(active=ids)
    province.events = int(total[1] or 0) if total else 0
    return province


def institutions_in(settings: Settings) -> int:
    statement = sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier(settings.database_schema, "register_institutions")
    )
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute(statement).fetchone()
    return int(row[0]) if row else 0


def served_reads(table: Table, settings: Settings, repeats: int) -> None:
    """Every read against a real server on ``settings``' store, and its peak RSS."""
    token = issue_token(settings)
    province = active_sample(settings)
    table.notes.append(
        f"store: {institutions_in(settings):,} institutions, {province.events:,} events"
        f" (schema {settings.database_schema})"
    )
    port = free_port()
    server = start(settings, port, "serve")
    try:
        wait_ready(port, server)
        read_figures(table, port, token, province, repeats)
        chart_figures(table, settings, repeats)
        rss = peak_rss_mib(server.pid)
    finally:
        stop(server)
    table.add("peak RSS, API process", "MiB", rss, target="≤ 300 MiB")


def run(o: Options) -> Table:
    table = Table(echo=say)
    if o.scale_store:
        served_reads(table, settings_of(o, o.scale_store), o.repeats)
        return table
    with ExitStack() as stack:
        source = source_schema(o, stack)
        target = settings_of(o, stack.enter_context(fresh_schema(o.database_url, o.keep)))
        build_store(table, o, source, target)
        served_reads(table, target, o.repeats)
    return table
