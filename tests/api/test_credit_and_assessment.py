"""Annual assessment and the credit rating derived from history (sichuan-2021 §2.9)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.ladder import Ladder
from tests.api.test_ladder import filed

PLACES = {
    "hunan": ("长沙市岳麓区", "hunan-2023/25.9", "hunan-2023/26.7"),
    "chengdu": ("锦江区", "chengdu-2024/30.11", "chengdu-2024/31.7"),
    "huangshi": ("黄石港区", "huangshi-2022/14.7", "huangshi-2022/15.5"),
}


def rating(ladder: Ladder, as_of: str) -> dict[str, Any]:
    response = ladder.api.get(ladder.base + "/credit-rating", ladder.headers, as_of=as_of)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("jurisdiction", sorted(PLACES))
def test_rating_through_a_multi_year_history_and_as_of_past_dates(
    api: Api, jurisdiction: str
) -> None:
    district, minor, heavier = PLACES[jurisdiction]
    ladder = filed(api, jurisdiction, district)
    assert rating(ladder, "2024-03-14")["state"] == "unrated"
    assert rating(ladder, "2024-03-15")["grade"] == "A"

    interview = ladder.case(
        [ladder.finding(minor, "2024-04-01")], "2024-04-10", decide_on="2024-04-25"
    )
    ladder.interview(interview, "2024-05-06")
    rectification = ladder.case(
        [ladder.finding(heavier, "2024-09-01")], "2024-09-10", decide_on="2024-09-25"
    )
    ladder.rectify(rectification, "2024-10-10", "2024-10-20")

    assert rating(ladder, "2024-04-24")["grade"] == "A"
    assert rating(ladder, "2024-04-25")["grade"] == "B"  # interview served: one grade
    now = rating(ladder, "2024-09-25")
    assert now["grade"] == "D"  # rectification served: two more grades
    lowered = now["changes"][-1]
    assert lowered["kind"] == "lowered"
    assert (lowered["before"], lowered["after"]) == ("B", "D")
    assert lowered["decision_id"] == rectification
    assert heavier in lowered["reason_en"]
    assert heavier in lowered["reason_zh"]
    assert lowered["event"]["type"] == "DecisionServed"
    # Twelve clean months raise it one grade at a time, back to the start.
    assert rating(ladder, "2025-09-24")["grade"] == "D"
    assert rating(ladder, "2025-09-25")["grade"] == "C"
    assert rating(ladder, "2026-09-25")["grade"] == "B"
    assert rating(ladder, "2026-05-31")["grade"] == "C"  # reproduced as of a past date


@pytest.mark.parametrize("jurisdiction", sorted(PLACES))
def test_an_annulled_sanction_restores_the_rating_as_if_it_never_happened(
    api: Api, jurisdiction: str
) -> None:
    district, minor, _ = PLACES[jurisdiction]
    ladder = filed(api, jurisdiction, district)
    clean = rating(ladder, "2025-01-01")
    interview = ladder.case(
        [ladder.finding(minor, "2024-04-01")], "2024-04-10", decide_on="2024-04-25"
    )
    assert rating(ladder, "2025-01-01")["grade"] == "B"
    ladder.annul(interview, "2024-06-01")
    restored = rating(ladder, "2025-01-01")
    assert restored == clean


def test_revocation_cancels_the_rating(api: Api) -> None:
    ladder = filed(api, "huangshi", "黄石港区")
    ladder.case(
        [ladder.finding("huangshi-2022/16.3", "2024-04-01")], "2024-04-10", decide_on="2024-04-25"
    )
    cancelled = rating(ladder, "2024-05-01")
    assert cancelled["state"] == "cancelled"
    assert cancelled["grade"] is None
    assert cancelled["changes"][-1]["kind"] == "cancelled"


def test_a_failed_assessment_in_hunan_requires_revocation_with_its_grounds(api: Api) -> None:
    ladder = filed(api, "hunan", "长沙市岳麓区")
    result = ladder.post(
        "/annual-assessments",
        {
            "year": 2025,
            "assessing_body": "长沙市职业技能鉴定中心",
            "passed": False,
            "grade": "不合格",
            "remarks": "定期评估不合格",
            "occurred_on": "2026-01-20",
        },
        201,
    )
    assert len(result["finding_ids"]) == 1
    requirement = ladder.requirement("2026-01-25")
    assert requirement["level"] == 3
    assert requirement["article"] == "hunan-2023/27.7"
    assert "revocation" in requirement["actions"]
    ground = requirement["grounds"][0]
    assert ground["article"] == "hunan-2023/27.7"
    assert ground["explanation_zh"]
    assert ground["explanation_en"]
    assert rating(ladder, "2026-01-20")["grade"] == "B"  # a failed assessment lowers one


def test_huangshi_assessment_scores_by_the_article_6_dimensions(api: Api) -> None:
    ladder = filed(api, "huangshi", "黄石港区")
    ok = {
        "year": 2025,
        "assessing_body": "黄石港区人社局",
        "passed": True,
        "grade": "合格",
        "scores": {"policy": 90, "pledges": 88, "disclosure": 75, "quality": 82, "technical": 70},
        "occurred_on": "2026-01-15",
    }
    assert ladder.post("/annual-assessments", ok, 201)["finding_ids"] == []
    again = ladder.api.post(ladder.base + "/annual-assessments", ok)
    assert again.status_code == 409
    bad = {**ok, "year": 2024, "scores": {"safety": 50}}
    refused = ladder.api.post(ladder.base + "/annual-assessments", bad)
    assert refused.status_code == 422
    assert refused.json()["field"] == "scores"


def test_published_annual_results_enter_the_disclosure_list_until_superseded(api: Api) -> None:
    from datetime import date

    from projections.disclosure_queries import public_entries, publication_history

    ladder = filed(api, "huangshi", "黄石港区")
    for year, on in ((2024, "2025-01-15"), (2025, "2026-01-15")):
        body = {
            "year": year,
            "assessing_body": "黄石港区人社局",
            "passed": True,
            "grade": "合格",
            "occurred_on": on,
        }
        ladder.post("/annual-assessments", body, 201)
    hunan = filed(api, "hunan", "长沙市岳麓区", n=2)
    hunan.post(
        "/annual-assessments",
        {"year": 2025, "assessing_body": "x", "passed": True, "occurred_on": "2026-01-15"},
        201,
    )
    api.catch_up()
    store = api.client.app.state.projections.store  # type: ignore[attr-defined]
    history = [e for e in publication_history(store) if e.kind == "annual_result"]
    assert [(e.decision_id, e.published_on, e.ends_on, e.ended_reason) for e in history] == [
        ("AA-2024", date(2025, 1, 15), date(2026, 1, 15), "superseded"),
        ("AA-2025", date(2026, 1, 15), None, None),
    ]  # hunan does not publish its results
    in_force = [
        e.decision_id for e in public_entries(store, date(2025, 6, 1)) if e.kind == "annual_result"
    ]
    assert in_force == ["AA-2024"]
