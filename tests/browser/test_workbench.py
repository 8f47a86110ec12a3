"""The regulator's workbench in headless Chromium: a hunan-2023 ladder in the browser only.

The regulator approves a submitted filing from the worklist, records a finding from the
article picker, opens a case, sends the notice with what the rules require, waives the
defence for the institution, decides the interview (a lower level without a reason is
refused beside its field), serves it and holds the interview; a finding of the same
article after the interview then requires rectification with suspension, which is decided
and served. Every page loads only from this server and raises no error but the refusal's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.steps import (
    Actor,
    LadderServer,
    Shots,
    approve_filing,
    decide,
    hold_interview,
    ladder_server,
    open_case,
    record_finding,
    refused_below_requirement,
    send_notice,
    serve,
    waive_defence,
)

pytestmark = pytest.mark.browser

NAME = "长沙岳麓职业技能评价中心"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LadderServer]:
    with ladder_server(tmp_path_factory.mktemp("ladder")) as live:
        yield live


@pytest.fixture
def regulator(browser: Any, server: LadderServer, screenshots: Path) -> Iterator[Actor]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        yield Actor(context.new_page(), server, Shots(screenshots))
    finally:
        context.close()


def test_a_regulator_walks_a_hunan_ladder_in_the_browser(
    regulator: Actor, server: LadderServer
) -> None:
    iid = server.file("91430104MA4L00001", NAME, "hunan", "长沙市岳麓区", date(2026, 1, 5))
    regulator.sign_in(server.issue("wang.yuelu", "regulator", jurisdiction="hunan"))
    approve_filing(regulator, iid, NAME, "2026-01-12", shoot=True)

    record_finding(regulator, iid, "hunan-2023/25.9", "2026-02-02", shoot=True)
    open_case(regulator, iid, "2026-02-10", shoot=True)
    send_notice(regulator, iid, "2026-02-10", level=1, article="hunan-2023/25.9", shoot=True)
    waive_defence(regulator, iid, "2026-02-12", shoot=True)
    refused_below_requirement(regulator, iid, "2026-02-20", shoot=True)
    decide(regulator, iid, "2026-02-20", level=1, shoot=True)
    serve(regulator, iid, "2026-02-21", shoot=True)
    hold_interview(regulator, iid, "2026-03-02", shoot=True)

    record_finding(regulator, iid, "hunan-2023/25.3", "2026-04-01")
    open_case(regulator, iid, "2026-04-10")
    send_notice(regulator, iid, "2026-04-10", level=2, article="hunan-2023/26.1")
    waive_defence(regulator, iid, "2026-04-11")
    decide(regulator, iid, "2026-04-20", level=2, rectification_days=30)
    serve(regulator, iid, "2026-04-21")
    regulator.timeline_has("RectificationOrdered")
    regulator.open_file(iid)
    assert "暂停评价" in regulator.page.locator(".page-head").inner_text(), "evaluation suspended"
    decisions = regulator.page.locator("section[aria-labelledby=decisions]").inner_text()
    assert "整改中" in decisions, "the rectification is ordered, awaiting the report"
    regulator.shots.take(regulator.page, "workbench-file-after-ladder")
    assert regulator.errors == []
