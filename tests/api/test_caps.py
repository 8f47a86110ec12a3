"""Filing caps from the jurisdiction's rulebook, refusals citing the article."""

from __future__ import annotations

from tests.api.conftest import Api, code

BASE = "/api/v1/institutions"
OCC = "4-03-02-01"


def test_chengdu_allows_three_social_orgs_per_occupation_and_refuses_the_fourth(api: Api) -> None:
    for n in range(3):
        api.approved(credit_code=code(n + 10), name=f"机构{n}")
    fourth = api.submit(credit_code=code(20), name="第四家")
    refused = api.post(f"{BASE}/{fourth['id']}/approval", {"occurred_on": "2024-03-15"})
    assert refused.status_code == 422
    assert refused.json()["articles"] == ["chengdu-2024/8"]
    assert OCC in refused.json()["detail"]
    # Employers are not counted against the social-org cap.
    employer = api.submit(credit_code=code(21), name="某企业", kind="employer")
    ok = api.post(f"{BASE}/{employer['id']}/approval", {"occurred_on": "2024-03-15"})
    assert ok.status_code == 200


def test_a_cancelled_social_org_frees_its_place(api: Api) -> None:
    first = api.approved(credit_code=code(30), name="甲")
    for n in range(2):
        api.approved(credit_code=code(31 + n), name=f"乙{n}")
    api.post(
        f"{BASE}/{first['id']}/cancellation", {"reason": "自愿终止", "occurred_on": "2024-03-16"}
    )
    fourth = api.submit(credit_code=code(40), name="丁")
    assert (
        api.post(f"{BASE}/{fourth['id']}/approval", {"occurred_on": "2024-03-17"}).status_code
        == 200
    )


def huangshi(n: int, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "credit_code": code(n, area="420202"),
        "jurisdiction": "huangshi",
        "district": "黄石港区",
        "name": f"黄石机构{n}",
    }
    body.update(extra)
    return body


def test_huangshi_caps_occupations_per_social_org_at_five(api: Api) -> None:
    six = [{"occupation": f"4-03-02-0{i}", "levels": [5]} for i in range(1, 7)]
    inst = api.submit(**huangshi(1, scope=six))
    refused = api.post(f"{BASE}/{inst['id']}/approval", {"occurred_on": "2024-03-15"})
    assert refused.status_code == 422
    assert refused.json()["articles"] == ["huangshi-2022/12"]


def test_huangshi_caps_social_orgs_per_occupation_level_at_three(api: Api) -> None:
    for n in range(3):
        api.approved(**huangshi(n + 1))
    fourth = api.submit(**huangshi(9))
    refused = api.post(f"{BASE}/{fourth['id']}/approval", {"occurred_on": "2024-03-15"})
    assert refused.status_code == 422
    assert "level" in refused.json()["detail"]


def test_huangshi_refuses_scope_growth_before_any_evaluation(api: Api) -> None:
    inst = api.approved(**huangshi(5))
    wider = [{"occupation": OCC, "levels": [2, 3, 4, 5]}]
    asked = api.post(
        f"{BASE}/{inst['id']}/scope-changes",
        {
            "scope": wider,
            "test_sites": ["东大街考点"],
            "reason": "扩项",
            "occurred_on": "2024-03-16",
        },
    )
    change = asked.json()["pending_scope_change"]["change_id"]
    refused = api.post(
        f"{BASE}/{inst['id']}/scope-changes/{change}/approval", {"occurred_on": "2024-03-17"}
    )
    assert refused.status_code == 422
    assert refused.json()["articles"] == ["huangshi-2022/12"]
    assert "no evaluation" in refused.json()["detail"]
