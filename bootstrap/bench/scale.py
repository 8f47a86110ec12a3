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
    oversight bench --scale-store bench_yyyy --scale-budget 3600   # project an hour more

``--scale-store`` skips the copy: the reads again (after a change) on a store kept by an
earlier run. ``--scale-budget SECONDS`` bounds the projection (the copy is in institution
order, so the read models then hold the institutions copied first, each complete); with
``--scale-store`` it resumes the projection of that store for that long first.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

import psycopg
from psycopg import sql

from bootstrap import build_application
from bootstrap.bench import Options
from bootstrap.bench.compare import served_reads
from bootstrap.bench.impact import replicate
from bootstrap.bench.province import BenchClock, start_instant
from bootstrap.bench.run import fresh_schema, province_of, say
from bootstrap.bench.table import Table
from bootstrap.read_models import build_projections
from config.settings import Settings


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
        province_of(app, o, clock)
        say(f"generated the province in {time.perf_counter() - started:.0f} s")
    finally:
        app.close()
    return schema


def build_store(table: Table, o: Options, source: str, target: Settings) -> None:
    """``o.scale_institutions`` copied from ``source`` into ``target``, then projected."""
    big = build_application(target)  # the store's tables, before the copy
    app = build_application(settings_of(o, source))
    try:
        started = time.perf_counter()
        written = replicate(app, target, o.scale_institutions, say)
        say(f"copied {written:,} events in {time.perf_counter() - started:.0f} s")
    finally:
        app.close()
    big.close()
    project(table, target, o.scale_budget)


def project(table: Table, settings: Settings, budget: float) -> None:
    """The store's projections caught up (for at most ``budget`` seconds when it is set:
    the read models then hold the institutions copied first, each with all its events),
    then vacuumed and analysed as autovacuum would leave them."""
    app = build_application(settings)
    projections = build_projections(settings, app)
    stop = threading.Event()
    timer = threading.Timer(budget, stop.set) if budget > 0 else None
    try:
        head = app.store.recorder.max_notification_id() or 0
        before = min(p.position() for p in projections.values())
        started = time.perf_counter()
        if timer is not None:
            timer.start()
        projections.catch_up(stop=stop)
        seconds = time.perf_counter() - started
        reached = min(p.position() for p in projections.values())
    finally:
        if timer is not None:
            timer.cancel()
        projections.close()
        app.close()
    say(f"projected events {before:,} to {reached:,} of {head:,} in {seconds:.0f} s")
    table.add(
        f"project the copied store, events {before:,} to {reached:,}",
        "events/s",
        (reached - before) / seconds if seconds else 0.0,
    )
    if reached < head:
        table.notes.append(f"projected {reached:,} of {head:,} events in the time allowed")
    vacuum(settings)


def vacuum(settings: Settings) -> None:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (settings.database_schema,)
        ).fetchall()
        for (name,) in tables:
            target = sql.Identifier(settings.database_schema, name)
            verb = "ANALYZE" if name == "oversight_events" else "VACUUM ANALYZE"
            conn.execute(sql.SQL(verb + " {}").format(target))


def run(o: Options) -> Table:
    table = Table(echo=say)
    if o.scale_store:
        settings = settings_of(o, o.scale_store)
        if o.scale_budget > 0:
            project(table, settings, o.scale_budget)
        served_reads(table, settings, o.repeats)
        return table
    with ExitStack() as stack:
        source = source_schema(o, stack)
        target = settings_of(o, stack.enter_context(fresh_schema(o.database_url, o.keep)))
        build_store(table, o, source, target)
        served_reads(table, target, o.repeats)
    return table
