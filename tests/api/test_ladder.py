"""Each jurisdiction's full sanction ladder, end to end through the API (SQLite and PostgreSQL).

finding → notice → defence → decision → service → effect → (rectification accepted |
overdue → escalation) → revocation → refused re-filing during the ban.
"""

from __future__ import annotations

from typing import Any

from domain.state import numbered
from tests.api.conftest import Api, code, filing
from tests.api.ladder import Ladder

BASE = "/api/v1/institutions"


def filed(api: Api, jurisdiction: str, district: str, n: int = 1) -> Ladder:
    inst = api.approved(
        "2024-03-15",
        credit_code=code(
            n, area={"hunan": "430104", "chengdu": "510104", "huangshi": "420202"}[jurisdiction]
        ),
        jurisdiction=jurisdiction,
        district=district,
    )
    api.clock.set("2026-06-01")
    return Ladder(api, inst["id"])


def grounds(requirement: dict[str, Any]) -> set[str]:
    return {g["article"] for g in requirement["grounds"]}


def test_hunan_ladder_to_revocation_and_indefinite_ban(api: Api) -> None:
    hunan = filed(api, "hunan", "长沙市岳麓区")
    first = hunan.finding("hunan-2023/25.9", "2024-04-01")
    assert hunan.requirement("2024-04-10")["level"] == 1
    interview = hunan.case([first], "2024-04-10", decide_on="2024-04-25")
    hunan.interview(interview, "2024-05-06")

    again = hunan.finding("hunan-2023/25.3", "2024-06-01")
    requirement = hunan.requirement("2024-06-10")
    assert requirement["level"] == 2
    assert "hunan-2023/26.1" in grounds(requirement)
    behind = next(g for g in requirement["grounds"] if g["rule"] == "again_after_interview")
    assert {e["type"] for e in behind["events"]} >= {"InterviewHeld", "CaseDecided"}
    assert "约谈" in behind["explanation_zh"]
    assert "interview" in behind["explanation_en"]
    notice = hunan.case([again], "2024-06-10", decide_on="2024-06-25")
    state = hunan.state()
    assert state["status"] == "active"

    # Overdue: the deadline worker marks it and raises 26.6 by itself.
    from workers.deadlines import run_once

    api.clock.set("2024-08-01")
    recorded = run_once(api.app)
    assert recorded.get("RectificationOverdue") == 1
    events = api.get(f"{BASE}/{hunan.iid}/events").json()
    overdue_finding = [e for e in events if e["type"] == "FindingRecorded"][-1]
    assert overdue_finding["data"]["rule_id"] == "hunan-2023/26.6"
    assert overdue_finding["data"]["source"] == "system"
    assert run_once(api.app).get("RectificationOverdue") is None  # once only

    api.clock.set("2026-06-01")
    third = hunan.finding("hunan-2023/26.7", "2024-09-01")
    requirement = hunan.requirement("2024-09-10")
    assert requirement["level"] == 3
    assert "hunan-2023/27.1" in grounds(requirement)
    revocation = hunan.case([third], "2024-09-10", decide_on="2024-09-25")
    assert hunan.state()["status"] == "revoked"

    refiled = api.post(
        BASE,
        filing(
            credit_code=hunan.state()["credit_code"],
            jurisdiction="hunan",
            district="长沙市岳麓区",
            occurred_on="2026-05-01",
        ),
    )
    assert refiled.status_code == 422
    assert "banned" in refiled.json()["detail"]
    assert "indefinitely" in refiled.json()["detail"]
    assert refiled.json()["articles"] == ["hunan-2023/27.1"]
    assert revocation
    assert notice


def test_chengdu_ladder_needs_the_city_to_revoke(api: Api) -> None:
    chengdu = filed(api, "chengdu", "锦江区")
    regulator = api.token("regulator", jurisdiction="chengdu", district="锦江区")
    first = chengdu.finding("chengdu-2024/30.11", "2024-04-01")
    interview = chengdu.case([first], "2024-04-10", decide_on="2024-04-25")
    chengdu.interview(interview, "2024-05-06")

    again = chengdu.finding("chengdu-2024/30.4", "2024-06-01")
    assert "chengdu-2024/31.1" in grounds(chengdu.requirement("2024-06-10"))
    rectification = chengdu.case([again], "2024-06-10", decide_on="2024-06-25")
    chengdu.rectify(rectification, "2024-07-10", "2024-07-20")

    relapse = chengdu.finding("chengdu-2024/31.7", "2024-08-01")
    requirement = chengdu.requirement("2024-08-10")
    assert requirement["level"] == 3
    assert "chengdu-2024/32.1" in grounds(requirement)

    district = Ladder(api, chengdu.iid, regulator)
    case_id = district.post("/cases", {"finding_ids": [relapse], "occurred_on": "2024-08-10"}, 201)[
        "case_id"
    ]
    district.post(
        f"/cases/{case_id}/notice",
        {"facts": "事实", "reasons": "理由", "occurred_on": "2024-08-10"},
    )
    district.post(f"/cases/{case_id}/defence-waiver", {"occurred_on": "2024-08-11"})
    refused = api.post(
        f"{BASE}/{chengdu.iid}/cases/{case_id}/decision",
        {"reasons": "取消备案", "occurred_on": "2024-08-20"},
        regulator,
    )
    assert refused.status_code == 422
    assert refused.json()["articles"] == ["chengdu-2024/28"]
    decided = api.post(
        f"{BASE}/{chengdu.iid}/cases/{case_id}/decision",
        {"reasons": "市人社部门核实后取消备案", "occurred_on": "2024-08-20"},
    )
    assert decided.status_code == 200, decided.text
    api.post(f"{BASE}/{chengdu.iid}/cases/{case_id}/service", {"occurred_on": "2024-08-21"})
    assert chengdu.state()["status"] == "revoked"


