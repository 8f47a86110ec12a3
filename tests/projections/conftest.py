"""Fixtures for the read models: the production factories on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bootstrap import build_application
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from projections import Projections
from tests.conftest import FakeClock


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Iterator[OversightApplication]:
    application = build_application(settings, clock=clock)
    yield application
    application.close()


@pytest.fixture
def projections(settings: Settings, app: OversightApplication) -> Iterator[Projections]:
    built = build_projections(settings, app)
    yield built
    built.close()
