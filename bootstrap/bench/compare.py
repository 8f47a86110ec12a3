"""Side-by-side figures on a province kept by ``oversight bench --keep``: one change's
before and after, measured in one run.

    python -m bootstrap.bench.compare --schema bench_xxxx public
    python -m bootstrap.bench.compare --schema bench_xxxx fold
    python -m bootstrap.bench.compare --schema bench_xxxx prepings
    python -m bootstrap.bench.compare --schema bench_xxxx rebuild --against ../main
    python -m bootstrap.bench.compare --schema bench_xxxx duefolds --against ../main
    python -m bootstrap.bench.compare --schema bench_sized sized --against ../main
    python -m bootstrap.bench.compare --schema bench_xxxx commands --against ../main
    python -m bootstrap.bench.compare --schema bench_xxxx reads --against ../main
    python -m bootstrap.bench.compare --schema bench_xxxx --duration 10 ceiling

``public``, ``fold`` and ``prepings`` measure both ways with this code (the replay the public
page did before its read model; ``dataclasses.replace`` put back into the fold; the pool's
pre-ping on and off). ``rebuild --against DIR`` runs the same measurement with the code of
another checkout (``PYTHONPATH=DIR``, and the Python of ``DIR/.venv`` if it has one) and then
with this one, one after the other.

``duefolds`` is the memory the deadlines read model's rebuild holds in its folds
(``domain.due_dates.DueFold``) until its end: every institution event folded in pages of
5,000, as a rebuild's batches are, the pages let go, the folds measured with
``tracemalloc``.

``commands`` is the command path: at each of ``--client-counts`` clients, POSTs of findings
and batches against a server of the checkout, then raw one-row transactions; with
``--profile FILE``, py-spy samples the server under the largest count of clients
(``--serve-args "--loop asyncio"`` passes options to ``oversight serve``); ``--beside DIR``
measures the server of another checkout in turn with this one at each count of clients.

``ceiling`` is what share of raw one-row transactions any HTTP command can reach on this
machine: at each of ``--client-counts`` clients, raw one-row transactions, then the same
POSTs as ``commands`` against the smallest servers of this stack in turn
(``bootstrap.bench.ceiling_apps``: a bare ASGI 201, the same inserting one row from a
psycopg pool, FastAPI inserting one row in a ``def`` endpoint and in an ``async def`` one)
and ``oversight serve``.

``sized`` is the bench's load and assessment figures (``oversight bench``'s sized
institutions, 10 / 1,000 / 10,000 events by default) on a schema of their own: it creates
the schema and the institutions when they are missing (with this code, before either run),
then measures a load, an assessment with the history fold kept and one from a cold process,
each beside a raw select of the same rows.

``reads`` is every read of the bench against a real server on the kept store (with
``--against``: the other checkout's server, then this one's; the indexes either declares
are created on the shared store and stay for the next).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import json
import os
import resource
import secrets
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

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


def sized_ids(sizes: tuple[int, ...]) -> dict[int, UUID]:
    """The ids ``oversight bench`` gives its sized institutions (by their order in ``sizes``)."""
    from bootstrap.bench.province import JURISDICTIONS, filing
    from domain.state import institution_id

    place = JURISDICTIONS[0]
    ids = {}
    for n, size in enumerate(sizes):
        application = filing(9_000_000 + n, place, [])
        ids[size] = institution_id(application.jurisdiction, application.credit_code)
    return ids


def ensure_sized(settings: Settings, sizes: tuple[int, ...]) -> None:
    """The schema and the sized institutions, made where missing."""
    import psycopg
    from psycopg import sql

    from bootstrap.bench.province import sized_institution
    from domain.institution import Institution

    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(settings.database_schema)
            )
        )
    app = build_application(settings)
    try:
        for n, (size, iid) in enumerate(sized_ids(sizes).items()):
            if app.ledger.find(Institution, iid) is None:
                print(f"making the institution of {size:,} events", file=sys.stderr, flush=True)
                made = sized_institution(app, size, n)
                assert made == iid
    finally:
        app.close()


def sized(settings: Settings, sizes: tuple[int, ...], repeats: int) -> dict[str, Any]:
    """The bench's load and assessment figures on the sized institutions (a warm process
    that has read each once, and a cold one without kept history folds)."""
    from bootstrap.bench.province import Province
    from bootstrap.bench.run import load_assess_figures
    from bootstrap.bench.table import Table

    province = Province()
    province.sized.update(sized_ids(sizes))
    table = Table()
    app = build_application(settings)
    try:
        load_assess_figures(table, app, settings, province, repeats)
        if not any(name.endswith("(snapshot read)") for name in table.names()):
            cold_load_figures(table, app, settings, province, repeats)  # a checkout before
    finally:
        app.close()
    cold_assess_figures(table, settings, province, repeats)
    return {
        f.name: {"ms": round(f.ours, 3), "raw select ms": round(f.baseline, 3)}
        for f in table.figures
    }


def cold_load_figures(
    table: Any, app: Any, settings: Settings, province: Any, repeats: int
) -> None:
    """A load with nothing kept in the process: the snapshot read and decoded, and the
    events after it folded; beside the raw select of the institution's rows."""
    from domain.institution import Institution
    from domain.ledger import LatestInstitutions

    app.ledger.latest = LatestInstitutions(size=0)
    beside_raw_select(
        table,
        settings,
        province,
        repeats,
        "load institution, {size} events (snapshot read)",
        lambda iid: app.ledger.get(Institution, iid),
    )


