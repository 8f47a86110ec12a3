"""A real server and a real headless Chromium for the dashboard's browser tests.

The server is the production factory (``bootstrap.service.web_service``, as ``oversight
serve`` runs it) on a SQLite store with the demo data, served by uvicorn in a background
thread on a free port of 127.0.0.1. The browser is the system Chromium (Debian's
``chromium``; ``deploy/ensure-chromium.sh`` installs it), driven by Playwright; Playwright's
own browser download is not used. Without a Chromium the tests are skipped with the reason.
Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bootstrap import build_application
from bootstrap.demo import ensure_demo
from bootstrap.service import web_service
from config.settings import Settings
from domain.application import OversightApplication
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The demo's business dates end in November 2026; the server's clock reads this day.
DEMO_TODAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("OVERSIGHT_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: OversightApplication
    admin_token: str
    tokens: dict[str, str] = field(default_factory=dict)

    def issue(self, name: str, role: str, **scope: Any) -> str:
        secret = "sov_" + secrets.token_urlsafe(24)
        self.app.access.issue_token(secret, subject=name, role=role, **scope)
        self.tokens[name] = secret
        return secret


@contextmanager
def serving(web: Any) -> Iterator[str]:
    """``web`` served by uvicorn in a background thread on a free port; yields its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The dashboard on a free port, with the demo data and its read models caught up."""
    home = tmp_path_factory.mktemp("live")
    settings = Settings(
        database_url=f"sqlite:///{home / 'store.db'}",
        demo_token_file=home / "demo-admin-token",
        log_format="json",
        log_level="WARNING",
    )
    app = build_application(settings, clock=FakeClock(DEMO_TODAY))
    token = ensure_demo(app, settings)
    web = web_service(settings, app)
    web.state.projections.catch_up()
    with serving(web) as url:
        live = LiveServer(url, app, token)
        live.issue("li.jinjiang", "regulator", jurisdiction="chengdu", district="锦江区")
        yield live


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "no Chromium found (looked at $OVERSIGHT_CHROMIUM, /usr/bin/chromium, PATH);"
            " run deploy/ensure-chromium.sh as root to install Debian's chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
