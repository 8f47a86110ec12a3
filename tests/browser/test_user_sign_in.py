"""Signing in by user name and password in headless Chromium, then a token of one's own
and signing out; nothing is loaded from anywhere but this server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_dashboard import Watch

pytestmark = pytest.mark.browser
PASSWORD = "correct horse 1"


def test_a_regulator_signs_in_by_name_and_password_and_out_again(
    context: Any, live_server: LiveServer, screenshots: Path
) -> None:
    live_server.app.users.create_user(
        "zhang.li", role="regulator", jurisdiction="chengdu", display_name="张丽", password=PASSWORD
    )
    page = context.new_page()
    watch = Watch(page)
    page.goto(live_server.url + "/register")
    assert page.url.startswith(live_server.url + "/login")
    page.fill("#name", "zhang.li")
    page.fill("#password", "wrong password 1")
    page.click("[data-testid=password-login] button[type=submit]")
    error = page.locator("[data-testid=login-error]")
    error.wait_for()
    assert "用户名或密码错误" in error.inner_text()
    watch.errors.clear()  # the 401 of the wrong password was the point
    page.fill("#name", "zhang.li")
    page.fill("#password", PASSWORD)
    page.screenshot(path=str(screenshots / "login-password-zh.png"))
    page.click("[data-testid=password-login] button[type=submit]")
    page.wait_for_url(live_server.url + "/register")
    (cookie,) = [c for c in context.cookies() if c["name"] == "oversight_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["value"].startswith("u1.")
    assert cookie["expires"] > 0, "the session cookie carries its expiry"
    assert page.locator("[data-testid=nav-account]").inner_text() == "zhang.li"

    page.click("[data-testid=nav-account]")
    page.wait_for_url(live_server.url + "/account")
    page.fill("#note", "CSV 导出脚本")
    page.click("[data-testid=issue-token] button[type=submit]")
    secret = page.locator("[data-testid=token-secret]").inner_text()
    assert secret.startswith("sov_")
    assert live_server.app.access.authenticate(secret).user == "zhang.li"

    page.click("form[action='/logout'] button")
    page.wait_for_url(live_server.url + "/login?bye=1")
    assert [c for c in context.cookies() if c["name"] == "oversight_session"] == []
    page.goto(live_server.url + "/register")
    assert page.url.startswith(live_server.url + "/login")
    watch.check(live_server)
