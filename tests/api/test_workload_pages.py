"""The supervisor workload and rotation page and the read models' status page, through the
production app on both backends: per-supervisor counts, the rotation counters against
zhengzhou-2014/19, filters, CSV, scope, and each read model's lag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from tests.api.conftest import Api, code
from tests.api.supervision import ASSIGNMENTS, VISITS, assign, institution, supervisor, token_for
from tests.api.test_pages import browser_for, rows_of
from tests.api.test_review_pages import section


@dataclass
class Supervision:
    api: Api
    #: Two institutions in 长沙市, one in 株洲市.
    changsha: str
    second: str
    zhuzhou: str
    #: Sent to 湖南第1职业技能评价中心 three times in a row.
    zhang: str


@pytest.fixture
def supervision(api: Api) -> Supervision:
    api.clock.set("2024-06-01")
    changsha, second = institution(api, 1), institution(api, 2)
    zhuzhou = institution(api, 3, district="株洲市")
    zhang = supervisor(api, "HN-0101", subject="zhang.dd")
    li = supervisor(api, "HN-0102")
    wang = supervisor(api, "HN-0103")
    for day in ("2024-03-01", "2024-04-01", "2024-05-01"):  # three in a row at one place
        assert assign(api, changsha, [zhang], on=day).status_code == 201
    visited = assign(api, second, [zhang, li], on="2024-05-10").json()["id"]
    assign(api, zhuzhou, [wang], on="2024-05-20")
    withdrawn = assign(api, zhuzhou, [li], on="2024-05-21").json()["id"]
    reason = {"reason": "误派", "occurred_on": "2024-05-22"}
    assert api.post(f"{ASSIGNMENTS}/{withdrawn}/withdrawal", reason).status_code == 200
    record = {
        "assignment_id": visited,
        "mode": "on_site",
        "supervisors": [zhang],
        "sessions": [],
        "checked": ["档案资料"],
        "findings": [
            {
                "rule_id": "hunan-2023/25.9",
                "severity": "minor",
                "occurred_on": "2024-05-10",
                "facts": "档案缺少考评记录",
            }
        ],
        "summary": "现场督导",
        "occurred_on": "2024-05-12",
    }
    zhang_token = token_for(api, "supervisor", "zhang.dd", jurisdiction="hunan")
    assert api.post(VISITS, record, zhang_token).status_code == 201
    api.catch_up()
    return Supervision(api, changsha, second, zhuzhou, zhang)


def cells(page: str, testid: str) -> list[list[str]]:
    """The rows of a table on the page, each cell's text without its tags."""
    table = page[page.index(f'data-testid="{testid}"') :]
    table = table[: table.index("</table>")]
    body = table[table.index("<tbody>") :]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


def test_each_supervisors_assignments_visits_and_open_assignments(supervision: Supervision) -> None:
    client = browser_for(supervision.api, supervision.api.admin)
    page = client.get("/workload")
    assert page.status_code == 200
    assert "<h1>督导员工作量与轮换</h1>" in page.text
    rows = {r[1]: r for r in cells(page.text, "workload-table")}
    # name, card, place, assignments, special, without a record, visits, withdrawn, last
    assert rows["HN-0101"][3:] == ["4", "0", "3", "1", "0", "2024-05-10"]
    assert rows["HN-0102"][3:] == ["1", "0", "0", "1", "1", "2024-05-10"]
    assert rows["HN-0103"][3:] == ["1", "0", "1", "0", "0", "2024-05-20"]
    assert list(rows) == ["HN-0101", "HN-0102", "HN-0103"]  # most assignments first
    since = client.get("/workload", params={"since": "2024-05-01"})
    assert {r[1]: r[3] for r in cells(since.text, "workload-table")}["HN-0101"] == "2"
    csv = rows_of(client.get("/workload", params={"format": "csv"}))
    assert csv[0][:5] == ["督导员", "证件编号", "辖区", "区县", "派遣次数"]
    assert [r[1] for r in csv[1:]] == ["HN-0101", "HN-0102", "HN-0103"]
    assert client.get("/workload", params={"since": "May"}).status_code == 422


def test_rotation_counters_stand_against_the_rule(supervision: Supervision) -> None:
    client = browser_for(supervision.api, supervision.api.admin)
    page = client.get("/workload").text
    rotation = section(page, "rotation")
    assert "依 zhengzhou-2014/19，同一督导员连续督导同一机构不得超过 3 次（湖南省）。" in rotation
    rows = cells(page, "rotation-table")
    # institution, supervisor, card, in a row, limit, left, flag
    assert rows[0][:6] == ["湖南第1职业技能评价中心", "督导员HN-0101", "HN-0101", "3", "3", "0"]
    assert "已达上限：下次派遣将被拒绝" in rows[0][6]
    assert all(r[5] != "0" for r in rows[1:])
    # The domain agrees: a fourth assignment in a row is refused with the same article.
    refused = assign(supervision.api, supervision.changsha, [supervision.zhang])
    assert refused.status_code == 422
    assert "zhengzhou-2014/19" in refused.json()["articles"]
    csv = rows_of(client.get("/workload", params={"format": "csv", "table": "rotation"}))
    assert csv[0] == ["机构", "辖区", "督导员", "证件编号", "连续次数", "上限", "还可连续", "条款"]
    assert csv[1][4:] == ["3", "3", "0", "zhengzhou-2014/19"]
    english = client.get("/workload", params={"lang": "en"}).text
    assert "At the limit: the next one is refused" in english


