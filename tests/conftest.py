"""Shared fixtures: every storage-touching test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from ``OVERSIGHT_TEST_DATABASE_URL`` (``make test`` sets it after finding
or starting a server). pytest-postgresql's janitor creates one database for the run; each
test gets its own schema in it, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
from psycopg import sql
from pytest_postgresql.janitor import DatabaseJanitor

from config.settings import Settings

DEFAULT_TEST_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class FakeClock:
    """A clock the test moves by hand; every event records its reading."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: str, hour: int = 2) -> None:
        y, m, d = (int(x) for x in day.split("-"))
        self.now = datetime(y, m, d, hour, tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database for this test run on the server named by OVERSIGHT_TEST_DATABASE_URL."""
    url = urlparse(os.environ.get("OVERSIGHT_TEST_DATABASE_URL", DEFAULT_TEST_URL))
    dbname = f"oversight_test_{os.getpid()}"
    janitor = DatabaseJanitor(
        user=url.username or "postgres",
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        password=url.password,
        dbname=dbname,
        maintenance_dbname=url.path.lstrip("/") or "postgres",
    )
    try:
        janitor.init()
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {url.hostname}:{url.port}: {exc}. "
            "Run the tests with 'make test', which finds or starts one."
        )
    netloc = url.netloc
    try:
        yield f"{url.scheme}://{netloc}/{dbname}"
    finally:
        janitor.drop()


def _postgres_settings(database_url: str) -> Iterator[Settings]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=database_url, database_schema=schema, pool_size=2)
    yield settings
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Test settings for each backend; storage tests take this fixture and run twice."""
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}")
        return
    yield from _postgres_settings(request.getfixturevalue("postgres_database"))


@pytest.fixture
def pg_settings(postgres_database: str) -> Iterator[Settings]:
    """PostgreSQL only, for tests about PostgreSQL itself (e.g. tampering with rows)."""
    yield from _postgres_settings(postgres_database)
