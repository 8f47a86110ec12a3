"""The dashboard in headless Chromium: sign in, filter, read a file, see charts, switch language.

Every page must load only from this server (no request leaves 127.0.0.1) and run without
console errors (a script blocked by the Content-Security-Policy would be one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


class Watch:
    """What a page asked for and complained about."""

    def __init__(self, page: Any) -> None:
        self.hosts: set[str] = set()
        self.errors: list[str] = []
        page.on("request", lambda r: self.hosts.add(urlsplit(r.url).netloc))
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check(self, server: LiveServer) -> None:
        assert self.hosts <= {urlsplit(server.url).netloc}, self.hosts
        assert self.errors == []


def sign_in(page: Any, server: LiveServer, token: str) -> None:
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login")
    page.fill("#token", token)
    page.press("#token", "Enter")
    page.wait_for_url(server.url + "/")


def chart_size(page: Any, chart_id: str) -> dict[str, float]:
    page.wait_for_selector(f"#{chart_id}[data-chart-ready=true] svg", state="attached")
    box: dict[str, float] = page.locator(f"#{chart_id} svg").first.bounding_box()
    return box


def test_a_regulator_signs_in_filters_reads_a_file_and_sees_charts(
    context: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, live_server, live_server.admin_token)
    the_session_cookie_is_httponly_and_strict(context)
    the_overview_draws_its_charts(page, screenshots)
    the_register_filters_by_status_and_jurisdiction(page, screenshots)
    the_file_shows_both_clocks_and_links_grounds_to_events(page, screenshots)
    english_is_a_toggle(page, live_server, screenshots)
    the_sanctions_and_the_worklist_render(page, live_server, screenshots)
    signing_out_ends_the_session(page, context, live_server)
    watch.check(live_server)


def the_session_cookie_is_httponly_and_strict(context: Any) -> None:
    cookie = next(c for c in context.cookies() if c["name"] == "oversight_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"


def the_overview_draws_its_charts(page: Any, screenshots: Path) -> None:
    assert page.locator("h1").inner_text() == "监管概览"
    for chart in ("chart-status", "chart-month", "chart-article", "chart-district"):
        box = chart_size(page, chart)
        assert box["width"] > 100, (chart, box)
        assert box["height"] > 100, (chart, box)
    # The bars are drawn: the by-level chart has a rectangle-like path per non-zero bar.
    assert page.locator("#chart-month svg path").count() > 3
    page.screenshot(path=str(screenshots / "01-overview-zh.png"), full_page=True)


def the_register_filters_by_status_and_jurisdiction(page: Any, screenshots: Path) -> None:
    page.click("nav >> text=机构登记册")
    page.wait_for_url("**/register")
    page.select_option("select[name=status]", "active")
    page.select_option("select[name=jurisdiction]", "hunan")
    page.click("[data-testid=register-filters] button[type=submit]")
    page.wait_for_url("**/register?*status=active*")
    rows = page.locator("[data-testid=register-table] tbody tr")
    assert rows.count() == 2
    names = rows.locator("td:first-child a").all_inner_texts()
    assert names == ["株洲时代轨道装备有限公司", "湖南湘江职业技能鉴定所"]
    for text in rows.locator("td:nth-child(4)").all_inner_texts():
        assert "备案有效" in text
    page.screenshot(path=str(screenshots / "02-register-filtered.png"), full_page=True)


def the_file_shows_both_clocks_and_links_grounds_to_events(page: Any, screenshots: Path) -> None:
    page.click("text=湖南湘江职业技能鉴定所")
    page.wait_for_url("**/institutions/*")
    timeline = page.locator("[data-testid=timeline] li")
    assert timeline.count() >= 10
    first = timeline.first
    assert first.locator(".tl-business").inner_text() == "2023-08-25"
    assert "录入时间 2026-11-23" in first.locator(".tl-recorded").inner_text()
    assert "demo.admin" in first.inner_text()
    requirement = page.locator("[data-testid=requirement]")
    assert "hunan-2023/26.1" in requirement.inner_text()
    assert "约谈" in requirement.inner_text()
    # A ground names the events behind it; following one lands on the timeline entry.
    ref = requirement.locator("a.event-ref").first
    target = ref.get_attribute("href")
    assert target is not None
    assert target.startswith("#event-")
    ref.click()
    assert page.locator(f"{target}").is_visible()
    page.screenshot(path=str(screenshots / "03-institution-file-zh.png"), full_page=True)


def english_is_a_toggle(page: Any, server: LiveServer, screenshots: Path) -> None:
    page.click("[data-testid=lang-toggle]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#timeline").inner_text() == "Timeline"
    assert "What the rules require" in page.content()
    page.screenshot(path=str(screenshots / "04-institution-file-en.png"), full_page=True)

    page.goto(server.url + "/")
    assert page.locator("h1").inner_text() == "Supervision overview"
    chart_size(page, "chart-status")
    page.screenshot(path=str(screenshots / "05-overview-en.png"), full_page=True)


def the_sanctions_and_the_worklist_render(page: Any, server: LiveServer, screenshots: Path) -> None:
    page.goto(server.url + "/sanctions?lang=zh")
    assert page.locator("[data-testid=sanctions-table] tbody tr").count() == 3
    page.screenshot(path=str(screenshots / "06-sanctions.png"), full_page=True)

    page.goto(server.url + "/worklist")
    assert page.locator("h1").inner_text() == "待办事项与期限"
    page.screenshot(path=str(screenshots / "07-worklist.png"), full_page=True)


def signing_out_ends_the_session(page: Any, context: Any, server: LiveServer) -> None:
    page.click("text=退出登录")
    page.wait_for_url("**/login?bye=1")
    assert not [c for c in context.cookies() if c["name"] == "oversight_session"]
    page.goto(server.url + "/register")
    assert "/login" in page.url


def test_a_district_regulator_sees_only_its_district(
    context: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, live_server, live_server.tokens["li.jinjiang"])
    page.goto(live_server.url + "/register")
    districts = page.locator("[data-testid=register-table] tbody td:nth-child(3)")
    assert districts.all_inner_texts() == ["锦江区"]
    page.screenshot(path=str(screenshots / "08-register-district.png"), full_page=True)
    watch.check(live_server)


def test_the_public_disclosure_needs_no_sign_in(
    context: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = context.new_page()
    watch = Watch(page)
    page.goto(live_server.url + "/public")
    assert page.url == live_server.url + "/public"
    assert page.locator("h1").inner_text() == "评价机构监管信息公示"
    entries = page.locator("[data-testid=public-entries] tbody tr")
    assert entries.count() >= 2
    text = page.locator("[data-testid=public-entries]").inner_text()
    assert "黄石市高级技工学校" in text
    assert "撤销备案" in text
    page.screenshot(path=str(screenshots / "09-public.png"), full_page=True)
    watch.check(live_server)
