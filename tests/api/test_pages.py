"""The dashboard pages without a browser: sign-in, scope, language, CSV, /public, /metrics.

The demo data is loaded through the application's commands (the same histories ``make run``
shows), the read models are caught up, and the pages are read through the production app.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.i18n import EVENT, LABELS, Translator
from api.routes.pages import TEMPLATES_DIR
from bootstrap import build_application
from bootstrap.demo import DEMO, load_demo
from bootstrap.service import web_service
from config.settings import Settings
from domain import events as ev
from domain.creditcode import make_credit_code
from domain.institution import institution_id
from tests.api.conftest import Api

SESSION = "oversight_session"


@pytest.fixture
def demo(api: Api) -> Iterator[Api]:
    """The API with the demo histories loaded and every read model caught up."""
    api.clock.set("2026-11-23")
    load_demo(api.app)
    api.catch_up()
    return api


def iid(name: str) -> UUID:
    d = next(d for d in DEMO if d.name == name)
    return institution_id(d.jurisdiction, make_credit_code(d.prefix))


def secret_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def browser_for(api: Api, headers: dict[str, str] | None = None) -> TestClient:
    """A fresh client (its own cookie jar) on the same app, signed in with ``headers``."""
    client = TestClient(api.client.app)
    if headers is not None:
        response = client.post("/login", data={"token": secret_of(headers)}, follow_redirects=False)
        assert response.status_code == 303, response.text
    return client


def rows_of(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    raw: bytes = response.content
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


# --- sign-in ---------------------------------------------------------------------------


def test_pages_need_sign_in_and_the_cookie_is_httponly_and_strict(demo: Api) -> None:
    client = browser_for(demo)
    response = client.get("/register?status=active", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fregister%3Fstatus%3Dactive"

    form = client.get("/login")
    assert form.status_code == 200
    assert 'name="token"' in form.text
    response = client.post(
        "/login",
        data={"token": secret_of(demo.admin), "next": "/register?status=active"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/register?status=active"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION}={secret_of(demo.admin)};")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    page = client.get("/register?status=active")
    assert page.status_code == 200
    assert "评价机构登记册" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_an_unknown_token_is_refused_and_sets_no_cookie(demo: Api) -> None:
    client = browser_for(demo)
    response = client.post("/login", data={"token": "not-a-token"}, follow_redirects=False)
    assert response.status_code == 401
    assert "令牌无效或已吊销" in response.text
    assert "set-cookie" not in response.headers
    assert client.post("/login", data={"token": ""}).status_code == 422


def test_a_cookie_naming_a_revoked_token_is_dropped(demo: Api) -> None:
    client = TestClient(demo.client.app)
    client.cookies.set(SESSION, "revoked-or-never-issued")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert f'{SESSION}=""' in response.headers["set-cookie"]


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "x"])
def test_after_sign_in_only_a_path_on_this_site_is_followed(demo: Api, target: str) -> None:
    client = browser_for(demo)
    response = client.post(
        "/login", data={"token": secret_of(demo.admin), "next": target}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_a_sign_in_posted_from_another_site_is_refused(demo: Api) -> None:
    client = browser_for(demo)
    response = client.post(
        "/login",
        data={"token": secret_of(demo.admin)},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_logout_clears_the_cookie(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?bye=1"
    assert f'{SESSION}=""' in response.headers["set-cookie"]
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_api_still_wants_the_bearer_header_when_the_cookie_is_set(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    assert client.get("/").status_code == 200
    response = client.get("/api/v1/institutions")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_script_exports_csv_with_a_bearer_token_and_its_scope(demo: Api) -> None:
    script = TestClient(demo.client.app)  # no cookie: only the header
    regulator = demo.token("regulator", jurisdiction="hunan")
    response = script.get("/register?format=csv", headers=regulator)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) > 1
    assert all(row[3] == "湖南省" for row in rows[1:]), rows  # only its own jurisdiction
    refused = script.get("/register?format=csv", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


# --- pages -----------------------------------------------------------------------------


def test_every_page_renders_for_the_administrator(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    for path, heading in [
        ("/", "监管概览"),
        ("/register", "评价机构登记册"),
        ("/sanctions", "处理决定台账"),
        ("/worklist", "待办事项与期限"),
        ("/public", "评价机构监管信息公示"),
    ]:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert f"<h1>{heading}</h1>" in page.text
    for d in DEMO:
        page = client.get(f"/institutions/{iid(d.name)}")
        assert page.status_code == 200, (d.name, page.text[:500])
        assert d.name in page.text


def test_the_overview_charts_carry_the_projections_counts(demo: Api) -> None:
    page = browser_for(demo, demo.admin).get("/")
    specs = dict(re.findall(r'id="(chart-[a-z]+)" data-chart="([^"]+)"', page.text))
    assert set(specs) == {
        "chart-status",
        "chart-month",
        "chart-article",
        "chart-district",
        "chart-complaints",
    }
    month = json.loads(html.unescape(specs["chart-month"]))
    assert month["categories"][0] == "2025-03"
    assert month["categories"][-1] == "2026-04"
    assert len(month["categories"]) == 14  # every month between, empty ones included
    assert sum(sum(s["data"]) for s in month["series"]) == 3
    article = json.loads(html.unescape(specs["chart-article"]))
    assert "huangshi-2022/16.6" in article["categories"]
    assert article["horizontal"] is True
    status = json.loads(html.unescape(specs["chart-status"]))
    shown = dict(zip(status["categories"], status["series"][0]["data"], strict=True))
    register = rows_of(browser_for(demo, demo.admin).get("/register", params={"format": "csv"}))
    assert shown["备案有效"] == sum(1 for r in register[1:] if r[5] == "备案有效")
    assert sum(shown.values()) == len(DEMO)
    assert '<script src="/static/vendor/echarts/echarts.min.js"></script>' in page.text


def test_the_register_filters_and_pages_with_the_cursor(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    page = client.get("/register", params={"jurisdiction": "hunan", "status": "active"})
    names = re.findall(r'<a href="/institutions/[0-9a-f-]+">([^<]+)</a>', page.text)
    assert names == ["株洲时代轨道装备有限公司", "湖南湘江职业技能鉴定所"]
    page = client.get("/register", params={"occupation": "6-31-01-03"})
    names = re.findall(r'<a href="/institutions/[0-9a-f-]+">([^<]+)</a>', page.text)
    assert sorted(names) == ["成都蓉城技工培训评价有限公司", "黄石市高级技工学校"]

    seen: list[str] = []
    url = "/register?limit=4"
    for _ in range(5):
        page = client.get(url)
        seen += re.findall(r'<a href="/institutions/[0-9a-f-]+">([^<]+)</a>', page.text)
        more = re.search(r'<a href="([^"]+)" rel="next"', page.text)
        if more is None:
            break
        url = more.group(1).replace("&amp;", "&")
    assert len(seen) == len(DEMO) == len(set(seen))


def test_a_district_regulator_sees_only_its_district(demo: Api) -> None:
    jinjiang = demo.token("regulator", jurisdiction="chengdu", district="锦江区")
    client = browser_for(demo, jinjiang)
    page = client.get("/register")
    names = re.findall(r'<a href="/institutions/[0-9a-f-]+">([^<]+)</a>', page.text)
    assert names == ["成都天府职业技能评价中心"]
    # A filter for another district matches nothing rather than widening the scope.
    page = client.get("/register", params={"district": "武侯区"})
    assert re.findall(r'<a href="/institutions/[0-9a-f-]+">', page.text) == []
    rows = rows_of(client.get("/register", params={"format": "csv"}))
    assert [r[1] for r in rows[1:]] == ["成都天府职业技能评价中心"]

    own = client.get(f"/institutions/{iid('成都天府职业技能评价中心')}")
    assert own.status_code == 200
    other = client.get(f"/institutions/{iid('成都蓉城技工培训评价有限公司')}")
    assert other.status_code == 403
    assert "此记录不在您的权限范围内" in other.text
    assert client.get(f"/institutions/{iid('黄石市高级技工学校')}?format=csv").status_code == 403

    overview = client.get("/", params={"format": "csv", "table": "sanctions_by_district"})
    assert rows_of(overview)[1:] == []  # no sanction in 锦江区
    assert "锦江区" in client.get("/").text  # the scope is named in the header

    worklist = client.get("/worklist", params={"format": "csv", "table": "findings"})
    assert {r[2] for r in rows_of(worklist)[1:]} == {"锦江区"}


def test_an_institution_sees_only_its_own_file(demo: Api) -> None:
    own = iid("湖南湘江职业技能鉴定所")
    client = browser_for(demo, demo.token("institution", institution=own))
    names = re.findall(
        r'<a href="/institutions/[0-9a-f-]+">([^<]+)</a>', client.get("/register").text
    )
    assert names == ["湖南湘江职业技能鉴定所"]
    assert client.get(f"/institutions/{own}").status_code == 200
    assert client.get(f"/institutions/{iid('株洲时代轨道装备有限公司')}").status_code == 404


def test_the_file_shows_both_clocks_the_actors_and_the_grounds(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    page = client.get(f"/institutions/{iid('湖南湘江职业技能鉴定所')}").text
    # The requirement: an interview, then the same article again → hunan-2023/26.1.
    requirement = page[page.index('data-testid="requirement"') : page.index('id="cases"')]
    assert "hunan-2023/26.1" in requirement
    assert "2 · 限期整改" in requirement
    assert "又发生" in requirement  # the Chinese explanation
    assert "again after an interview" in requirement  # and the English one
    refs = re.findall(r'href="#event-(\d+)">#\d+ ([^ ]+) (\d{4}-\d{2}-\d{2})', requirement)
    assert ("11", "约谈", "2025-04-20") in refs
    # Every event the grounds name is on the timeline.
    for version, _, _ in refs:
        assert f'id="event-{version}"' in page
    # Two clocks and the actor on every timeline entry.
    assert page.count('class="tl-item"') == len(
        demo.app.records.institution_events(_admin(demo), _x(demo))
    )
    assert '<div class="tl-business" title="业务日期">2025-04-20</div>' in page
    assert "录入时间 2026-11-23 10:00:00" in page
    assert "demo.admin（管理员）" in page
    # The as-of date moves the requirement: before the second finding nothing is undecided.
    earlier = client.get(f"/institutions/{_x(demo)}", params={"as_of": "2025-06-01"}).text
    assert "截至该日期没有待处理的违规事实" in earlier


def _admin(api: Api) -> Any:
    return api.app.access.authenticate(secret_of(api.admin))


def _x(api: Api) -> UUID:
    return iid("湖南湘江职业技能鉴定所")


def test_an_unknown_institution_is_a_404_page(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    assert client.get("/institutions/not-a-uuid").status_code == 404
    response = client.get("/institutions/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "没有找到该记录" in response.text


# --- language --------------------------------------------------------------------------


def test_english_is_a_toggle_and_is_remembered(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    assert '<html lang="zh-CN">' in client.get("/").text
    page = client.get("/", params={"lang": "en"})
    assert '<html lang="en">' in page.text
    assert "<h1>Supervision overview</h1>" in page.text
    assert "lang=en" in page.headers["set-cookie"]
    again = client.get("/register")
    assert "<h1>Register of evaluation institutions</h1>" in again.text
    assert ">中文<" in again.text
    header = rows_of(client.get("/register", params={"format": "csv"}))[0]
    assert header[:3] == ["Credit code", "Name", "Kind"]
    back = client.get("/register", params={"lang": "zh"})
    assert "<h1>评价机构登记册</h1>" in back.text


def test_every_label_the_templates_use_exists_in_both_languages() -> None:
    used: set[str] = set()
    for template in Path(TEMPLATES_DIR).glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.0-9]+)["']""", template.read_text()))
    assert used, "the templates use labels"
    missing = sorted(used - set(LABELS))
    assert missing == []
    for key, (zh, en) in LABELS.items():
        assert zh.strip(), key
        assert en.strip(), key
        for form in en.split("|"):  # English may have a singular and a plural form
            assert re.findall(r"{\w+}", zh) == re.findall(r"{\w+}", form), key


