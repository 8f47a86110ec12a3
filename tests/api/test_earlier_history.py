"""History from before a jurisdiction's first rulebook took effect (hunan-2023 from
2023-08-18, chengdu-2024 from 2024-02-02): filings kept with their real dates, conduct kept
and plainly not governed, and the later rules looking back only as each rulebook says
(``earlier_conduct``)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, code, filing
from tests.api.ladder import Ladder

BASE = "/api/v1/institutions"
HUNAN = {
    "jurisdiction": "hunan",
    "district": "岳麓区",
    "address": "长沙市岳麓区麓山南路1号",
    "test_sites": ["麓山考点"],
}


def filed(api: Api, submitted: str, approved: str, **overrides: Any) -> str:
    response = api.post(BASE, filing(occurred_on=submitted, **overrides))
    assert response.status_code == 201, response.text
    iid: str = response.json()["id"]
    response = api.post(f"{BASE}/{iid}/approval", {"occurred_on": approved})
    assert response.status_code == 200, response.text
    return iid


def test_a_filing_approved_before_any_rulebook_keeps_its_dates_and_the_first_rules_validity(
    api: Api,
) -> None:
    iid = filed(api, "2021-05-10", "2021-06-01")
    record = api.get(f"{BASE}/{iid}").json()
    # chengdu-2024/14: three years, renewal in the three months before expiry.
    assert (record["valid_from"], record["valid_until"]) == ("2021-06-01", "2024-05-31")
    approval = api.get(f"{BASE}/{iid}/events").json()[1]
    assert approval["type"] == "FilingApproved"
    assert approval["occurred_on"] == "2021-06-01"
    early = api.post(f"{BASE}/{iid}/renewal", {"occurred_on": "2024-02-29"})
    assert early.status_code == 422, early.text
    assert "chengdu-2024/14" in early.json()["articles"]
    assert api.post(f"{BASE}/{iid}/renewal", {"occurred_on": "2024-03-01"}).status_code == 200


def test_conduct_before_any_rulebook_is_kept_and_requires_nothing(api: Api) -> None:
    iid = filed(api, "2021-05-10", "2021-06-01")
    fid = Ladder(api, iid).finding("chengdu-2024/30.11", "2023-05-01")
    assessment = api.get(f"{BASE}/{iid}/assessment", as_of="2024-03-20").json()
    (only,) = assessment["findings"]
    assert only["governed"] is False
    assert (only["level"], only["grounds"]) == (None, [])
    assert "no rulebook of this system governs conduct on 2023-05-01" in only["rulebook_choice_en"]
    assert "本系统没有规则适用于 2023-05-01 的行为" in only["rulebook_choice_zh"]
    assert assessment["requirement"] is None
    page = api.client.get(f"/institutions/{iid}", headers=api.admin, params={"lang": "en"})
    assert page.status_code == 200
    assert "no rulebook of this system governs conduct on 2023-05-01" in page.text
    before = len(api.get(f"{BASE}/{iid}/events").json())
    case = api.post(f"{BASE}/{iid}/cases", {"occurred_on": "2024-03-20", "finding_ids": [fid]})
    assert case.status_code == 422, case.text
    assert case.json()["field"] == "finding_ids"
    assert "no rulebook of this system governs conduct on 2023-05-01" in case.json()["detail"]
    assert len(api.get(f"{BASE}/{iid}/events").json()) == before


def test_the_same_item_after_the_rulebook_took_effect_is_assessed(api: Api) -> None:
    iid = filed(api, "2021-05-10", "2021-06-01")
    Ladder(api, iid).finding("chengdu-2024/30.11", "2024-02-02")
    (only,) = api.get(f"{BASE}/{iid}/assessment", as_of="2024-03-20").json()["findings"]
    assert (only["level"], only["article"]) == (1, "chengdu-2024/30.11")


def test_an_item_the_first_rulebook_lacks_is_refused_for_earlier_conduct(api: Api) -> None:
    iid = filed(api, "2021-05-10", "2021-06-01")
    body = {"rule_id": "chengdu-2024/99.1", "severity": "minor", "occurred_on": "2023-05-01"}
    refused = api.post(f"{BASE}/{iid}/findings", {**body, "source": "audit", "facts": "—"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "rule_id"


def test_inactivity_looks_back_to_an_earlier_approval_only_where_the_rulebook_says(
    api: Api,
) -> None:
    # hunan-2023 counts inactivity from the approval, earlier time included (26.4, 27.7):
    # due on the day the rules took effect, the first day any rulebook governs it.
    hunan = filed(api, "2021-02-01", "2021-03-01", credit_code=code(1, "430104"), **HUNAN)
    due = api.get(f"{BASE}/{hunan}/assessment", as_of="2024-03-20").json()["due_system_findings"]
    assert sorted((f["rule_id"], f["occurred_on"]) for f in due) == [
        ("hunan-2023/26.4", "2023-08-18"),
        ("hunan-2023/27.7", "2023-08-18"),
    ]
    # chengdu-2024 counts from 2024-02-02 at the earliest (31.4 after twelve months).
    chengdu = filed(api, "2021-05-10", "2021-06-01")
    quiet = api.get(f"{BASE}/{chengdu}/assessment", as_of="2024-03-20").json()
    assert quiet["due_system_findings"] == []
    api.clock.set("2025-02-03")
    later = api.get(f"{BASE}/{chengdu}/assessment", as_of="2025-02-03").json()
    assert [(f["rule_id"], f["occurred_on"]) for f in later["due_system_findings"]] == [
        ("chengdu-2024/31.4", "2025-02-02")
    ]
