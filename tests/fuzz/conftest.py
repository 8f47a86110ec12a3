"""Fixtures for the fuzz tests: the API tests' ``api`` on each backend, and a seeded store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.settings import Settings
from tests.api.conftest import api as api  # the API tests' fixture, shared here
from tests.conftest import FakeClock
from tests.fuzz.seed import Seeded, seed
from tests.security.conftest import api_on


@pytest.fixture
def seeded_pg(pg_settings: Settings, clock: FakeClock) -> Iterator[Seeded]:
    """The production app on PostgreSQL, its store seeded with a few records of every kind."""
    with api_on(pg_settings, clock) as on_pg:
        yield seed(on_pg)