def test_every_event_has_a_label_in_both_languages() -> None:
    names = {
        name
        for name, value in vars(ev).items()
        if isinstance(value, type) and issubclass(value, ev.LedgerEvent)
    } - {"LedgerEvent", "LedgerCreated"}
    assert sorted(names - set(EVENT)) == []


# --- CSV -------------------------------------------------------------------------------


def test_every_table_exports_as_csv_with_a_bom_header_and_rows(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    register = rows_of(client.get("/register", params={"format": "csv"}))
    assert register[0][:6] == [
        "统一社会信用代码",
        "机构名称",
        "机构类型",
        "辖区",
        "区县",
        "备案状态",
    ]
    assert len(register) == 1 + len(DEMO)
    school = next(r for r in register if r[1] == "黄石市高级技工学校")
    assert school[5] == "已撤销"
    assert school[10] == "2029-04-15"

    xiangjiang = f"/institutions/{iid('湖南湘江职业技能鉴定所')}"
    timeline = rows_of(client.get(xiangjiang, params={"format": "csv"}))
    assert timeline[0][:4] == ["序号", "事件", "业务日期", "录入时间"]
    assert timeline[1][:3] == ["1", "提交备案申请", "2023-08-25"]
    assert timeline[1][3] == "2026-11-23 10:00:00"
    assert timeline[1][4] == "demo.admin"
    grounds = rows_of(client.get(xiangjiang, params={"format": "csv", "table": "grounds"}))
    assert "hunan-2023/26.1" in {r[3] for r in grounds[1:]}
    assert all(r[5] and r[6] for r in grounds[1:])  # both languages
    decisions = rows_of(client.get(xiangjiang, params={"format": "csv", "table": "decisions"}))
    assert [r[0] for r in decisions[1:]] == ["D-1"]
    assert rows_of(client.get(xiangjiang, params={"format": "csv", "table": "cases"}))[1:] == []
    assert client.get(xiangjiang, params={"format": "csv", "table": "nope"}).status_code == 404

    sanctions = rows_of(client.get("/sanctions", params={"format": "csv"}))
    assert sanctions[0][0] == "决定编号"
    assert len(sanctions) == 1 + 3
    by_month = rows_of(client.get("/", params={"format": "csv", "table": "sanctions_by_month"}))
    assert by_month[0] == ["月份", "等级", "数量"]
    assert sum(int(r[2]) for r in by_month[1:]) == 3
    status = rows_of(client.get("/", params={"format": "csv"}))
    assert status[0] == ["备案状态", "数量"]
    assert sum(int(r[1]) for r in status[1:]) == len(DEMO)
    complaints = rows_of(client.get("/", params={"format": "csv", "table": "complaints"}))
    assert complaints[1] == ["2025-06", "1", "1", "0", "0"]

    findings = rows_of(client.get("/worklist", params={"format": "csv", "table": "findings"}))
    assert {r[0] for r in findings[1:]} == {
        "湖南湘江职业技能鉴定所",
        "成都天府职业技能评价中心",
        "成都蓉城技工培训评价有限公司",
    }
    for table in ("cases", "rectifications", "below_requirement", "appeals", "filings"):
        rows_of(client.get("/worklist", params={"format": "csv", "table": table}))

    public = rows_of(browser_for(demo).get("/public", params={"format": "csv"}))
    assert public[0][:3] == ["处理措施", "机构名称", "统一社会信用代码"]
    assert {r[0] for r in public[1:]} >= {"撤销备案", "禁止备案"}


def test_a_cell_that_looks_like_a_formula_is_exported_as_text(demo: Api) -> None:
    demo.submit(credit_code=make_credit_code("91510104MA0000001"), name="=HYPERLINK(1)")
    demo.catch_up()
    client = browser_for(demo, demo.admin)
    rows = rows_of(client.get("/register", params={"format": "csv"}))
    assert "'=HYPERLINK(1)" in {r[1] for r in rows}


# --- public, health, metrics -----------------------------------------------------------


def test_the_public_disclosure_needs_no_token_and_shows_no_personal_data(demo: Api) -> None:
    client = browser_for(demo)
    page = client.get("/public")
    assert page.status_code == 200
    assert "黄石市高级技工学校" in page.text
    assert "撤销备案" in page.text
    assert "禁止备案" in page.text
    assert "法定代表人（演示）" not in page.text
    assert "400-000-0000" not in page.text
    assert "退出登录" not in page.text
    hunan = client.get("/public", params={"jurisdiction": "hunan"})
    assert "黄石市高级技工学校" not in hunan.text
    before = client.get("/public", params={"on": "2025-01-01"})
    assert "当前没有需要公示的处理措施" in before.text


def test_the_public_page_lists_published_credit_ratings_only(demo: Api) -> None:
    client = browser_for(demo)
    page = client.get("/public")
    assert "信用等级" in page.text
    ratings = page.text.split('data-testid="public-ratings"')[1].split("</section>")[0]
    assert "成都天府职业技能评价中心" in ratings  # chengdu publishes (sichuan-2021 §2.9)
    assert "黄石市高级技工学校" in ratings
    assert "已取消等级" in ratings
    assert "湖南湘江职业技能鉴定所" not in ratings  # hunan keeps its rating internal


def test_readiness_reports_each_projection(demo: Api) -> None:
    body = demo.client.get("/readyz").json()
    assert body["status"] == "ready"
    names = {p["name"] for p in body["projections"]}
    assert {"register", "sanctions", "worklist", "disclosure", "complaints"} <= names
    for p in body["projections"]:
        assert p["lag"] == 0
        assert p["position"] == p["head"] == body["store_position"]
    assert body["workers"] == {}
    assert demo.client.get("/healthz").json() == {"status": "ok"}


SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>(?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})?'
    r" (?P<value>-?(?:\d+(?:\.\d*)?(?:e-?\d+)?|NaN|[+-]Inf))$"
)


