"""Hostile input, aimed: each answers 422 ``application/problem+json`` naming the field and
the reason, and writes nothing; never a 500. On SQLite and on PostgreSQL (which cannot
store a NUL in text, so a NUL let through would fail there first).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from api.errors import PROBLEM
from tests.api.conftest import Api, code, filing

BASE = "/api/v1/institutions"
NOWHERE = "00000000-0000-4000-8000-000000000000"


def raw_post(api: Api, path: str, content: bytes) -> Any:
    headers = {**api.admin, "Content-Type": "application/json"}
    return api.client.post(path, content=content, headers=headers)


@pytest.fixture
def refused(api: Api) -> Callable[..., dict[str, Any]]:
    """``refused(response, field)``: a 422 naming ``field``, and nothing was written since
    the fixture was set up (so a test lists it after the fixtures that write)."""
    before = api.app.store.recorder.max_notification_id()

    def check(response: Any, field: str, status: int = 422) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM
        problem: dict[str, Any] = response.json()
        assert problem["field"] == field, problem
        assert {"field": field, "reason": problem["errors"][0]["reason"]} in problem["errors"]
        assert problem["detail"], problem
        assert api.app.store.recorder.max_notification_id() == before
        return problem

    return check


# --- the body as a whole ------------------------------------------------------------------------


def test_malformed_json_names_the_body_and_where_it_breaks(api: Api, refused: Any) -> None:
    problem = refused(raw_post(api, BASE, b'{"name": "x",'), "body")
    assert "not valid JSON" in problem["detail"]
    assert "at character 13" in problem["detail"]


def test_a_body_that_is_not_utf8_names_the_body(api: Api, refused: Any) -> None:
    problem = refused(raw_post(api, BASE, b'{"name": "\xff\xfe"}'), "body")
    assert "not valid JSON" in problem["detail"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"null", b"12"])
def test_a_body_that_is_no_object_names_the_body(api: Api, refused: Any, body: bytes) -> None:
    refused(raw_post(api, f"{BASE}/{NOWHERE}/renewal", body), "body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**filing(), "bogus": 1}, "bogus"),
        (
            {**filing(), "contact": {"name": "李某", "phone": "028-1", "fax": "028-2"}},
            "contact.fax",
        ),
        (
            {**filing(), "scope": [{"occupation": "4-03-02-01", "levels": [3], "x": 0}]},
            "scope.0.x",
        ),
    ],
)
def test_unknown_fields_are_refused_by_name(
    api: Api, refused: Any, body: dict[str, Any], field: str
) -> None:
    problem = refused(api.post(BASE, body), field)
    assert problem["errors"][0]["reason"] == "Extra inputs are not permitted"


def test_every_operation_with_a_body_refuses_an_unknown_field(api: Api) -> None:
    """Whatever else is wrong with it, the unknown field is named among the errors."""
    openapi = api.client.get("/openapi.json").json()
    before = api.app.store.recorder.max_notification_id()
    checked = 0
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if "application/json" not in operation.get("requestBody", {}).get("content", {}):
                continue  # no body, or one that is not JSON (a draft rulebook's YAML)
            values = {
                p["name"]: NOWHERE if p["schema"].get("format") == "uuid" else "X-1"
                for p in operation["parameters"]
                if p["in"] == "path"
            }
            response = api.client.request(
                method, path.format(**values), json={"unexpected": 1}, headers=api.admin
            )
            assert response.status_code == 422, (method, path, response.text)
            assert {"field": "unexpected", "reason": "Extra inputs are not permitted"} in (
                response.json()["errors"]
            ), (method, path)
            checked += 1
    assert checked >= 50  # every command of the API
    assert api.app.store.recorder.max_notification_id() == before


# --- characters ----------------------------------------------------------------------------------

CONTROL_CHARACTERS = [
    ({"name": "成都\x00天府"}, "name"),
    ({"address": "东大街\x00100号"}, "address"),
    ({"name": "成都\n天府"}, "name"),
    ({"contact": {"name": "李\x07某", "phone": "028-00000000"}}, "contact.name"),
    ({"test_sites": ["东大街考点", "\x00"]}, "test_sites.1"),
    ({"credit_code": "\x1b[31m"}, "credit_code"),
]


def test_control_characters_are_refused_naming_the_field(api: Api, refused: Any) -> None:
    for overrides, field in CONTROL_CHARACTERS:
        problem = refused(api.post(BASE, filing(**overrides)), field)
        assert "holds the control character U+00" in problem["detail"], overrides


def test_multi_line_text_keeps_its_line_breaks_but_no_nul(api: Api, refused: Any) -> None:
    path = f"{BASE}/{NOWHERE}/findings"
    problem = refused(api.post(path, {**FINDING, "facts": "一\x00二"}), "facts")
    assert "U+0000 at 1; only tab and line breaks are allowed" in problem["detail"]
    iid = api.approved()["id"]
    facts = "一、考场布置不符合要求；\r\n二、考务记录缺失。\t（附件略）"
    assert api.post(f"{BASE}/{iid}/findings", {**FINDING, "facts": facts}).status_code == 201


def test_a_lone_surrogate_is_refused_naming_the_field(api: Api, refused: Any) -> None:
    for overrides, field in [
        ({"name": "@"}, "name"),
        ({"contact": {"name": "@", "phone": "028-1"}}, "contact.name"),
        ({"test_sites": ["东大街考点", "@"]}, "test_sites.1"),
    ]:
        text = json.dumps(filing(**overrides), ensure_ascii=False).replace('"@"', '"\\ud800"')
        refused(raw_post(api, BASE, text.encode()), field)


# --- sizes ---------------------------------------------------------------------------------------

FINDING = {
    "rule_id": "chengdu-2024/30.11",
    "severity": "minor",
    "occurred_on": "2024-03-18",
    "source": "inspection",
    "facts": "考场秩序混乱",
}


def test_real_long_chinese_text_fits(api: Api) -> None:
    address = "四川省成都市锦江区东大街下东大街段" + "一二三四五六七八九十" * 20 + "号"
    iid = api.approved(credit_code=code(77), address=address)["id"]
    facts = "经查，该机构在2024年3月组织的考核中存在考场秩序混乱、考务记录缺失等问题。" * 200
    response = api.post(f"{BASE}/{iid}/findings", {**FINDING, "facts": facts[:8000]})
    assert response.status_code == 201, response.text


def test_strings_over_their_kinds_maximum_are_refused(api: Api, refused: Any) -> None:
    for overrides, field in [
        ({"name": "名" * 201}, "name"),
        ({"address": "址" * 501}, "address"),
        ({"legal_representative": ""}, "legal_representative"),
        ({"contact": {"name": "李某", "phone": "1" * 41}}, "contact.phone"),
        ({"credit_code": "9" * 101}, "credit_code"),
    ]:
        refused(api.post(BASE, filing(**overrides)), field)
    refused(api.post(f"{BASE}/{NOWHERE}/findings", {**FINDING, "facts": "实" * 8001}), "facts")


def test_ten_thousand_element_arrays_are_refused_naming_the_field(api: Api, refused: Any) -> None:
    many = ["x"] * 10_000
    inst = f"{BASE}/{NOWHERE}"
    refused(api.post(BASE, filing(test_sites=many)), "test_sites")
    scope = [{"occupation": "4-03-02-01", "levels": [3]}] * 10_000
    refused(api.post(BASE, filing(scope=scope)), "scope")
    refused(api.post(f"{inst}/cases", {"finding_ids": many}), "finding_ids")
    refused(api.post(f"{inst}/cases/C-1/service", {"void_batch_ids": many}), "void_batch_ids")
    refused(api.post(f"{inst}/decisions/D-1/interview", {"attendees": many}), "attendees")
    scores = {f"d{n}": 50 for n in range(10_000)}
    assessment = {"year": 2024, "assessing_body": "区人社局", "passed": True, "scores": scores}
    refused(api.post(f"{inst}/annual-assessments", assessment), "scores")
    visit = {"assignment_id": NOWHERE, "mode": "on_site", "supervisors": [NOWHERE]}
    refused(api.post("/api/v1/visits", {**visit, "checked": many}), "checked")


def test_numbers_out_of_bounds_are_refused(api: Api, refused: Any) -> None:
    batch = {
        "batch_id": "B-1",
        "occupation": "4-03-02-01",
        "level": 3,
        "evaluated_on": "2024-03-01",
        "site": "东大街考点",
        "candidates": 10,
        "unqualified_candidates": 0,
        "passed": 8,
    }
    for field, value in [
        ("candidates", 10**40),
        ("passed", -1),
        ("level", 6),
        ("unqualified_candidates", 10**7),
    ]:
        refused(api.post(f"{BASE}/{NOWHERE}/evaluations", {**batch, field: value}), field)
    body = b'{"year": 2024, "assessing_body": "x", "passed": true, "scores": {"policy": NaN}}'
    refused(raw_post(api, f"{BASE}/{NOWHERE}/annual-assessments", body), "scores.policy")


# --- dates and instants --------------------------------------------------------------------------

CAMPAIGN = {
    "reference": "HN-X",
    "title": "抽查",
    "jurisdiction": "hunan",
    "kind": "daily",
    "matters": ["考务管理"],
    "target_count": 1,
    "group_size": 1,
}


@pytest.mark.parametrize("day", ["0001-01-01", "1948-12-31", "2100-01-01", "9999-12-31"])
def test_business_dates_far_in_the_past_or_future_are_refused(
    api: Api, refused: Any, day: str
) -> None:
    inst = f"{BASE}/{NOWHERE}"
    refused(api.post(BASE, filing(occurred_on=day)), "occurred_on")
    refused(api.post(f"{inst}/approval", {"occurred_on": day}), "occurred_on")
    refused(api.post(f"{inst}/findings", {**FINDING, "occurred_on": day}), "occurred_on")
    refused(api.post("/api/v1/campaigns", {**CAMPAIGN, "planned_on": day}), "planned_on")
    refused(api.get(inst, as_of=day), "as_of")
    refused(api.get(f"{inst}/assessment", as_of=day), "as_of")
    refused(api.get(f"{inst}/credit-rating", as_of=day), "as_of")
    refused(api.get(inst, known_at=f"{day}T00:00:00Z"), "known_at")


def test_a_business_date_is_written_yyyy_mm_dd_and_nothing_else(api: Api, refused: Any) -> None:
    for day in ["0", 0, 1_700_000_000, "20240318", "2024-03-18T00:00:00", "2024-3-18"]:
        problem = refused(api.post(BASE, filing(occurred_on=day)), "occurred_on")
        assert "must be written YYYY-MM-DD" in problem["detail"], day
    refused(api.get(f"{BASE}/{NOWHERE}/assessment", as_of="0"), "as_of")


def test_an_instant_needs_its_utc_offset(api: Api, refused: Any) -> None:
    for instant in ["2024-05-01T10:00:00", "2024-05-01", "yesterday", "1714528800"]:
        refused(api.get(f"{BASE}/{NOWHERE}", known_at=instant), "known_at")


def test_an_instant_with_its_offset_is_read(api: Api) -> None:
    iid = api.approved()["id"]
    response = api.get(f"{BASE}/{iid}", known_at="2024-03-20T10:00:00+08:00")
    assert response.status_code == 200, response.text


# --- query and path parameters -------------------------------------------------------------------


def _cursor(*values: object) -> str:
    raw = json.dumps(list(values)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


LIST_PARAMETERS: list[tuple[dict[str, Any], str]] = [
    ({"limit": 0}, "limit"),
    ({"limit": 501}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"cursor": "not a cursor!"}, "cursor"),
    ({"cursor": "x" * 2001}, "cursor"),
    ({"cursor": _cursor("\x00", NOWHERE)}, "cursor"),
    ({"cursor": _cursor("\ud800", NOWHERE)}, "cursor"),
    ({"cursor": _cursor(1)}, "cursor"),
    ({"jurisdiction": "chengdu\x00"}, "jurisdiction"),
    ({"district": "区" * 201}, "district"),
    ({"occupation": "\x00"}, "occupation"),
]

RECORD_PARAMETERS: list[tuple[str, dict[str, Any], str]] = [
    (f"{BASE}/not-a-uuid", {}, "iid"),
    (f"{BASE}/{NOWHERE}", {"version": 0}, "version"),
    (f"{BASE}/{NOWHERE}", {"version": 10**30}, "version"),
    (f"{BASE}/{NOWHERE}/decisions/D%001/explain", {}, "decision_id"),
    ("/api/v1/rulebooks/hunan-2023", {"version": 10**20}, "version"),
    ("/api/v1/rulebooks/" + "r" * 101, {}, "rulebook_id"),
    ("/api/v1/supervisors", {"jurisdiction": "\x00"}, "jurisdiction"),
    ("/api/v1/supervisors/12345", {}, "sid"),
]


def test_bad_query_and_path_parameters_are_refused(api: Api, refused: Any) -> None:
    for params, field in LIST_PARAMETERS:
        refused(api.get(BASE, **params), field)
    for path, params, field in RECORD_PARAMETERS:
        refused(api.get(path, **params), field)
    reason = {"reason": "不予认定", "occurred_on": "2024-03-18"}
    refused(api.post(f"{BASE}/{NOWHERE}/findings/F%00/dismissal", reason), "finding_id")
    refused(api.post(f"{BASE}/{NOWHERE}/scope-changes/{'c' * 101}/rejection", reason), "change_id")
