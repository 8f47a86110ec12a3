"""Side-by-side figures on a province kept by ``oversight bench --keep``: one change's
before and after, measured in one run.

    python -m bootstrap.bench.compare --schema bench_xxxx public
    python -m bootstrap.bench.compare --schema bench_xxxx fold
    python -m bootstrap.bench.compare --schema bench_xxxx prepings
    python -m bootstrap.bench.compare --schema bench_xxxx rebuild --against ../main
    python -m bootstrap.bench.compare --schema bench_xxxx reads --against ../main

``public``, ``fold`` and ``prepings`` measure both ways with this code (the replay the public
page did before its read model; ``dataclasses.replace`` put back into the fold; the pool's
pre-ping on and off). ``rebuild --against DIR`` runs the same measurement with the code of
another checkout (``PYTHONPATH=DIR``) and then with this one, one after the other.
``reads`` is every read of the bench against a real server on the kept store (with
``--against``: the other checkout's server, then this one's; the indexes either declares
are created on the shared store and stay for the next).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from bootstrap import build_application
from bootstrap.bench import DEFAULT_URL, load
from bootstrap.bench.province import Province
from bootstrap.bench.run import (
    chart_figures,
    free_port,
    peak_rss_mib,
    read_figures,
    start,
    stop,
    wait_ready,
)
from bootstrap.bench.table import Table
from bootstrap.read_models import build_projections
from config.settings import Settings

AS_OF = date(2026, 9, 30)


def percentiles(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": load.percentile(times, 50) * 1000,
        "p99_ms": load.percentile(times, 99) * 1000,
    }


def public(settings: Settings, repeats: int) -> dict[str, Any]:
    """The public page's ratings: from the ratings read model, and replayed as before."""
    from domain.access import SYSTEM
    from projections.dashboard import public_page
    from projections.filters import every_row
    from projections.queries import list_institutions

    app = build_application(settings)
    projections = build_projections(settings, app)
    try:
        projections.catch_up()
        store = projections.store

        def replayed() -> int:
            entries = every_row(
                lambda cursor, limit: list_institutions(store, limit=limit, cursor=cursor)
            )
            shown = 0
            for entry in entries:
                rating = app.records.credit_rating(SYSTEM, entry.id, AS_OF)
                shown += bool(rating["published"] and rating["state"] != "unrated")
            return shown

        def kept() -> int:
            return len(public_page(app, store, AS_OF, None).ratings)

        if kept() != replayed():
            raise RuntimeError("the read model and the replay list other ratings")
        return {
            "ratings": kept(),
            "read model": percentiles(load.timed_reads(kept, repeats)),
            "replay (before)": percentiles(load.timed_reads(replayed, max(3, repeats // 10))),
        }
    finally:
        projections.close()
        app.close()


def largest_institution(settings: Settings) -> UUID:
    import psycopg
    from psycopg import sql

    statement = sql.SQL(
        "SELECT originator_id FROM {}.oversight_events GROUP BY originator_id"
        " ORDER BY count(*) DESC LIMIT 1"
    ).format(sql.Identifier(settings.database_schema))
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute(statement).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def fold(settings: Settings, repeats: int) -> dict[str, Any]:
    """Folding the largest institution's events from nothing, with ``changed`` and with
    ``dataclasses.replace`` put back."""
    evolve: Any = importlib.import_module("domain.evolve")
    app = build_application(settings)
    try:
        iid = largest_institution(settings)
        events = list(app.store.repository.event_store.get(iid))

        def folded(replace: Any) -> Callable[[], object]:
            def run() -> object:
                ours = evolve.changed
                evolve.changed = replace
                try:
                    return evolve.fold(events)
                finally:
                    evolve.changed = ours

            return run

        fast, slow = folded(evolve.changed), folded(dataclasses.replace)
        if fast() != slow():
            raise RuntimeError("the two folds differ")
        return {
            "events": len(events),
            "changed": percentiles(load.timed_reads(fast, repeats)),
            "dataclasses.replace (before)": percentiles(load.timed_reads(slow, repeats)),
        }
    finally:
        app.close()


def command_targets(settings: Settings, count: int = 200) -> list[tuple[UUID, str, str]]:
    """Active institutions without a case: (id, jurisdiction, an occupation they hold)."""
    from domain.institution import Institution
    from projections.filters import every_row
    from projections.queries import list_institutions

    app = build_application(settings)
    projections = build_projections(settings)
    try:
        targets = []
        entries = every_row(
            lambda cursor, limit: list_institutions(
                projections.store, status="active", limit=limit, cursor=cursor
            )
        )
        for entry in entries:
            state = app.ledger.get(Institution, entry.id).state
            if not state.cases and state.scope and not state.suspensions:
                targets.append((entry.id, state.jurisdiction, state.scope[0].occupation))
            if len(targets) >= count:
                break
        return targets
    finally:
        projections.close()
        app.close()


def prepings(settings: Settings, clients: int, duration: float) -> dict[str, Any]:
    """POST findings and batches at ``clients`` clients against a server with the pool's
    pre-ping off and on, and raw one-row transactions, one after the other."""
    from bootstrap.bench import run

    app = build_application(settings)
    token = "sov_" + secrets.token_urlsafe(24)
    try:
        app.access.issue_token(token, subject="bench.admin", role="admin", note="compare")
    finally:
        app.close()
    targets = command_targets(settings)
    figures: dict[str, Any] = {}
    for pre_ping in ("false", "true"):
        port = run.free_port()
        os.environ["OVERSIGHT_POOL_PRE_PING"] = pre_ping
        server = run.start(settings, port, "serve")
        try:
            run.wait_ready(port, server)
            done = load.concurrently(clients, duration, load.http_commands(port, token, targets))
        finally:
            run.stop(server)
            del os.environ["OVERSIGHT_POOL_PRE_PING"]
        figures[f"pre-ping {pre_ping}"] = _rate(done)
    insert = load.raw_table(settings.database_url, settings.database_schema)
    raw = load.concurrently(
        clients, duration, load.raw_transactions(settings.database_url, insert, b"x" * 900)
    )
    figures["raw one-row transactions"] = _rate(raw)
    _drop_raw(settings)
    return figures


def _rate(done: Any) -> dict[str, Any]:
    return {
        "per_s": done.rate,
        "p50_ms": done.percentile(50),
        "p99_ms": done.percentile(99),
        "failures": done.failures,
    }


def _drop_raw(settings: Settings) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP TABLE {}.raw_events").format(sql.Identifier(settings.database_schema))
        )


def rebuild(settings: Settings) -> dict[str, Any]:
    """Every projection rebuilt from the start (all from shared reads where the code has
    them, else one after the other), and a raw select of the same events."""
    from bootstrap.bench.run import raw_select_seconds

    app = build_application(settings)
    projections = build_projections(settings, app)
    try:
        projections.catch_up()
        head = app.store.recorder.max_notification_id() or 0
        started = time.perf_counter()
        if hasattr(projections, "rebuild"):
            projections.rebuild()
        else:
            for projection in projections.values():
                projection.rebuild()
        seconds = time.perf_counter() - started
        names = sorted(projections)
    finally:
        projections.close()
        app.close()
    raw = raw_select_seconds(settings, head)
    return {
        "read models": names,
        "events": head,
        "events_per_s": head / seconds,
        "raw_select_per_s": head / raw,
        "ratio": raw / seconds,
    }


# --- the reads ------------------------------------------------------------------------


def issue_token(settings: Settings) -> str:
    """An admin's bearer token in the store (read from the ledger, not a read model)."""
    token = "sov_" + secrets.token_urlsafe(24)
    app = build_application(settings)
    try:
        app.access.issue_token(token, subject="bench.admin", role="admin", note="bench")
    finally:
        app.close()
    return token


def active_sample(settings: Settings, count: int = 5000) -> Province:
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


def reads(settings: Settings, repeats: int) -> dict[str, Any]:
    """Every read of the bench over HTTP and each chart query, on the kept store."""
    table = Table()
    served_reads(table, settings, repeats)
    return {
        "notes": table.notes,
        **{
            f.name: {"ms": round(f.ours, 2), "baseline": round(f.baseline, 2)}
            for f in table.figures
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bootstrap.bench.compare")
    parser.add_argument(
        "--database-url", default=os.environ.get("OVERSIGHT_TEST_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--schema", required=True, help="a schema kept by oversight bench --keep")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--against", help="another checkout to run the same figure with first")
    parser.add_argument("figure", choices=["public", "fold", "prepings", "rebuild", "reads"])
    a = parser.parse_args()
    settings = Settings(database_url=a.database_url, database_schema=a.schema)
    if a.against:
        results = {}
        here = Path(__file__).resolve()
        for label, path in (("before", Path(a.against).resolve()), ("after", here.parents[2])):
            # This file run as a script, importing everything else from the checkout named.
            argv = [sys.executable, str(here), *_without_against(sys.argv[1:])]
            env = {**os.environ, "PYTHONPATH": str(path)}
            out = subprocess.run(
                argv, env=env, cwd=path, check=True, stdout=subprocess.PIPE, text=True
            )
            results[f"{label} ({path})"] = json.loads(out.stdout)
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    figure: Callable[[], dict[str, Any]] = {
        "public": lambda: public(settings, a.repeats),
        "fold": lambda: fold(settings, a.repeats),
        "prepings": lambda: prepings(settings, a.clients, a.duration),
        "rebuild": lambda: rebuild(settings),
        "reads": lambda: reads(settings, a.repeats),
    }[a.figure]
    print(json.dumps(figure(), indent=2, ensure_ascii=False))
    return 0


def _without_against(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--against":
            skip = True
            continue
        if arg.startswith("--against="):
            continue
        out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main())
