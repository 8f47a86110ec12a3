"""GET /api/v1/institutions reads the register projection: filters, scope, cursor."""

from __future__ import annotations

from tests.api.conftest import Api, code
from tests.api.ladder import Ladder

BASE = "/api/v1/institutions"


def test_register_lists_filters_and_pages(api: Api) -> None:
    for n in range(5):
        api.approved(credit_code=code(100 + n), name=f"机构{n}", kind="employer")
    api.submit(
        credit_code=code(200),
        name="待审机构",
        district="武侯区",
        scope=[{"occupation": "6-31-01-03", "levels": [4]}],
    )
    api.catch_up()
    everything = api.get(BASE).json()
    assert len(everything["items"]) == 6
    assert everything["next_cursor"] is None
    assert {i["status"] for i in everything["items"]} == {"active", "submitted"}
    assert [i["name"] for i in api.get(BASE, status="submitted").json()["items"]] == ["待审机构"]
    assert len(api.get(BASE, district="武侯区").json()["items"]) == 1
    assert len(api.get(BASE, occupation="6-31-01-03").json()["items"]) == 1

    first = api.get(BASE, limit=4).json()
    assert len(first["items"]) == 4
    second = api.get(BASE, limit=4, cursor=first["next_cursor"]).json()
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    names = [i["name"] for i in first["items"] + second["items"]]
    assert len(set(names)) == 6


def test_register_is_confined_to_the_callers_scope(api: Api) -> None:
    api.approved(credit_code=code(300), name="锦江机构")
    other = api.approved(credit_code=code(301), name="武侯机构", district="武侯区", kind="employer")
    api.catch_up()
    wuhou = api.token("regulator", jurisdiction="chengdu", district="武侯区")
    assert [i["name"] for i in api.get(BASE, wuhou).json()["items"]] == ["武侯机构"]
    hunan = api.token("regulator", jurisdiction="hunan")
    assert api.get(BASE, hunan).json()["items"] == []
    from uuid import UUID

    own = api.token("institution", institution=UUID(other["id"]))
    assert [i["id"] for i in api.get(BASE, own).json()["items"]] == [other["id"]]


def test_register_shows_suspension_and_revocation(api: Api) -> None:
    inst = api.approved(credit_code=code(400), jurisdiction="hunan", district="长沙市岳麓区")
    api.clock.set("2026-06-01")
    ladder = Ladder(api, inst["id"])
    fid = ladder.finding("hunan-2023/26.7", "2024-04-01")
    ladder.case([fid], "2024-04-10", decide_on="2024-04-25")
    api.catch_up()
    row = api.get(BASE).json()["items"][0]
    assert row["suspended"] is True
    assert row["version"] == api.get(f"{BASE}/{inst['id']}").json()["version"]


def test_a_bad_cursor_is_a_problem_naming_the_field(api: Api) -> None:
    response = api.get(BASE, cursor="not-a-cursor")
    assert response.status_code == 422
    assert response.json()["field"] == "cursor"
