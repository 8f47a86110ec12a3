"""The institution's file as an appeal reviewer reads it, through the production app on both
backends: both clocks and the order toggle, why an event was recorded late, the hash chain
(and a break after a row is altered in PostgreSQL), each decision explained, the credit
rating's history as chart data, and the as-of / known-at picker redrawing all of it.

The history is recorded through the HTTP API with the clock moved between steps, so the
recording instants tell the story: an interview (Hunan 25.9), the same breach again after
it (26.1 requires a rectification), a late-found breach, and the interview annulled on
appeal, which changes what the second decision would require now.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from config.settings import Settings
from tests.api.conftest import Api, code
from tests.api.ladder import Ladder
from tests.api.test_pages import browser_for, rows_of

#: Recorded after the second decision, before the annulment (10:00 Beijing on 2024-07-01).
BEFORE_ANNULMENT = "2024-07-01T10:00:00"


@dataclass
class History:
    api: Api
    iid: str
    first: str
    second: str
    late_finding: str

    @property
    def path(self) -> str:
        return f"/institutions/{self.iid}"

    def client(self) -> TestClient:
        """A browser signed in as the administrator."""
        return browser_for(self.api, self.api.admin)

    def page(self, headers: dict[str, str] | None = None, **params: str) -> str:
        response = browser_for(self.api, headers or self.api.admin).get(self.path, params=params)
        assert response.status_code == 200, response.text[:800]
        return str(response.text)

    def versions(self, event_type: str) -> list[int]:
        events = self.api.get(f"/api/v1/institutions/{self.iid}/events").json()
        return [e["version"] for e in events if e["type"] == event_type]


def recorded(api: Api, day: str) -> None:
    """What follows is recorded at 10:00 Beijing time on ``day``."""
    api.clock.set(day)


@pytest.fixture
def history(api: Api) -> History:
    recorded(api, "2024-03-15")
    iid = api.approved(
        "2024-03-15", credit_code=code(7, "430104"), jurisdiction="hunan", district="长沙市岳麓区"
    )["id"]
    ladder = Ladder(api, iid)
    recorded(api, "2024-04-26")
    found = ladder.finding("hunan-2023/25.9", "2024-04-01")  # found 25 days on
    first = ladder.case([found], "2024-04-10", decide_on="2024-04-25")
    ladder.interview(first, "2024-04-26")
    recorded(api, "2024-06-01")
    again = ladder.finding("hunan-2023/25.9", "2024-06-01")  # again after the interview
    second = ladder.case([again], "2024-06-01", decide_on="2024-06-01")
    recorded(api, "2024-08-01")
    late = ladder.finding("hunan-2023/25.9", "2024-05-15")
    ladder.annul(first, "2024-08-01")
    api.catch_up()
    return History(api, iid, first, second, late)


def section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</section>", start)]


def timeline_versions(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'<li class="tl-item" id="event-(\d+)">', page)]


def explained(page: str, decision_id: str) -> str:
    """The explanation of ``decision_id`` on the file page."""
    start = page.index(f'data-testid="explain-{decision_id}"')
    return page[start : page.index("单独页面查看", start)]


def chart_spec(page: str, chart_id: str) -> dict[str, Any]:
    found = re.search(rf'id="{chart_id}" data-chart="([^"]+)"', page)
    assert found, f"no {chart_id} on the page"
    spec: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return spec


# --- the timeline ------------------------------------------------------------------------


def test_the_timeline_orders_by_recording_or_by_business_date(history: History) -> None:
    recording = timeline_versions(history.page())
    assert recording == sorted(recording)
    events = history.api.get(f"/api/v1/institutions/{history.iid}/events").json()
    assert len(recording) == len(events)
    by_business = timeline_versions(history.page(order="business"))
    expected = [
        e["version"] for e in sorted(events, key=lambda e: (e["occurred_on"], e["version"]))
    ]
    assert by_business == expected
    assert by_business != recording  # the late finding moves ahead of the second case
    late = history.versions("FindingRecorded")[-1]
    assert by_business.index(late) < by_business.index(history.versions("CaseOpened")[-1])
    page = history.page(order="business")
    assert 'aria-current="true">按业务日期</a>' in page
    csv = rows_of(history.client().get(history.path, params={"format": "csv", "order": "business"}))
    assert [int(r[0]) for r in csv[1:]] == expected
    assert history.client().get(history.path, params={"order": "sideways"}).status_code == 422


def test_a_late_event_says_why_from_what_it_records(history: History) -> None:
    page = history.page()
    first_finding = history.versions("FindingRecorded")[0]
    item = page[page.index(f'id="event-{first_finding}"') :]
    item = item[: item.index("</li>")]
    assert "晚 25 天录入：事后检查中发现的行为" in item  # its source: an inspection
    assert "<strong>记录违规事实</strong>" in item
    assert "demo" not in item
    on_time = history.versions("CaseDecided")[0]
    decided = page[page.index(f'id="event-{on_time}"') :]
    assert 'data-testid="late-reason"' not in decided[: decided.index("</li>")]
    english = history.page(lang="en")
    assert "recorded 25 days later: conduct found later, on an inspection" in english
    csv = rows_of(history.client().get(history.path, params={"format": "csv"}))
    assert csv[0][-1] == "晚录原因"
    # Each late event says why by its kind; the case's first steps were entered later.
    assert {(r[1], r[-1]) for r in csv[1:] if r[-1]} == {
        ("提交备案申请", "事后补录"),  # submitted on 2024-03-01, entered with the approval
        ("记录违规事实", "事后检查中发现的行为"),
        ("立案", "事后补录"),
        ("告知拟处理决定", "事后补录"),
        ("提交陈述申辩", "收到书面陈述申辩后录入"),
    }


# --- the requirement, the chain, the explanations -----------------------------------------


def test_each_ground_links_to_the_events_behind_it(history: History) -> None:
    page = history.page()
    requirement = section(page, "requirement")
    assert "hunan-2023/25.9" in requirement
    anchors = [
        int(v) for v in re.findall(r'class="chip event-ref" href="#event-(\d+)"', requirement)
    ]
    assert anchors
    shown = set(timeline_versions(page))
    assert set(anchors) <= shown


def test_the_chain_is_verified_and_the_documents_are_linked(history: History) -> None:
    page = history.page()
    count = len(history.api.get(f"/api/v1/institutions/{history.iid}/events").json())
    assert f"✓ 哈希链已核验：{count} 条事件完整" in page
    assert f'href="/institutions/{history.iid}/documents"' in page
    documents = history.client().get(f"{history.path}/documents")
    assert documents.status_code == 200


def test_each_decision_is_explained_with_its_rulebook_and_whether_it_would_differ(
    history: History,
) -> None:
    api = history.api
    stored = api.get(f"/api/v1/institutions/{history.iid}/decisions/{history.second}/explain")
    rulebook = stored.json()["rulebook"]
    assert stored.json()["would_differ"] is True  # the interview it rested on was annulled
    second = explained(history.page(), history.second)
    assert f"{rulebook['id']} · v{rulebook['version']} · " in second
    assert rulebook["hash"] in second
    assert "hunan-2023/26.1" in second  # required then: again after an interview
    assert "重算会得出不同的要求" in second
    own = browser_for(api, api.admin).get(f"{history.path}/decisions/{history.second}")
    assert own.status_code == 200
    assert f"<h1>决定 {history.second} 复核说明</h1>" in own.text
    assert rulebook["hash"] in own.text
    for why in stored.json()["why_zh"]:
        assert why in own.text
    assert f'href="{history.path}#event-' in own.text  # the known events link to the file
    english = browser_for(api, api.admin).get(
        f"{history.path}/decisions/{history.second}", params={"lang": "en"}
    )
    assert "The requirement would differ" in english.text
    assert "was annulled on appeal" in english.text
    unknown = browser_for(api, api.admin).get(f"{history.path}/decisions/D-999")
    assert unknown.status_code == 404


def test_the_credit_rating_history_is_chart_data_and_a_table(history: History) -> None:
    page = history.page()
    spec = chart_spec(page, "chart-rating")
    assert spec["kind"] == "step"
    assert spec["renderer"] == "canvas"
    assert spec["levels"] == ["已取消等级", "D", "C", "B", "A"]
    # The interview was annulled, so only the rectification lowers the grade (A → C).
    assert spec["points"] == [["2024-03-15", "A"], ["2024-06-01", "C"], ["2024-08-01", "C"]]
    rating = section(page, "rating")
    assert "2024-08-01 的等级" in rating
    assert '<strong class="grade">C</strong>' in rating
    csv = rows_of(history.client().get(history.path, params={"format": "csv", "table": "rating"}))
    assert csv[0] == ["日期", "变化", "变化前", "变化后", "原因", "决定", "事件"]
    assert [r[:4] for r in csv[1:]] == [
        ["2024-03-15", "初始评定", "", "A"],
        ["2024-06-01", "降级", "A", "C"],
    ]
    assert csv[2][5] == history.second


# --- the point in time -------------------------------------------------------------------


def test_known_at_redraws_every_part_as_the_store_knew_it(history: History) -> None:
    now = history.page()
    then = history.page(known_at=BEFORE_ANNULMENT)
    assert "本页显示档案在过去某一时点的样子" in then
    assert "系统截至 2024-07-01 10:00:00 所知" in then
    known = history.api.get(f"/api/v1/institutions/{history.iid}/events").json()
    instant = datetime(2024, 7, 1, 2, tzinfo=UTC)
    before = [e["version"] for e in known if datetime.fromisoformat(e["recorded_at"]) <= instant]
    assert timeline_versions(then) == before
    assert len(before) < len(timeline_versions(now))
    assert f"✓ 哈希链已核验：{len(before)} 条事件完整" in then
    assert "核验截至 2024-07-01 10:00:00 已录入的事件" in then
    # Before the annulment the interview still lowered the rating: A → B → D.
    assert chart_spec(then, "chart-rating")["points"] == [
        ["2024-03-15", "A"],
        ["2024-04-25", "B"],
        ["2024-06-01", "D"],
        ["2024-08-01", "D"],
    ]
    # The explanation follows the same point: nothing had been annulled yet.
    assert "重算得出同样的要求" in explained(then, history.second)
    link = (
        f"/institutions/{history.iid}/decisions/{history.second}?known_at=2024-07-01T10%3A00%3A00"
    )
    assert f'href="{link}"' in then
    own = history.client().get(link)
    assert "重算得出同样的要求" in own.text
    assert "重算会得出不同的要求" not in own.text
    # The late-found breach was not known yet, so it is nowhere on the page.
    assert history.late_finding not in then


def test_as_of_redraws_the_file_as_it_stood_on_a_business_date(history: History) -> None:
    then = history.page(as_of="2024-05-01")
    assert "业务日期截至 2024-05-01" in then
    events = history.api.get(f"/api/v1/institutions/{history.iid}/events").json()
    dated = [e["version"] for e in events if e["occurred_on"] <= "2024-05-01"]
    assert timeline_versions(then) == dated
    assert f'id="explain-{history.first}"' in then
    assert f'id="explain-{history.second}"' not in then  # decided on 2024-06-01
    assert chart_spec(then, "chart-rating")["points"] == [
        ["2024-03-15", "A"],
        ["2024-04-25", "B"],
        ["2024-05-01", "B"],
    ]
    assert "截至该日期没有待处理的违规事实" in section(then, "requirement")
    assert 'value="2024-05-01"' in then  # the picker shows the point
    both = history.page(as_of="2024-05-01", known_at="2024-04-01T00:00")
    assert timeline_versions(both) == [
        e["version"]
        for e in events
        if e["occurred_on"] <= "2024-05-01"
        and datetime.fromisoformat(e["recorded_at"]) <= datetime(2024, 3, 31, 16, tzinfo=UTC)
    ]


def test_a_point_before_the_file_existed_or_malformed_is_refused(history: History) -> None:
    client = history.client()
    assert client.get(history.path, params={"known_at": "2024-01-01T00:00"}).status_code == 404
    assert client.get(history.path, params={"known_at": "yesterday"}).status_code == 422
    assert client.get(history.path, params={"as_of": "2024-13-01"}).status_code == 422


# --- the hash chain after tampering ------------------------------------------------------


def alter(settings: Settings, iid: str, version: int, old: str, new: str) -> None:
    """Alter a stored event in PostgreSQL behind the ledger's back: ``old`` becomes ``new``."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        table = sql.Identifier(settings.database_schema, "oversight_events")
        where = sql.SQL("WHERE originator_id=%s AND originator_version=%s")
        select = sql.SQL("SELECT state FROM {} ").format(table) + where
        row = conn.execute(select, (UUID(iid), version)).fetchone()
        assert row is not None
        forged = bytes(row[0]).replace(old.encode(), new.encode())
        assert forged != bytes(row[0])
        update = sql.SQL("UPDATE {} SET state=%s ").format(table) + where
        conn.execute(update, (forged, UUID(iid), version))


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_an_altered_row_breaks_the_chain_and_the_page_names_where(
    history: History, settings: Settings
) -> None:
    version = history.versions("NoticeIssued")[-1]  # recorded on 2024-06-01
    alter(settings, history.iid, version, "查明的事实", "另一事实")
    page = history.page()
    chain = page[page.index('data-testid="chain"') :][:600]
    assert f'✗ <a href="#event-{version}">哈希链在第 {version} 条事件处断开</a>' in chain
    assert "内容与其记录的哈希不符" in chain
    assert "content does not match its chain_hash" in history.page(lang="en")
    # As the store stood before that event was recorded, the chain held.
    earlier = history.page(known_at="2024-05-01T00:00")
    assert "✓ 哈希链已核验" in earlier


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_after_a_verification_the_events_recorded_since_are_still_checked(
    history: History, settings: Settings
) -> None:
    assert "✓ 哈希链已核验" in history.page()  # the chain held: this process keeps the prefix
    verified = len(history.api.get(f"/api/v1/institutions/{history.iid}/events").json())
    recorded(history.api, "2024-08-01")
    Ladder(history.api, history.iid).finding("hunan-2023/25.9", "2024-08-01")
    later = history.versions("FindingRecorded")[-1]
    assert later > verified
    alter(settings, history.iid, later, "observed on 2024-08-01", "observed on 2024-08-02")
    page = history.page()
    chain = page[page.index('data-testid="chain"') :][:600]
    assert f"哈希链在第 {later} 条事件处断开" in chain
    # An event of the verified prefix altered afterwards: the page checks from its prefix on
    # and still names the later break; the full check (the integrity read) names this one.
    earlier = history.versions("NoticeIssued")[-1]
    assert earlier <= verified
    alter(settings, history.iid, earlier, "查明的事实", "另一事实")
    assert f"哈希链在第 {later} 条事件处断开" in history.page()
    integrity = history.api.get(f"/api/v1/institutions/{history.iid}/integrity").json()
    assert integrity["intact"] is False
    assert integrity["first_break_at"] == earlier


# --- who may read it ---------------------------------------------------------------------


def test_an_institution_reads_only_its_own_file_and_decisions(history: History) -> None:
    api = history.api
    other = api.approved(
        "2024-03-15", credit_code=code(8, "430104"), jurisdiction="hunan", district="长沙市岳麓区"
    )["id"]
    own = browser_for(api, api.token("institution", institution=UUID(history.iid)))
    assert own.get(history.path).status_code == 200
    assert own.get(f"{history.path}/decisions/{history.first}").status_code == 200
    assert own.get(f"/institutions/{other}").status_code == 404  # as if it did not exist
    assert (
        own.get(f"/institutions/{other}", params={"known_at": BEFORE_ANNULMENT}).status_code == 404
    )
    assert own.get(f"/institutions/{other}/decisions/{history.first}").status_code == 404
    reviewer = browser_for(api, api.token("reviewer", jurisdiction="hunan"))
    assert reviewer.get(f"{history.path}/decisions/{history.second}").status_code == 200
    chengdu = browser_for(api, api.token("regulator", jurisdiction="chengdu"))
    assert chengdu.get(history.path).status_code == 403
    assert chengdu.get(f"{history.path}/decisions/{history.second}").status_code == 403
