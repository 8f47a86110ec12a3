"""Access follows jurisdiction: scopes and roles, through HTTP."""

from __future__ import annotations

from tests.api.conftest import Api, code, filing

BASE = "/api/v1/institutions"


def test_no_token_is_401_problem(api: Api) -> None:
    response = api.client.get(f"{BASE}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_or_revoked_token_is_refused(api: Api) -> None:
    unknown = api.get(BASE + "/x", {"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    assert unknown.headers["WWW-Authenticate"] == "Bearer"
    assert unknown.headers["content-type"] == "application/problem+json"
    headers = api.token("regulator", jurisdiction="chengdu")
    token = next(t for t in api.app.access.tokens() if t.role == "regulator")
    api.app.access.revoke_token(token.id, "left the bureau")
    assert api.post(BASE, filing(), headers).status_code == 401


def test_regulator_acts_only_inside_its_jurisdiction(api: Api) -> None:
    hunan = api.token("regulator", jurisdiction="hunan")
    chengdu = api.token("regulator", jurisdiction="chengdu")
    refused = api.post(BASE, filing(), hunan)
    assert refused.status_code == 403
    created = api.post(BASE, filing(), chengdu)
    assert created.status_code == 201
    iid = created.json()["id"]
    assert api.get(f"{BASE}/{iid}", hunan).status_code == 403
    assert (
        api.post(f"{BASE}/{iid}/approval", {"occurred_on": "2024-03-15"}, hunan).status_code == 403
    )
    assert (
        api.post(f"{BASE}/{iid}/approval", {"occurred_on": "2024-03-15"}, chengdu).status_code
        == 200
    )


def test_district_regulator_is_held_to_its_district(api: Api) -> None:
    wuhou = api.token("regulator", jurisdiction="chengdu", district="武侯区")
    iid = api.submit(district="锦江区")["id"]
    assert api.get(f"{BASE}/{iid}", wuhou).status_code == 403
    other = api.submit(credit_code=code(7), district="武侯区")["id"]
    assert api.get(f"{BASE}/{other}", wuhou).status_code == 200


def test_institution_sees_only_its_own_file_and_cannot_decide(api: Api) -> None:
    own = api.submit()
    other = api.submit(credit_code=code(2), name="另一家机构")
    from uuid import UUID

    mine = api.token("institution", institution=UUID(own["id"]))
    assert api.get(f"{BASE}/{own['id']}", mine).status_code == 200
    assert api.get(f"{BASE}/{other['id']}", mine).status_code == 404  # as if absent
    decided = api.post(f"{BASE}/{own['id']}/approval", {"occurred_on": "2024-03-15"}, mine)
    assert decided.status_code == 403
    assert api.post(f"{BASE}/{own['id']}/details", {"address": "新址"}, mine).status_code == 200


def test_reviewer_reads_but_never_writes(api: Api) -> None:
    reviewer = api.token("reviewer")
    iid = api.submit()["id"]
    assert api.get(f"{BASE}/{iid}/events", reviewer).status_code == 200
    assert (
        api.post(f"{BASE}/{iid}/approval", {"occurred_on": "2024-03-15"}, reviewer).status_code
        == 403
    )
    assert api.post(BASE, filing(credit_code=code(3)), reviewer).status_code == 403