def test_a_visit_finding_says_it_was_found_on_a_supervision_visit(supervision: Supervision) -> None:
    api = supervision.api
    page = browser_for(api, api.admin).get(f"/institutions/{supervision.second}").text
    assert "晚 22 天录入：督导检查中发现的行为" in page  # conduct on 05-10, recorded 06-01


def test_a_district_regulator_sees_only_its_districts_supervisors(supervision: Supervision) -> None:
    api = supervision.api
    api.post(
        "/api/v1/supervisors",
        {
            "jurisdiction": "hunan",
            "district": "株洲市",
            "kind": "external",
            "name": "督导员ZZ-1",
            "subject": "sup.zz1",
            "card_number": "ZZ-0001",
            "occurred_on": "2024-05-01",
        },
    )
    api.catch_up()
    zhuzhou = browser_for(api, api.token("regulator", jurisdiction="hunan", district="株洲市"))
    page = zhuzhou.get("/workload").text
    assert [r[1] for r in cells(page, "workload-table")] == ["ZZ-0001"]
    assert [r[0] for r in cells(page, "rotation-table")] == ["湖南第3职业技能评价中心"]
    wider = zhuzhou.get("/workload", params={"district": "长沙市"}).text
    assert 'data-testid="workload-table"' not in wider  # another district matches nothing
    csv = rows_of(zhuzhou.get("/workload", params={"format": "csv"}))
    assert [r[1] for r in csv[1:]] == ["ZZ-0001"]
    chengdu = browser_for(api, api.token("regulator", jurisdiction="chengdu"))
    assert 'data-testid="workload-table"' not in chengdu.get("/workload").text
    own = browser_for(api, api.token("institution", institution=supervision.changsha))
    assert own.get("/workload").status_code == 403
    assert "/workload" not in own.get(f"/institutions/{supervision.changsha}").text


# --- the read models' status ---------------------------------------------------------------


def test_the_status_page_shows_each_read_models_lag(api: Api) -> None:
    api.approved("2024-03-15")
    api.catch_up()
    client = browser_for(api, api.admin)
    head = api.app.store.recorder.max_notification_id()
    page = client.get("/status").text
    assert "<h1>读模型投影状态</h1>" in page
    assert f'data-testid="store-position">#{head}<' in page
    rows = {r[0]: r for r in cells(page, "status-table")}
    names = set(api.client.app.state.projections)  # type: ignore[attr-defined]
    assert set(rows) == names
    for row in rows.values():
        assert row[1:4] == [str(head), str(head), "0"]
        assert row[4] == "2024-03-20 10:00:00"  # when the last event applied was recorded
        assert row[5] == "已是最新"
    assert "本进程未运行内置工作线程" in page
    # A filing recorded but not yet read: every read model lags by what it added.
    api.submit(credit_code=code(2))
    behind = api.app.store.recorder.max_notification_id()
    assert behind is not None
    assert head is not None
    assert behind > head
    lagging = {r[0]: r for r in cells(client.get("/status").text, "status-table")}
    assert lagging["register"][3] == str(behind - head)
    assert lagging["register"][5] == f"滞后 {behind - head}"
    csv = rows_of(client.get("/status", params={"format": "csv"}))
    assert csv[0] == ["读模型", "已读至", "最新序号", "滞后", "最后读入事件的录入时间"]
    assert {r[0]: r[3] for r in csv[1:]}["register"] == str(behind - head)
    # The readiness probe reads the same numbers.
    ready = {p["name"]: p["lag"] for p in api.client.get("/readyz").json()["projections"]}
    assert ready["register"] == behind - head


def test_the_status_page_names_the_embedded_workers(api: Api, settings: Settings) -> None:
    embedded = settings.model_copy(update={"embedded_workers": True})
    application = build_application(embedded, clock=api.clock)
    with TestClient(web_service(embedded, application)) as client:
        secret = "status-admin-token"
        application.access.issue_token(secret, subject="admin.status", role="admin")
        client.cookies.set("oversight_session", secret)
        page = client.get("/status", params={"lang": "en"}).text
    assert "<h1>Read-model projection status</h1>" in page
    workers = page[page.index('data-testid="workers"') :][:600]
    assert "projections · running" in workers
    assert "deadlines · running" in workers
