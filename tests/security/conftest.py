"""The API under test with settings a test adjusts (log format, a cipher key)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from tests.api.conftest import Api
from tests.api.conftest import api as api  # the API tests' fixture, shared here
from tests.conftest import FakeClock

ApiFactory = Callable[..., AbstractContextManager[Api]]


@contextmanager
def api_on(settings: Settings, clock: FakeClock, **overrides: Any) -> Iterator[Api]:
    """The API on the store the settings name, with an admin token, the clock at 2024-03-20."""
    adjusted = settings.model_copy(update=overrides)
    clock.set("2024-03-20")
    app = build_application(adjusted, clock=clock)
    secret = "sov_" + secrets.token_urlsafe(32)
    app.access.issue_token(secret, subject="admin.test", role="admin")
    with TestClient(web_service(adjusted, app)) as client:
        yield Api(client, app, clock, {"Authorization": f"Bearer {secret}"})


@pytest.fixture
def api_with(settings: Settings, clock: FakeClock) -> ApiFactory:
    """``with api_with(log_format="json") as api:`` the API on this backend's store."""
    return partial(api_on, settings, clock)
