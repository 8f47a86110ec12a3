"""On-site pause and resume under an assignment (hunan-2023/17.3), special supervision's
opinion letter and report (hunan-2023/18), supervisors' card and term expiry."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_supervision_api import (
    ASSIGNMENTS,
    VISITS,
    assign,
    institution,
    supervisor,
    token_for,
)
from workers.deadlines import run_once


def special_visit(api: Api) -> tuple[str, str, dict[str, str]]:
    iid = institution(api)
    team = [supervisor(api, f"HN-00{n}", subject=f"sup.{n}") for n in (1, 2, 3)]
    aid = assign(api, iid, team, kind="special", on="2024-03-18").json()["id"]
    lead = token_for(api, "supervisor", "sup.1", jurisdiction="hunan")
    visit: dict[str, Any] = {
        "assignment_id": aid,
        "mode": "on_site",
        "supervisors": team,
        "sessions": [],
        "checked": ["题库", "考评员"],
        "findings": [],
        "summary": "专项督导",
        "occurred_on": "2024-03-20",
    }
    filed = api.post(VISITS, visit, lead)
    assert filed.status_code == 201, filed.text
    api.clock.set("2024-03-31")
    return iid, filed.json()["id"], lead


def test_a_session_is_paused_and_resumed_by_the_supervisor_holding_the_assignment(
    api: Api,
) -> None:
    iid = institution(api)
    sid = supervisor(api, "HN-0101", subject="wang.dd")
    other = supervisor(api, "HN-0102", subject="zhao.dd")
    aid = assign(api, iid, [sid], on="2024-03-18").json()["id"]
    wang = token_for(api, "supervisor", "wang.dd", jurisdiction="hunan")
    zhao = token_for(api, "supervisor", "zhao.dd", jurisdiction="hunan")
    assert other
    pause = {"text": "考场未按一人一桌设置", "occurred_on": "2024-03-20"}
    assert api.post(f"{ASSIGNMENTS}/{aid}/sessions/S-1/pause", pause, zhao).status_code == 403
    assert api.post(f"{ASSIGNMENTS}/{aid}/sessions/S-1/pause", pause, wang).status_code == 200
    again = api.post(f"{ASSIGNMENTS}/{aid}/sessions/S-1/pause", pause, wang)
    assert again.status_code == 409
    resume = {"text": "现场调整座位后恢复", "occurred_on": "2024-03-20"}
    assert api.post(f"{ASSIGNMENTS}/{aid}/sessions/S-1/resume", resume, wang).status_code == 200
    events = api.get(f"/api/v1/institutions/{iid}/events").json()
    paused = next(e for e in events if e["type"] == "EvaluationPaused")
    assert paused["data"]["assignment_id"] == aid
    assert paused["actor"] == "wang.dd"
    assert events[-1]["type"] == "EvaluationResumed"


def test_a_session_not_correctable_is_stopped_by_the_regulator(api: Api) -> None:
    iid = institution(api)
    sid = supervisor(api, "HN-0201", subject="qian.dd")
    aid = assign(api, iid, [sid], on="2024-03-18").json()["id"]
    qian = token_for(api, "supervisor", "qian.dd", jurisdiction="hunan")
    pause = {"text": "组织舞弊", "occurred_on": "2024-03-20"}
    assert api.post(f"{ASSIGNMENTS}/{aid}/sessions/S-9/pause", pause, qian).status_code == 200
    stop = {
        "text": "现场无法完成整改，责令停止并宣布结果无效",
        "batch_id": "B-1",
        "occurred_on": "2024-03-21",
    }
    base = f"/api/v1/institutions/{iid}/sessions/S-9/stop"
    assert api.post(base, stop, qian).status_code == 403  # the centre orders the stop
    assert api.post(base, stop).status_code == 200
    assert api.get(f"/api/v1/institutions/{iid}/events").json()[-1]["type"] == "EvaluationStopped"


def test_special_supervision_ends_with_an_opinion_letter_and_a_report(api: Api) -> None:
    iid, vid, lead = special_visit(api)
    letter = {
        "opinions": ["完善题库", "补充考评员培训记录"],
        "report_days": 30,
        "occurred_on": "2024-03-25",
    }
    refused = api.post(f"{VISITS}/{vid}/opinion", letter, lead)
    assert refused.status_code == 403, refused.text
    assert api.post(f"{VISITS}/{vid}/opinion", letter).status_code == 200
    own = token_for(api, "institution", "inst.1", institution=iid)
    api.clock.set("2024-04-10")
    report = {"report": "已完成整改", "occurred_on": "2024-04-10"}
    assert api.post(f"{VISITS}/{vid}/rectification-report", report, own).status_code == 200
    api.clock.set("2024-06-01")
    assert "SupervisionReportOverdue" not in run_once(api.app)


def test_a_report_not_submitted_on_time_is_itself_a_finding(api: Api) -> None:
    iid, vid, _ = special_visit(api)
    letter = {"opinions": ["完善题库"], "report_days": 30, "occurred_on": "2024-03-25"}
    assert api.post(f"{VISITS}/{vid}/opinion", letter).status_code == 200
    api.clock.set("2024-04-24")
    assert "SupervisionReportOverdue" not in run_once(api.app)
    api.clock.set("2024-04-25")
    counts = run_once(api.app)
    assert counts["SupervisionReportOverdue"] == 1
    assert "SupervisionReportOverdue" not in run_once(api.app)
    found = [
        e
        for e in api.get(f"/api/v1/institutions/{iid}/events").json()
        if e["type"] == "FindingRecorded"
    ]
    assert found[-1]["data"]["rule_id"] == "hunan-2023/26.6"
    assert found[-1]["data"]["reference"] == vid


def test_a_daily_visit_gets_no_opinion_letter(api: Api) -> None:
    iid = institution(api)
    sid = supervisor(api, "HN-0301", subject="sun.dd")
    aid = assign(api, iid, [sid], on="2024-03-18").json()["id"]
    sun = token_for(api, "supervisor", "sun.dd", jurisdiction="hunan")
    visit = {
        "assignment_id": aid,
        "mode": "on_site",
        "supervisors": [sid],
        "sessions": [],
        "checked": ["考场"],
        "findings": [],
        "summary": "日常督导",
        "occurred_on": "2024-03-20",
    }
    vid = api.post(VISITS, visit, sun).json()["id"]
    api.clock.set("2024-03-31")
    refused = api.post(f"{VISITS}/{vid}/opinion", {"opinions": ["x"], "occurred_on": "2024-03-21"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "visit_id"


def test_card_and_term_expiry_are_recorded_once(api: Api) -> None:
    sid = supervisor(api, "HN-0401", certified="2023-09-01", appointed="2023-09-01")
    api.clock.set("2026-08-31")
    assert "SupervisorCardExpired" not in run_once(api.app)
    api.clock.set("2026-09-01")
    counts = run_once(api.app)
    assert counts["SupervisorCardExpired"] == 1
    assert counts["SupervisorTermEnded"] == 1
    assert run_once(api.app) == {}
    trail = [e["type"] for e in api.get(f"/api/v1/supervisors/{sid}/events").json()]
    assert trail[-2:] == ["SupervisorCardExpired", "SupervisorTermEnded"]
