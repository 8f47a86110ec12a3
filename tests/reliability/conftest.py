"""Fixtures for the reliability tests: a live uvicorn server, a PostgreSQL of their own.

``live`` serves the production app on the suite's PostgreSQL (a schema of its own).
``cluster`` is a throwaway PostgreSQL cluster, one per session, that the fault tests stop,
restart, make read-only and fill up; ``cluster_settings`` is a fresh database on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from config.settings import Settings
from tests.reliability.cluster import Cluster, postgres_bindir
from tests.reliability.server import LiveServer, live_server


@pytest.fixture
def live(pg_settings: Settings) -> Iterator[LiveServer]:
    with live_server(pg_settings) as server:
        yield server


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) are installed")
    made = Cluster(bindir)
    made.start()
    try:
        yield made
    finally:
        made.remove()


@pytest.fixture
def cluster_settings(cluster: Cluster) -> Iterator[Settings]:
    if not cluster.running():
        cluster.start()  # a test that failed half-way may have left it stopped
    name = f"faults_{uuid.uuid4().hex[:10]}"
    yield Settings(database_url=cluster.create_database(name), pool_size=2)
    if cluster.running():
        cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
