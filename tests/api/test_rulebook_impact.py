"""A draft's impact and a version's diff over the API (SQLite and PostgreSQL): the store
read in one pass, the institutions that differ, the caller's scope, malformed drafts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.access import Principal
from domain.commands.impact import LedgerHistories
from domain.rulebook import default_catalogue
from tests.api.conftest import Api, code
from tests.drafts import article_25_at_level_2, hunan_text, with_level

BASE = "/api/v1/institutions"
IMPACT = "/api/v1/rulebooks/impact"
YAML = {"Content-Type": "application/yaml"}


def filed(api: Api, n: int, district: str, *findings: str, jurisdiction: str = "hunan") -> str:
    area = {"hunan": "430104", "chengdu": "510104"}[jurisdiction]
    iid = str(
        api.approved(
            "2024-03-15",
            credit_code=code(n, area=area),
            jurisdiction=jurisdiction,
            district=district,
            name=f"评价机构{n}",
        )["id"]
    )
    for rule_id in findings:
        body = {
            "rule_id": rule_id,
            "severity": "minor",
            "occurred_on": "2024-03-18",
            "source": "inspection",
            "reference": "督导记录",
            "facts": f"{rule_id} 督导发现",
        }
        response = api.post(f"{BASE}/{iid}/findings", body)
        assert response.status_code == 201, response.text
    return iid


@pytest.fixture
def province(api: Api) -> dict[str, str]:
    return {
        "under_25": filed(api, 1, "长沙市", "hunan-2023/25.1"),
        "under_26": filed(api, 2, "长沙市", "hunan-2023/26.7"),
        "clean": filed(api, 3, "长沙市"),
        "zhuzhou_25": filed(api, 4, "株洲市", "hunan-2023/25.9"),
        "chengdu": filed(api, 5, "锦江区", "chengdu-2024/30.4", jurisdiction="chengdu"),
    }


def impact(api: Api, text: str, headers: dict[str, str] | None = None, **params: str) -> Any:
    return api.client.post(
        IMPACT, content=text.encode(), params=params, headers={**(headers or api.admin), **YAML}
    )


def test_raising_article_25_lists_exactly_the_institutions_with_a_finding_under_it(
    api: Api, province: dict[str, str]
) -> None:
    response = impact(api, article_25_at_level_2(), as_of="2024-03-20")
    assert response.status_code == 200, response.text
    report = response.json()
    listed = {i["institution_id"]: i for i in report["institutions"]}
    assert set(listed) == {province["under_25"], province["zhuzhou_25"]}
    level = next(d for d in listed[province["under_25"]]["differences"] if d["what"] == "level")
    assert (level["current"], level["draft"]) == (1, 2)
    assert "hunan-2023/25.1" in level["text_zh"]
    assert "hunan-2023/25.1" in level["text_en"]
    assert {e["type"] for e in level["events"]} == {"FindingRecorded"}
    summary = report["summary"]
    assert (summary["replayed"], summary["changed"]) == (4, 2)
    assert summary["by_district"] == {"长沙市": 1, "株洲市": 1}
    assert summary["by_article"] == {"hunan-2023/25.1": 1, "hunan-2023/25.9": 1}
    assert report["as_of"] == "2024-03-20"
    in_force = default_catalogue().get("hunan-2023").version
    assert report["against"].startswith(f"hunan-2023@v{in_force}#")
    assert next(c["subject"] for c in report["changes"]) == "hunan-2023/25"


def test_the_one_pass_read_gives_what_one_read_per_institution_gives(
    api: Api, province: dict[str, str]
) -> None:
    admin = Principal("admin.test", "admin")
    commands = api.app.impact
    plan = commands.plan(admin, article_25_at_level_2().encode(), "d.yaml")
    one_pass = commands.run(plan).as_dict()
    source, commands.source = commands.source, LedgerHistories(api.app.ledger)
    try:
        one_each = commands.run(plan).as_dict()
    finally:
        commands.source = source
    assert type(source).__name__ == "StoredHistories"
    key = lambda report: sorted(report["institutions"], key=lambda i: i["institution_id"])  # noqa: E731
    assert key(one_pass) == key(one_each)
    assert one_pass["summary"] == one_each["summary"]
    assert one_pass["summary"]["replayed"] == 4


def test_the_same_rulebook_as_its_own_draft_changes_nothing(
    api: Api, province: dict[str, str]
) -> None:
    response = impact(api, hunan_text())
    assert response.status_code == 200, response.text
    assert response.json()["institutions"] == []
    assert response.json()["summary"]["replayed"] == 4


def test_each_caller_sees_the_impact_its_scope_allows(api: Api, province: dict[str, str]) -> None:
    text = article_25_at_level_2()
    district = api.token("regulator", jurisdiction="hunan", district="株洲市")
    seen = impact(api, text, district, as_of="2024-03-20").json()
    assert [i["institution_id"] for i in seen["institutions"]] == [province["zhuzhou_25"]]
    assert seen["summary"]["replayed"] == 1
    reviewer = impact(api, text, api.token("reviewer"), as_of="2024-03-20")
    assert reviewer.status_code == 200
    assert reviewer.json()["summary"]["changed"] == 2
    for refused in (
        api.token("regulator", jurisdiction="chengdu"),
        api.token("institution", jurisdiction="hunan", institution=UUID(province["under_25"])),
    ):
        response = impact(api, text, refused)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"


def test_a_malformed_draft_is_refused_naming_line_and_field_and_writes_nothing(
    api: Api, province: dict[str, str]
) -> None:
    bad, line = with_level("severe")
    before = api.app.store.recorder.max_notification_id()
    response = impact(api, bad)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["line"] == line
    assert problem["field"].startswith("articles.")
    assert problem["field"].endswith(".level")
    assert problem["errors"][0]["line"] == line
    assert problem["errors"][0]["file"] == "draft.yaml"
    assert f"draft.yaml:{line}:" in problem["detail"]
    assert api.app.store.recorder.max_notification_id() == before
    as_json = api.client.post(IMPACT, json={"id": "x"}, headers=api.admin)
    assert as_json.status_code == 422
    assert as_json.json()["field"] == "body"


def test_the_diff_between_versions_names_each_changed_article(api: Api) -> None:
    same = api.get("/api/v1/rulebooks/hunan-2023/diff", against="hunan-2023@1")
    assert same.status_code == 200, same.text
    assert [c for c in same.json()["changes"] if c["kind"] != "parameter_changed"] == []
    other = api.get("/api/v1/rulebooks/chengdu-2024/diff", against="hunan-2023")
    assert other.status_code == 200
    kinds = {c["kind"] for c in other.json()["changes"]}
    assert {"added", "removed"} <= kinds
    assert all(c["text_zh"] and c["text_en"] for c in other.json()["changes"])
    missing = api.get("/api/v1/rulebooks/hunan-2023/diff", against="nowhere-1999")
    assert missing.status_code == 404
    assert missing.json()["field"] == "against"
