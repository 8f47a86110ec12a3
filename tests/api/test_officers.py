"""Officers over HTTP (both backends): assignment and reassignment with If-Match and
Idempotency-Key, refusals as problem+json writing nothing, the scope, and the "assigned to
me" queue of the worklist API."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.ladder import Ladder

JINJIANG = {"jurisdiction": "chengdu", "district": "锦江区"}


def officer(api: Api, subject: str, **scope: Any) -> dict[str, str]:
    secret = secrets.token_urlsafe(16)
    api.app.access.issue_token(secret, subject=subject, role="regulator", **(scope or JINJIANG))
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def case(api: Api) -> tuple[str, str]:
    iid = api.approved()["id"]
    ladder = Ladder(api, iid)
    finding = ladder.finding("chengdu-2024/30.11", "2024-03-16")
    case_id = ladder.post("/cases", {"finding_ids": [finding], "occurred_on": "2024-03-17"}, 201)
    return iid, str(case_id["case_id"])


def assign(api: Api, iid: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return api.post(f"/api/v1/institutions/{iid}/officers", body, headers)


def mine(api: Api, headers: dict[str, str]) -> list[str]:
    api.catch_up()
    response = api.get("/api/v1/worklist", headers, mine="true", as_of="2024-03-20")
    assert response.status_code == 200, response.text
    return [c["case_id"] for c in response.json()["cases"]]


def test_assignment_then_reassignment_moves_the_case_between_queues(
    api: Api, case: tuple[str, str]
) -> None:
    iid, case_id = case
    li, zhao = officer(api, "li.wei"), officer(api, "zhao.min")
    first = assign(api, iid, {"item_kind": "case", "item_id": case_id, "officer": "li.wei"}, li)
    assert first.status_code == 200, first.text
    assert first.json()["recorded"] == "OfficerAssigned"
    assert mine(api, li) == [case_id]
    assert mine(api, zhao) == []

    body = {"item_kind": "case", "item_id": case_id, "officer": "zhao.min", "reason": "调岗"}
    moved = assign(api, iid, body, li)
    assert moved.status_code == 200, moved.text
    assert moved.json()["recorded"] == "OfficerReassigned"
    assert mine(api, li) == []
    assert mine(api, zhao) == [case_id]
    events = api.get(f"/api/v1/institutions/{iid}/events").json()
    last = events[-1]
    assert last["type"] == "OfficerReassigned"
    assert (last["data"]["from_officer"], last["data"]["to_officer"]) == ("li.wei", "zhao.min")
    listed = api.get(f"/api/v1/institutions/{iid}/officers", li).json()
    assert listed == [{"item_kind": "case", "item_id": case_id, "officer": "zhao.min"}]


def test_a_refusal_names_its_field_and_writes_nothing(api: Api, case: tuple[str, str]) -> None:
    iid, case_id = case
    li = officer(api, "li.wei")
    assign(api, iid, {"item_kind": "case", "item_id": case_id, "officer": "li.wei"}, li)
    version = api.get(f"/api/v1/institutions/{iid}").json()["version"]
    cases = [
        ({"item_kind": "case", "item_id": case_id, "officer": "zhao.min"}, 422, "reason"),
        ({"item_kind": "case", "item_id": "C-99", "officer": "zhao.min"}, 404, "item_id"),
        (
            {"item_kind": "case", "item_id": case_id, "officer": "li.wei", "reason": "x"},
            409,
            "officer",
        ),
        ({"item_kind": "ticket", "item_id": case_id, "officer": "li.wei"}, 422, "item_kind"),
    ]
    for body, status, field in cases:
        response = assign(api, iid, body, li)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in str(response.json()), response.json()
    assert api.get(f"/api/v1/institutions/{iid}").json()["version"] == version


def test_if_match_and_idempotency_key(api: Api, case: tuple[str, str]) -> None:
    iid, _ = case
    li = officer(api, "li.wei")
    version = api.get(f"/api/v1/institutions/{iid}").json()["version"]
    body = {"item_kind": "file", "officer": "li.wei"}
    stale = assign(api, iid, body, {**li, "If-Match": f'"{version - 1}"'})
    assert stale.status_code == 409, stale.text
    key = {**li, "Idempotency-Key": "assign-file-1", "If-Match": f'"{version}"'}
    once, again = assign(api, iid, body, key), assign(api, iid, body, key)
    assert once.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replay"] == "true"
    assert once.json() == again.json()
    assert api.get(f"/api/v1/institutions/{iid}").json()["version"] == version + 1


def test_outside_the_scope_nothing_is_assigned(api: Api, case: tuple[str, str]) -> None:
    iid, case_id = case
    hunan = officer(api, "hu.nan", jurisdiction="hunan")
    body = {"item_kind": "case", "item_id": case_id, "officer": "hu.nan"}
    assert assign(api, iid, body, hunan).status_code == 403
    reviewer = api.token("reviewer")
    assert assign(api, iid, body, reviewer).status_code == 403
    # Nor does another jurisdiction's officer see the item in any queue of its own.
    assert api.get("/api/v1/worklist", hunan, officer="li.wei").json()["cases"] == []