def cold_assess_figures(table: Any, settings: Settings, province: Any, repeats: int) -> None:
    """An assessment in a process that keeps neither the institution nor its history
    (each read from the store as after a restart, or on another replica), beside the raw
    select of the institution's rows. The first, not counted, stores the history fold
    where the store does not keep it yet."""
    from domain.access import Principal
    from domain.ledger import HistoryFolds, LatestInstitutions

    cold = build_application(settings)
    cold.ledger.latest = LatestInstitutions(size=0)
    cold.ledger.folds = HistoryFolds(max_events=0)
    admin = Principal("bench.admin", "admin")
    try:
        beside_raw_select(
            table,
            settings,
            province,
            repeats,
            "assess, {size} events (nothing kept)",
            lambda iid: cold.records.assessment(admin, iid, AS_OF),
            uncounted_first=True,
        )
    finally:
        cold.close()


def beside_raw_select(
    table: Any,
    settings: Settings,
    province: Any,
    repeats: int,
    figure: str,
    read: Callable[[UUID], object],
    *,
    uncounted_first: bool = False,
) -> None:
    """``read`` of each sized institution timed beside a raw select of its rows."""
    import psycopg
    from psycopg import sql

    statement = sql.SQL(
        "SELECT topic, state FROM {}.oversight_events WHERE originator_id = %s"
        " ORDER BY originator_version"
    ).format(sql.Identifier(settings.database_schema))
    with psycopg.connect(settings.database_url) as conn:
        for size, iid in sorted(province.sized.items()):

            def select(iid: UUID = iid) -> object:
                return conn.execute(statement, (iid,)).fetchall()

            def measure(iid: UUID = iid) -> object:
                return read(iid)

            if uncounted_first:
                measure()
            raw = load.timed_reads(select, repeats)
            measured = load.timed_reads(measure, max(3, repeats // 10))
            table.add(
                figure.format(size=f"{size:,}"),
                "ms",
                load.percentile(measured, 50) * 1000,
                load.percentile(raw, 50) * 1000,
            )


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


def bench_token(settings: Settings) -> str:
    """A new administrator's token for the load."""
    app = build_application(settings)
    token = "sov_" + secrets.token_urlsafe(24)
    try:
        app.access.issue_token(token, subject="bench.admin", role="admin", note="compare")
    finally:
        app.close()
    return token


def prepings(settings: Settings, clients: int, duration: float) -> dict[str, Any]:
    """POST findings and batches at ``clients`` clients against a server with the pool's
    pre-ping off and on, and raw one-row transactions, one after the other."""
    from bootstrap.bench import run

    token = bench_token(settings)
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


def commands(
    settings: Settings,
    client_counts: list[int],
    duration: float,
    serve_args: list[str],
    profile: str | None,
    beside: str | None = None,
) -> dict[str, Any]:
    """The command path at each count of clients: ours beside raw one-row transactions;
    with ``beside``, the server of that checkout too, measured in turn with ours at each
    count (so that the machine's other load weighs on both alike)."""
    from bootstrap.bench import run

    token = bench_token(settings)
    targets = command_targets(settings)
    _drop_raw(settings)  # a kept province keeps the bench's
    insert = load.raw_table(settings.database_url, settings.database_schema)
    figures: dict[str, Any] = {}
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    try:
        port = run.free_port()
        servers["ours"] = (port, run.start(settings, port, "serve", *serve_args))
        if beside is not None:
            port = run.free_port()
            servers[f"beside ({beside})"] = (port, _start_beside(settings, port, Path(beside)))
        for port, server in servers.values():
            run.wait_ready(port, server)
            _warm(port, token, targets)
        for clients in client_counts:
            figure: dict[str, Any] = {}
            for label, (port, server) in servers.items():
                work = load.http_commands(port, token, targets)
                spy = None
                if profile and label == "ours" and clients == max(client_counts):
                    spy = _spy(server.pid, profile, duration)
                figure[label] = _served(clients, duration, work, server, "command")
                if spy is not None:
                    spy.wait(timeout=60)
            raw = load.concurrently(
                clients, duration, load.raw_transactions(settings.database_url, insert, b"x" * 900)
            )
            figure["raw one-row transactions"] = _rate(raw)
            for label in servers:
                figure[f"ratio, {label}"] = figure[label]["per_s"] / raw.rate if raw.rate else None
            figures[f"{clients} clients"] = figure
        for label, (_, server) in servers.items():
            figures[f"server peak RSS MiB, {label}"] = run.peak_rss_mib(server.pid)
    finally:
        for _, server in servers.values():
            run.stop(server)
        _drop_raw(settings)
    return figures


def ceiling(
    settings: Settings, client_counts: list[int], duration: float, *, ours: bool = True
) -> dict[str, Any]:
    """What share of raw one-row transactions any HTTP command reaches here: at each count
    of clients, raw one-row transactions, then the command load (the same requests as
    ``commands``) against each of ``ceiling_apps``' servers in turn (a bare ASGI 201, the
    same inserting one row from a pool; FastAPI inserting one row, in a ``def`` and an
    ``async def`` endpoint) and,
    with ``ours``, against ``oversight serve`` on the kept province. Beside each: how busy
    both cores were, and the load generator's CPU time per request."""
    from bootstrap.bench import ceiling_apps, run

    # The apps' paths are the commands', on institutions they never look up.
    loads: dict[str, tuple[str, list[tuple[UUID, str, str]]]] = {}
    fake = [(uuid4(), "hunan", "ceiling") for _ in range(200)]
    _drop_raw(settings)  # a kept province keeps the bench's
    insert = load.raw_table(settings.database_url, settings.database_schema)
    figures: dict[str, Any] = {}
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    try:
        for name, label in ceiling_apps.APPS.items():
            port = run.free_port()
            servers[label] = (port, ceiling_apps.start(settings, port, name))
            loads[label] = ("", fake)
        if ours:
            port = run.free_port()
            servers[OURS] = (port, run.start(settings, port, "serve"))
            loads[OURS] = (bench_token(settings), command_targets(settings))
        for label, (port, server) in servers.items():
            run.wait_ready(port, server)
            if label == OURS:
                _warm(port, *loads[label])
            load.concurrently(2, min(duration, 1.0), load.http_commands(port, *loads[label]))
        for clients in client_counts:
            raw = load.raw_transactions(settings.database_url, insert, b"x" * 900)
            baseline = _served(clients, duration, raw)
            figure: dict[str, Any] = {"raw one-row transactions": baseline}
            for label, (port, server) in servers.items():
                work = load.http_commands(port, *loads[label])
                served = _served(clients, duration, work, server)
                served["ratio to raw"] = served["per_s"] / baseline["per_s"]
                figure[label] = served
            figures[f"{clients} clients"] = figure
    finally:
        for _, server in servers.values():
            run.stop(server)
        _drop_raw(settings)
    return figures


OURS = "ours (oversight serve)"


def _served(
    clients: int,
    duration: float,
    work: Callable[[int, float], load.Run],
    server: subprocess.Popen[bytes] | None = None,
    unit: str = "request",
) -> dict[str, Any]:
    """``work`` at ``clients`` clients: its rate and latencies; the share of both cores busy
    meanwhile (every process: a server, PostgreSQL, the load generator) and the load
    generator's (this process's) CPU ms per ``unit`` done; with ``server``, its CPU ms per
    ``unit`` too."""
    cpu = _cpu_seconds(server.pid) if server else 0.0
    (busy, total), mine = _machine_ticks(), time.process_time()
    done = load.concurrently(clients, duration, work)
    after, mine = _machine_ticks(), time.process_time() - mine
    count = max(1, len(done.latencies))
    figures = {
        **_rate(done),
        "machine busy %": 100 * (after[0] - busy) / max(1, after[1] - total),
        f"load CPU ms per {unit}": 1000 * mine / count,
    }
    if server:
        figures[f"server CPU ms per {unit}"] = 1000 * (_cpu_seconds(server.pid) - cpu) / count
    return figures


def _machine_ticks() -> tuple[int, int]:
    """The machine's CPU ticks so far: busy (neither idle nor waiting on I/O), and all."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def _start_beside(settings: Settings, port: int, checkout: Path) -> subprocess.Popen[bytes]:
    """``oversight serve`` of another checkout, in its own environment where it has one."""
    from bootstrap.bench import run

    own = checkout / ".venv" / "bin" / "python"
    python = str(own) if own.exists() else sys.executable
    return subprocess.Popen(
        [python, "-m", "bootstrap.cli", "serve"],
        env={**run.process_env(settings, port), "PYTHONPATH": str(checkout.resolve())},
        cwd=checkout,
        stdout=subprocess.DEVNULL,
    )


def _spy(pid: int, profile: str, duration: float) -> subprocess.Popen[bytes]:
    """py-spy's raw samples of process ``pid`` for ``duration`` seconds, into ``profile``."""
    spy = str(Path(sys.executable).parent / "py-spy")
    argv = [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "100"]
    argv += ["--format", "raw", "--output", profile, "--duration", str(int(duration))]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _warm(port: int, token: str, targets: list[tuple[UUID, str, str]]) -> None:
    """One command on each target first, as a server that has run a while has seen them
    (what it keeps of each institution is then in place, as in a steady state)."""
    import random
    import uuid

    connection = load.Http(port, token)
    rng = random.Random(0)
    try:
        for iid, jurisdiction, occupation in targets:
            path, body = load.command_body(rng, jurisdiction, occupation)
            connection.request(
                "POST",
                f"/api/v1/institutions/{iid}/{path}",
                body,
                **{"Idempotency-Key": uuid.uuid4().hex},
            )
    finally:
        connection.close()


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) of process ``pid`` and its children so far."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    ticks = 0
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


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
            sql.SQL("DROP TABLE IF EXISTS {}.raw_events").format(
                sql.Identifier(settings.database_schema)
            )
        )