def parse_metrics(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The Prometheus text format, strictly: every family typed before its samples."""
    families: dict[str, list[tuple[dict[str, str], float]]] = {}
    typed: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"counter", "gauge", "summary", "histogram", "untyped"}
            assert name not in typed, f"{name} typed twice"
            typed[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name = match["name"]
        family = re.sub(r"_(sum|count|bucket)$", "", name)
        assert name in typed or family in typed, f"{name} has no TYPE"
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
        families.setdefault(name, []).append((labels, float(match["value"])))
    return families


def test_metrics_are_prometheus_text(demo: Api) -> None:
    client = browser_for(demo, demo.admin)
    client.get("/register")
    client.get(f"/institutions/{iid('黄石市高级技工学校')}")
    demo.get("/api/v1/institutions")
    response = demo.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = parse_metrics(response.text)
    head = demo.app.store.recorder.max_notification_id()
    assert families["oversight_up"] == [({}, 1.0)]
    assert families["oversight_event_store_head"] == [({}, float(head))]
    positions = {labels["projection"]: v for labels, v in families["oversight_projection_position"]}
    assert positions["register"] == head
    assert {labels["projection"] for labels, _ in families["oversight_projection_lag"]} >= {
        "register",
        "sanctions",
    }
    requests = {
        (labels["method"], labels["route"], labels["status"]): v
        for labels, v in families["oversight_http_requests_total"]
    }
    assert requests[("GET", "/register", "200")] == 1
    assert requests[("GET", "/institutions/{iid}", "200")] == 1
    assert requests[("GET", "/api/v1/institutions", "200")] == 1
    assert requests[("POST", "/login", "303")] == 1
    assert families["oversight_http_request_duration_seconds_count"]


def test_readiness_and_metrics_report_the_embedded_workers(demo: Api, settings: Settings) -> None:
    embedded = settings.model_copy(update={"embedded_workers": True})
    application = build_application(embedded, clock=demo.clock)
    with TestClient(web_service(embedded, application)) as client:
        body = client.get("/readyz").json()
        assert body["status"] == "ready"
        assert body["workers"] == {
            "projections": "running",
            "deadlines": "running",
            "notices": "running",
        }
        text = client.get("/metrics").text
        assert 'oversight_worker_up{worker="projections"} 1' in text
        assert 'oversight_worker_up{worker="deadlines"} 1' in text
        assert 'oversight_worker_up{worker="notices"} 1' in text


def test_english_counts_agree_in_number() -> None:
    en, zh = Translator("en"), Translator("zh")
    assert en("common.rows", n=1) == "1 row"
    assert en("common.rows", n=2) == "2 rows"
    assert en("worklist.overdue", n=1) == "1 day overdue"
    assert en("common.days_late", n=3) == "recorded 3 days later"
    assert zh("common.rows", n=1) == "1 条"


@pytest.mark.parametrize(
    "path",
    [
        "/register?jurisdiction=%00",
        "/register?district=a%00b",
        "/register?status=%01",
        "/register?occupation=%00",
        "/sanctions?article=%00",
        "/public?jurisdiction=%00",
        "/?jurisdiction=x&district=%00",
    ],
)
def test_a_control_character_in_a_page_filter_is_refused_not_a_fault(demo: Api, path: str) -> None:
    client = browser_for(demo, demo.admin)
    response = client.get(path)
    assert response.status_code == 422, response.text
