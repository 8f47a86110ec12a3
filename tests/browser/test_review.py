"""The appeal reviewer's pages in headless Chromium: the institution's file redrawn with the
as-of picker, a decision's explanation expanded, the credit rating's chart drawn on a
canvas, the timeline's order toggle; the supervisor workload and the read models' status.

Screenshots of each page, in Chinese and in English, go to ``test-artifacts/screenshots/``
(the copies in ``docs/screens/`` are taken from there).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.access import Principal
from domain.application import Context
from domain.creditcode import make_credit_code
from domain.institution import institution_id
from domain.rulebook import default_catalogue
from tests.browser.conftest import LiveServer
from tests.browser.test_dashboard import Watch, sign_in

#: The version of hunan-2023 in force, which the demo decisions cite.
HUNAN_IN_FORCE = default_catalogue().get("hunan-2023").version

pytestmark = pytest.mark.browser

XIANGJIANG = institution_id("hunan", make_credit_code("52430104MJJ123456"))
ZHUZHOU = institution_id("hunan", make_credit_code("91430204MA4L7K2P3"))


@pytest.fixture(scope="module")
def supervised(live_server: LiveServer) -> LiveServer:
    """Three Hunan supervisors: one sent to 湖南湘江 three times in a row, one to 株洲."""
    app = live_server.app
    ctx = Context(Principal("browser.admin", "admin"), request_id="browser-test")

    def certified(card: str, name: str) -> UUID:
        sid = app.supervision.certify_supervisor(
            ctx,
            jurisdiction="hunan",
            district=None,
            kind="external",
            institution=None,
            name=name,
            subject=f"sup.{card.lower()}",
            card_number=card,
            on=date(2026, 1, 5),
        )["supervisor_id"]
        app.supervision.appoint_supervisor(ctx, UUID(sid), date(2026, 1, 5))
        return UUID(sid)

    def sent(institution: UUID, supervisors: list[UUID], on: date) -> None:
        app.supervision.assign_supervision(
            ctx,
            institution=institution,
            kind="daily",
            supervisors=supervisors,
            starts_on=on,
            sessions=[],
            matters=["考务管理"],
            on=on,
        )

    zhang, li = certified("HN-2001", "张督导"), certified("HN-2002", "李督导")
    certified("HN-2003", "王督导")
    for month in (9, 10, 11):
        sent(XIANGJIANG, [zhang], date(2026, month, 2))
    sent(ZHUZHOU, [li], date(2026, 11, 3))
    live_server.projections.catch_up()
    return live_server


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"))


def test_the_reviewer_redraws_a_file_expands_an_explanation_and_sees_the_rating(
    context: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, live_server, live_server.admin_token)
    page.goto(f"{live_server.url}/institutions/{XIANGJIANG}")
    the_chain_and_the_rating_chart_are_shown(page, screenshots)
    an_explanation_expands_with_its_rulebook(page, screenshots)
    the_timeline_reorders_by_business_date(page)
    the_as_of_picker_redraws_the_page(page, screenshots)
    the_pages_read_in_english(page, live_server, screenshots)
    watch.check(live_server)


def the_chain_and_the_rating_chart_are_shown(page: Any, screenshots: Path) -> None:
    assert "✓ 哈希链已核验" in page.locator("[data-testid=chain]").inner_text()
    page.wait_for_selector("#chart-rating[data-chart-ready=true] canvas", state="attached")
    box = page.locator("#chart-rating canvas").first.bounding_box()
    assert box["width"] > 200
    assert box["height"] > 100
    assert page.locator("[data-testid=documents-link]").get_attribute("href") == (
        f"/institutions/{XIANGJIANG}/documents"
    )
    shot(page, screenshots, "institution-review-zh")
    page.locator("[data-testid=rating]").screenshot(path=str(screenshots / "credit-rating-zh.png"))


def an_explanation_expands_with_its_rulebook(page: Any, screenshots: Path) -> None:
    explain = page.locator("details.explain").first
    body = explain.locator("[data-testid=explain-body]")
    assert not body.is_visible()
    explain.locator("summary").first.click()
    assert body.is_visible()
    rulebook = explain.locator("[data-testid=explain-rulebook]").inner_text()
    assert rulebook.startswith(f"hunan-2023 · v{HUNAN_IN_FORCE} · ")
    assert len(rulebook.rsplit(" · ", 1)[1]) == 64  # the rulebook file's SHA-256
    assert "hunan-2023/25.9" in explain.locator("[data-testid=explain-then]").inner_text()
    explain.scroll_into_view_if_needed()
    shot(page, screenshots, "decision-expanded-zh")


def the_timeline_reorders_by_business_date(page: Any) -> None:
    page.click("[data-testid=order-toggle] >> text=按业务日期")
    page.wait_for_url("**order=business*")
    dates = page.locator("[data-testid=timeline] .tl-business").all_inner_texts()
    assert dates == sorted(dates)
    numbers = page.locator("[data-testid=timeline] .tl-no").all_inner_texts()
    assert numbers != sorted(numbers, key=lambda n: int(n.lstrip("#")))  # not recording order
    page.click("[data-testid=order-toggle] >> text=按录入顺序")
    page.wait_for_load_state()


def the_as_of_picker_redraws_the_page(page: Any, screenshots: Path) -> None:
    before = page.locator("[data-testid=timeline] li").count()
    page.fill("[data-testid=point-picker] input[name=as_of]", "2025-06-01")
    page.click("[data-testid=point-picker] button[type=submit]")
    page.wait_for_url("**as_of=2025-06-01*")
    page.evaluate("window.scrollTo(0, 0)")
    assert "业务日期截至 2025-06-01" in page.locator("[data-testid=then-banner]").inner_text()
    after = page.locator("[data-testid=timeline] li").count()
    assert 0 < after < before
    dates = page.locator("[data-testid=timeline] .tl-business").all_inner_texts()
    assert max(dates) <= "2025-06-01"
    requirement = page.locator("[data-testid=requirement]").inner_text()
    assert "截至该日期没有待处理的违规事实" in requirement
    page.wait_for_selector("#chart-rating[data-chart-ready=true] canvas", state="attached")
    shot(page, screenshots, "institution-as-of-zh")
    page.click("text=回到现在")
    page.wait_for_load_state()
    assert page.locator("[data-testid=timeline] li").count() == before


def the_pages_read_in_english(page: Any, server: LiveServer, screenshots: Path) -> None:
    page.goto(f"{server.url}/institutions/{XIANGJIANG}?lang=en")
    assert "Hash chain verified" in page.locator("[data-testid=chain]").inner_text()
    page.wait_for_selector("#chart-rating[data-chart-ready=true] canvas", state="attached")
    shot(page, screenshots, "institution-review-en")
    page.locator("[data-testid=rating]").screenshot(path=str(screenshots / "credit-rating-en.png"))
    decision = page.locator("details.explain").first.get_attribute("id").removeprefix("explain-")
    page.goto(f"{server.url}/institutions/{XIANGJIANG}/decisions/{decision}")
    assert page.locator("h1").inner_text() == f"Decision {decision} explained"
    shot(page, screenshots, "decision-page-en")
    page.goto(f"{server.url}/institutions/{XIANGJIANG}/decisions/{decision}?lang=zh")
    assert page.locator("h1").inner_text() == f"决定 {decision} 复核说明"
    cited = page.locator("[data-testid=explain-rulebook]").inner_text()
    assert f"hunan-2023 · v{HUNAN_IN_FORCE} · " in cited
    shot(page, screenshots, "decision-page-zh")


def test_the_workload_and_the_status_pages(
    context: Any, supervised: LiveServer, screenshots: Path
) -> None:
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, supervised, supervised.admin_token)
    page.click("nav >> text=督导工作量")
    page.wait_for_url("**/workload")
    assert page.locator("h1").inner_text() == "督导员工作量与轮换"
    cards = page.locator("[data-testid=workload-table] tbody td:nth-child(2)").all_inner_texts()
    assert cards[0] == "HN-2001"  # most assignments first
    first = page.locator("[data-testid=rotation-table] tbody tr").first
    assert "湖南湘江职业技能鉴定所" in first.inner_text()
    assert "已达上限" in first.inner_text()
    shot(page, screenshots, "workload-zh")
    page.goto(supervised.url + "/workload?lang=en")
    assert "At the limit" in page.locator("[data-testid=rotation-table]").inner_text()
    shot(page, screenshots, "workload-en")

    page.click("nav >> text=Projections")
    page.wait_for_url("**/status")
    rows = page.locator("[data-testid=status-table] tbody tr")
    assert rows.count() == len(supervised.projections)
    for lag in page.locator("[data-testid=status-table] tbody td:nth-child(4)").all_inner_texts():
        assert lag == "0"
    shot(page, screenshots, "status-en")
    page.goto(supervised.url + "/status?lang=zh")
    assert page.locator("h1").inner_text() == "读模型投影状态"
    shot(page, screenshots, "status-zh")
    watch.check(supervised)
