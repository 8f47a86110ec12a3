"""Fixtures of the operations tests: the API fixture of tests/api, and a PostgreSQL cluster
of their own for the tests that start a deployment's processes (they open many
connections; the suite's server is shared with everything else)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from config.logging import configure_logging
from config.settings import Settings
from tests.api.conftest import api
from tests.reliability.cluster import Cluster
from tests.reliability.conftest import cluster

__all__ = ["api", "cluster", "deployment_settings", "logs_to_this_test"]


@pytest.fixture(autouse=True)
def logs_to_this_test() -> None:
    """Log lines of the code under test as JSON from warnings up, whatever an earlier test
    configured."""
    configure_logging("json", "WARNING")


@pytest.fixture
def deployment_settings(cluster: Cluster) -> Iterator[Settings]:
    """A fresh database on the cluster, and a schema in it not created yet."""
    if not cluster.running():
        cluster.start()
    name = f"ops_{uuid.uuid4().hex[:10]}"
    yield Settings(
        database_url=cluster.create_database(name),
        database_schema="oversight",
        pool_size=2,
    )
    if cluster.running():
        cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
