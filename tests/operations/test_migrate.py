"""``oversight migrate``: idempotent, and safe when every replica runs it at the same moment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bootstrap import build_application
from bootstrap.migrate import migrate
from config.settings import Settings
from projections import READ_MODELS
from tests.projections.filings import file_many

ROOT = Path(__file__).resolve().parents[2]
#: Processes started together, as replicas would be.
REPLICAS = 6


def tables(settings: Settings) -> set[str]:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (settings.database_schema,),
        ).fetchall()
    return {str(r[0]) for r in rows}


def expected_tables() -> set[str]:
    names = {t.name for make in READ_MODELS for t in make().tables}
    return names | {"oversight_events", "projection_tracking"}


def oversight(settings: Settings, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "OVERSIGHT_DATABASE_URL": settings.database_url,
        "OVERSIGHT_DATABASE_SCHEMA": settings.database_schema,
        "OVERSIGHT_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bootstrap.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
def test_replicas_migrating_a_new_schema_at_once_all_succeed(pg_settings: Settings) -> None:
    assert tables(pg_settings) == set()  # the schema does not exist yet
    procs = [oversight(pg_settings, "migrate") for _ in range(REPLICAS)]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * REPLICAS, results
    assert all(out.startswith("ok  schema ") for _, out, _ in results)
    assert expected_tables() <= tables(pg_settings)


def test_migrating_again_changes_nothing(settings: Settings) -> None:
    first = migrate(settings)
    assert first == [make().name for make in READ_MODELS]
    app = build_application(settings)
    try:
        file_many(app, 2)
        head = app.store.recorder.max_notification_id()
    finally:
        app.close()
    assert migrate(settings) == first
    app = build_application(settings)
    try:
        assert app.store.recorder.max_notification_id() == head
    finally:
        app.close()
