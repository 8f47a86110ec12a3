"""A draft rulebook's impact in headless Chromium: paste the draft, watch the replay's
progress, read the institutions that differ and the charts, in Chinese and in English;
a malformed draft shown again with its line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.access import SYSTEM
from tests.browser.conftest import LiveServer
from tests.browser.test_dashboard import Watch, chart_size, sign_in
from tests.drafts import article_25_at_level_2, with_level

pytestmark = pytest.mark.browser


def test_a_regulator_replays_a_draft_and_reads_what_it_changes(
    context: Any, live_server: LiveServer, screenshots: Path
) -> None:
    draft = article_25_at_level_2()
    expected = live_server.app.impact.run(
        live_server.app.impact.plan(SYSTEM, draft.encode(), "draft.yaml")
    )
    assert expected.impacts, "the demo has an institution the draft changes"
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, live_server, live_server.admin_token)
    page.click("[data-testid=nav-impact]")
    page.wait_for_url("**/rulebooks/impact")
    page.fill("#draft_text", draft)
    page.click("[data-testid=impact-submit]")
    page.wait_for_url("**/rulebooks/impact/*")
    page.wait_for_selector("[data-testid=impact-done]")
    page.wait_for_selector("[data-testid=impact-institutions]")
    assert "hunan-2023/25" in page.locator("[data-testid=impact-changes]").inner_text()
    shown = set(
        page.locator("[data-testid=impact-institutions] tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.institution)"
        )
    )
    assert shown == {i.institution_id for i in expected.impacts}
    name = expected.impacts[0].name
    assert name in page.locator("[data-testid=impact-institutions]").inner_text()
    for chart in ("chart-impact-district", "chart-impact-article"):
        box = chart_size(page, chart)
        assert box["width"] > 100, (chart, box)
    by_district = page.locator("[data-testid=impact-by_district]").inner_text()
    for district, n in expected.summary.by_district.items():
        assert district in by_district
        assert str(n) in by_district
    page.screenshot(path=str(screenshots / "impact-zh.png"), full_page=True)
    page.click("[data-testid=lang-toggle]")
    page.wait_for_selector("text=Institutions that differ")
    page.screenshot(path=str(screenshots / "impact-en.png"), full_page=True)
    watch.check(live_server)


def test_a_malformed_draft_is_shown_with_its_line_and_field(
    context: Any, live_server: LiveServer
) -> None:
    bad, line = with_level("severe")
    page = context.new_page()
    sign_in(page, live_server, live_server.admin_token)
    page.goto(live_server.url + "/rulebooks/impact")
    page.fill("#draft_text", bad)
    page.click("[data-testid=impact-submit]")
    problems = page.locator("[data-testid=draft-problems] tbody tr").first
    problems.wait_for()
    assert problems.get_attribute("data-line") == str(line)
    assert (problems.get_attribute("data-field") or "").endswith(".level")
    assert page.locator("#draft_text").input_value() == bad