def test_huangshi_ladder_warning_then_market_ban_for_three_years(api: Api) -> None:
    huangshi = filed(api, "huangshi", "黄石港区")
    first = huangshi.finding("huangshi-2022/14.7", "2024-04-01")
    interview = huangshi.case([first], "2024-04-10", decide_on="2024-04-25")
    huangshi.interview(interview, "2024-05-06")
    # Huangshi has no "again after interview": a second Art. 14 case is still an interview.
    again = huangshi.finding("huangshi-2022/14.7", "2024-06-01")
    assert huangshi.requirement("2024-06-10")["level"] == 1
    huangshi.post(
        f"/findings/{again}/dismissal", {"reason": "重复记录", "occurred_on": "2024-06-02"}
    )

    warned = huangshi.finding("huangshi-2022/15.5", "2024-06-15")
    requirement = huangshi.requirement("2024-06-20")
    assert requirement["level"] == 2
    assert "warning" in requirement["actions"]
    assert "abnormal_activity_list" in requirement["actions"]
    warning = huangshi.case([warned], "2024-06-20", decide_on="2024-07-01")
    huangshi.rectify(warning, "2024-07-15", "2024-07-25")

    relapse = huangshi.finding("huangshi-2022/14.3", "2024-09-01")
    requirement = huangshi.requirement("2024-09-10")
    assert requirement["level"] == 3
    assert "huangshi-2022/16.6" in grounds(requirement)
    assert requirement["ban_years"] == 3
    huangshi.case([relapse], "2024-09-10", decide_on="2024-09-25")
    state = huangshi.state()
    assert state["status"] == "revoked"
    refiled = api.post(
        BASE,
        filing(
            credit_code=state["credit_code"],
            jurisdiction="huangshi",
            district="黄石港区",
            occurred_on="2026-05-01",
        ),
    )
    assert refiled.status_code == 422
    assert "2027-09-25" in refiled.json()["detail"]


def test_decision_below_requirement_needs_a_reason_and_is_flagged(api: Api) -> None:
    hunan = filed(api, "hunan", "长沙市岳麓区")
    fid = hunan.finding("hunan-2023/26.7", "2024-04-01")
    case_id = hunan.post("/cases", {"finding_ids": [fid], "occurred_on": "2024-04-10"}, 201)[
        "case_id"
    ]
    hunan.post(
        f"/cases/{case_id}/notice",
        {"facts": "f", "reasons": "r", "occurred_on": "2024-04-10", "defence_days": 5},
    )
    early = api.post(
        f"{BASE}/{hunan.iid}/cases/{case_id}/decision",
        {"reasons": "r", "occurred_on": "2024-04-12"},
    )
    assert early.status_code == 422
    assert early.json()["field"] == "occurred_on"
    lower = {"reasons": "r", "occurred_on": "2024-04-20", "level": 1}
    refused = api.post(f"{BASE}/{hunan.iid}/cases/{case_id}/decision", lower)
    assert refused.status_code == 422
    assert refused.json()["field"] == "below_reason"
    accepted = api.post(
        f"{BASE}/{hunan.iid}/cases/{case_id}/decision",
        {**lower, "below_reason": "首次发生且已主动纠正"},
    )
    assert accepted.status_code == 200, accepted.text
    decided = [
        e for e in api.get(f"{BASE}/{hunan.iid}/events").json() if e["type"] == "CaseDecided"
    ]
    assert decided[-1]["data"]["below_requirement"] is True


