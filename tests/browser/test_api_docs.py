"""``/docs`` renders Swagger UI in headless Chromium with the network cut to this server alone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_dashboard import Watch

pytestmark = pytest.mark.browser


def test_the_api_docs_render_with_no_network_beyond_the_server(
    live_server: LiveServer, browser: Any
) -> None:
    context = browser.new_context()
    own = urlsplit(live_server.url).netloc
    blocked: list[str] = []

    def offline(route: Any) -> None:  # every request to another host fails, as off the internet
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", offline)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector(".opblock", timeout=15_000)  # the operations are listed
    assert "skills-oversight" in page.locator(".info .title").inner_text()
    assert page.locator(".opblock").count() > 50
    assert blocked == []
    watch.check(live_server)
    context.close()