def rebuild(settings: Settings, *, caught_up: bool = True) -> dict[str, Any]:
    """Every projection rebuilt from the start (all from shared reads where the code has
    them, else one after the other), and a raw select of the same events.

    Without ``caught_up`` the projections are rebuilt as they stand, however far behind
    (a store of millions of events copied in and never projected)."""
    from bootstrap.bench.run import raw_select_seconds

    app = build_application(settings)
    projections = build_projections(settings, app)
    try:
        if caught_up:
            projections.catch_up()
        head = app.store.recorder.max_notification_id() or 0
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        if hasattr(projections, "rebuild"):
            projections.rebuild()
        else:
            for projection in projections.values():
                projection.rebuild()
        seconds = time.perf_counter() - started
        peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
        # The process's peak before the rebuild (caught up) and after it.
        "peak_rss_mib": {"before": peak_before, "after": peak_after},
    }


def duefolds(settings: Settings) -> dict[str, Any]:
    """The memory the deadlines model's rebuild folds hold at its end, per institution."""
    due_dates: Any = importlib.import_module("domain.due_dates")
    kinds = importlib.import_module("domain.evolve").institution_events()
    store: Any = importlib.import_module("projections.store")
    app = build_application(settings)
    try:
        log = store.NotificationLog(app)
        head = app.store.recorder.max_notification_id() or 0
        folds: dict[UUID, Any] = {}
        events = 0
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            start = 1
            while start <= head:
                page = log.read(start, 5000)
                if not page:
                    break
                start = page[-1].notification_id + 1
                groups: dict[UUID, list[Any]] = {}
                for entry in page:
                    event = log.decode(entry)
                    if isinstance(event, kinds):
                        groups.setdefault(event.originator_id, []).append(event)
                        events += 1
                for iid, theirs in groups.items():
                    folds[iid] = folds.get(iid, due_dates.DueFold()).extended(theirs)
                del page, groups
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    finally:
        app.close()
    return {
        "institutions": len(folds),
        "institution events": events,
        "folds MiB": held / 2**20,
        "KiB per institution": held / 1024 / max(len(folds), 1),
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
    parser.add_argument("--client-counts", default="1,4,16", help="for commands and ceiling")
    parser.add_argument("--serve-args", default="", help="options of oversight serve")
    parser.add_argument("--profile", help="py-spy's raw samples of the server, to this file")
    parser.add_argument("--beside", help="commands: another checkout's server, in turn with ours")
    parser.add_argument(
        "--as-they-stand",
        action="store_true",
        help="rebuild: no catch-up first (a store far behind, e.g. a scale store)",
    )
    parser.add_argument("--against", help="another checkout to run the same figure with first")
    parser.add_argument("--sizes", default="10,1000,10000", help="events of the sized ones")
    parser.add_argument(
        "figure",
        choices=[
            "public",
            "fold",
            "prepings",
            "rebuild",
            "duefolds",
            "sized",
            "commands",
            "reads",
            "ceiling",
        ],
    )
    a = parser.parse_args()
    settings = Settings(database_url=a.database_url, database_schema=a.schema)
    sizes = tuple(int(n) for n in a.sizes.split(",") if n.strip())
    if a.figure == "sized":
        ensure_sized(settings, sizes)
    if a.against:
        results = {}
        here = Path(__file__).resolve()
        for label, path in (("before", Path(a.against).resolve()), ("after", here.parents[2])):
            # This file run as a script, importing everything else from the checkout named.
            # With the checkout's own environment where it has one (its dependencies).
            own = path / ".venv" / "bin" / "python"
            python = str(own) if own.exists() else sys.executable
            argv = [python, str(here), *_without_against(sys.argv[1:])]
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
        "rebuild": lambda: rebuild(settings, caught_up=not a.as_they_stand),
        "duefolds": lambda: duefolds(settings),
        "sized": lambda: sized(settings, sizes, a.repeats),
        "commands": lambda: commands(
            settings,
            [int(n) for n in a.client_counts.split(",")],
            a.duration,
            a.serve_args.split(),
            a.profile,
            a.beside,
        ),
        "reads": lambda: reads(settings, a.repeats),
        "ceiling": lambda: ceiling(
            settings, [int(n) for n in a.client_counts.split(",")], a.duration
        ),
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