def test_no_decision_without_a_notice(api: Api) -> None:
    hunan = filed(api, "hunan", "长沙市岳麓区")
    fid = hunan.finding("hunan-2023/25.1", "2024-04-01")
    case_id = hunan.post("/cases", {"finding_ids": [fid], "occurred_on": "2024-04-10"}, 201)[
        "case_id"
    ]
    refused = api.post(
        f"{BASE}/{hunan.iid}/cases/{case_id}/decision",
        {"reasons": "r", "occurred_on": "2024-04-20"},
    )
    assert refused.status_code == 422
    assert refused.json()["articles"] == ["hunan-2023/29"]


def annulled_interview_case(
    api: Api, jurisdiction: str, district: str, first: str, second: str, expected: int
) -> None:
    ladder = filed(api, jurisdiction, district)
    fid = ladder.finding(first, "2024-04-01")
    decision = ladder.case([fid], "2024-04-10", decide_on="2024-04-25")
    ladder.interview(decision, "2024-05-06")
    ladder.finding(second, "2024-06-01")
    before = ladder.requirement("2024-06-10")["level"]
    ladder.annul(decision, "2024-06-05")
    after = ladder.requirement("2024-06-10")
    assert (before, after["level"]) == (expected, 1)
    assert not any(g["rule"].startswith("again_after") for g in after["grounds"])


def test_an_annulled_interview_no_longer_escalates_in_hunan(api: Api) -> None:
    annulled_interview_case(api, "hunan", "长沙市岳麓区", "hunan-2023/25.9", "hunan-2023/25.2", 2)


def test_an_annulled_interview_no_longer_escalates_in_chengdu(api: Api) -> None:
    annulled_interview_case(api, "chengdu", "锦江区", "chengdu-2024/30.1", "chengdu-2024/30.3", 2)


def test_an_annulled_interview_never_escalated_in_huangshi(api: Api) -> None:
    # Huangshi has no "again after an interview" rule: an Art. 14 case stays level 1
    # before and after the annulment.
    annulled_interview_case(
        api, "huangshi", "黄石港区", "huangshi-2022/14.7", "huangshi-2022/14.2", 1
    )


def test_explain_reproduces_the_decision_after_a_later_appeal(api: Api) -> None:
    hunan = filed(api, "hunan", "长沙市岳麓区")
    fid = hunan.finding("hunan-2023/25.9", "2024-04-01")
    interview = hunan.case([fid], "2024-04-10", decide_on="2024-04-25")
    hunan.interview(interview, "2024-05-06")
    again = hunan.finding("hunan-2023/25.3", "2024-06-01")
    rectification = hunan.case([again], "2024-06-10", decide_on="2024-06-25")
    before = api.get(f"{BASE}/{hunan.iid}/decisions/{rectification}/explain").json()
    assert before["would_differ"] is False

    hunan.annul(interview, "2024-07-01")
    after = api.get(f"{BASE}/{hunan.iid}/decisions/{rectification}/explain").json()
    assert after["requirement_then"] == before["requirement_then"]
    assert after["known_events"] == before["known_events"]
    assert after["requirement_then"]["level"] == 2
    assert after["rulebook"]["id"] == "hunan-2023"
    assert len(after["rulebook"]["hash"]) == 64
    assert after["requirement_now"]["level"] == 1
    assert after["would_differ"] is True
    assert any(interview in line for line in after["why_en"])
    assert any("撤销" in line for line in after["why_zh"])


def test_time_travel_by_business_date_and_by_knowledge(api: Api) -> None:
    hunan = filed(api, "hunan", "长沙市岳麓区")
    api.clock.set("2026-06-01", hour=1)
    hunan.finding("hunan-2023/26.7", "2024-04-01")
    fid = hunan.finding("hunan-2023/25.1", "2024-02-01")
    assert fid
    then = api.get(f"{BASE}/{hunan.iid}", as_of="2024-03-01").json()
    assert then["status"] == "submitted"
    known = api.get(f"{BASE}/{hunan.iid}", known_at="2024-03-20T03:00:00+00:00").json()
    assert known["status"] == "active"
    assert known["version"] == 2


def test_records_are_numbered_per_institution_from_one(api: Api) -> None:
    ladder = filed(api, "hunan", "长沙市岳麓区")
    first = ladder.finding("hunan-2023/25.9", "2024-04-01")
    second = ladder.finding("hunan-2023/25.3", "2024-04-02")
    decision = ladder.case([first, second], "2024-04-10", decide_on="2024-04-25")
    assert (first, second, ladder.case_id, decision) == ("F-1", "F-2", "C-1", "D-1")


def test_ids_of_the_earlier_numbering_are_skipped_never_reused() -> None:
    assert numbered("F", {}) == "F-1"
    assert numbered("F", {"F-3": None, "F-7": None}) == "F-4"
    assert numbered("F", {"F-1": None, "F-2": None, "F-3": None}) == "F-4"
