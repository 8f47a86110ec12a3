"""Supervisors, assignments and visits through HTTP, on SQLite and PostgreSQL: every
refusal cites its article, and a visit's findings enter the institution's file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bootstrap.cli import main
from config.settings import Settings
from tests.api.conftest import Api
from tests.api.supervision import (
    ASSIGNMENTS,
    RECUSAL,
    SUPERVISORS,
    VISITS,
    assign,
    dated,
    institution,
    refused_with,
    supervisor,
    token_for,
    use_store,
)

#: The request a scenario ends with, once its history is in place.
Attempt = Callable[[], Any]


# --- supervisors ---------------------------------------------------------------------------


def test_certify_appoint_and_read_a_supervisor(api: Api) -> None:
    created = api.post(
        SUPERVISORS,
        {
            "jurisdiction": "hunan",
            "kind": "external",
            "name": "张督导",
            "subject": "zhang.dd",
            "card_number": "hn-wd-0001",
            "occurred_on": "2023-09-01",
        },
    )
    assert created.status_code == 201, created.text
    sup = created.json()
    assert (sup["card_number"], sup["card_valid_until"]) == ("HN-WD-0001", "2026-08-31")
    assert sup["card_articles"] == ["zhengzhou-2014/5"]
    assert [(b["code"], b["articles"]) for b in sup["bars"]] == [
        ("not_appointed", ["hunan-2023/8"])
    ]
    sid = sup["id"]

    appointed = api.post(f"{SUPERVISORS}/{sid}/appointments", {"occurred_on": "2023-09-15"})
    assert appointed.json()["terms"] == [
        {"term": 1, "starts_on": "2023-09-15", "ends_on": "2026-09-14"}
    ]
    assert appointed.json()["bars"] == []
    assert appointed.headers["ETag"] == '"2"'

    again = api.post(
        SUPERVISORS,
        {
            "jurisdiction": "hunan",
            "kind": "external",
            "name": "另一人",
            "subject": "other",
            "card_number": "HN-WD-0001",
        },
    )
    assert again.status_code == 409
    assert (again.json()["field"], again.json()["existing"]) == ("card_number", sid)

    reviewer = api.token("reviewer")
    assert api.get(f"{SUPERVISORS}/{sid}", reviewer).status_code == 200
    listed = api.get(SUPERVISORS, reviewer, jurisdiction="hunan").json()
    assert [s["id"] for s in listed] == [sid]
    review = {"year": 2023, "passed": True, "occurred_on": "2024-01-10"}
    assert api.post(f"{SUPERVISORS}/{sid}/annual-reviews", review, reviewer).status_code == 403
    assert api.post(f"{SUPERVISORS}/{sid}/annual-reviews", review).status_code == 200
    trail = api.get(f"{SUPERVISORS}/{sid}/events", reviewer).json()
    assert [e["type"] for e in trail] == [
        "SupervisorCertified",
        "SupervisorAppointed",
        "AnnualReviewRecorded",
    ]
    elsewhere = api.token("reviewer", jurisdiction="chengdu")
    assert api.get(f"{SUPERVISORS}/{sid}", elsewhere).status_code == 403


def test_a_district_regulator_manages_only_its_districts_supervisors(api: Api) -> None:
    changsha = api.token("regulator", jurisdiction="hunan", district="长沙市")
    body = {
        "jurisdiction": "hunan",
        "kind": "external",
        "name": "李",
        "subject": "li",
        "card_number": "HN-1",
    }
    assert api.post(SUPERVISORS, body, changsha).status_code == 403  # jurisdiction-wide record
    assert api.post(SUPERVISORS, {**body, "district": "长沙市"}, changsha).status_code == 201
    zhuzhou = {**body, "district": "株洲市", "card_number": "HN-2"}
    assert api.post(SUPERVISORS, zhuzhou, changsha).status_code == 403


# --- every refusal with its article --------------------------------------------------------


def card_lapsed(api: Api) -> Attempt:
    api.clock.set("2026-10-01")
    iid = institution(api)
    # card valid until 2026-08-31, term until 2027-05-31
    sid = supervisor(api, "HN-0001", certified="2023-09-01", appointed="2024-06-01")
    return lambda: assign(api, iid, [sid])


def term_lapsed(api: Api) -> Attempt:
    api.clock.set("2026-10-01")
    iid = institution(api)
    # term until 2026-08-31; a new card until 2029-05-31
    sid = supervisor(api, "HN-0001", certified="2023-09-01", appointed="2023-09-01")
    dated(api, f"{SUPERVISORS}/{sid}/card-renewal", "2026-06-01")
    return lambda: assign(api, iid, [sid])


def fourth_term(api: Api) -> Attempt:
    sid = supervisor(api, "HN-0001", certified="2023-09-01", appointed="2023-09-01")
    api.clock.set("2032-09-01")
    for renewed, appointed in (("2026-08-01", "2026-09-01"), ("2029-08-01", "2029-09-01")):
        dated(api, f"{SUPERVISORS}/{sid}/card-renewal", renewed)
        dated(api, f"{SUPERVISORS}/{sid}/appointments", appointed)
    dated(api, f"{SUPERVISORS}/{sid}/card-renewal", "2032-08-01")
    return lambda: api.post(f"{SUPERVISORS}/{sid}/appointments", {"occurred_on": "2032-09-01"})


def declared_conflict(api: Api) -> Attempt:
    iid = institution(api)
    sid = supervisor(api, "HN-0001", subject="zhang.dd")
    own = token_for(api, "supervisor", "zhang.dd", jurisdiction="hunan")
    declared = api.post(
        f"{SUPERVISORS}/{sid}/conflicts",
        {"institution_id": iid, "relation": "配偶任该机构考务负责人", "occurred_on": "2024-01-02"},
        own,
    )
    assert declared.status_code == 200, declared.text
    return lambda: assign(api, iid, [sid])


def examiner_of_the_session(api: Api) -> Attempt:
    iid = institution(api)
    sid = supervisor(api, "HN-0001")
    session = {"session_id": "2024-03-批次1", "examiners": ["hn-0001"], "internal_supervisors": []}
    return lambda: assign(api, iid, [sid], sessions=[session])


def internal_supervisor_of_the_session(api: Api) -> Attempt:
    iid = institution(api)
    sid = supervisor(api, "HN-0001")
    session = {"session_id": "2024-03-批次1", "examiners": [], "internal_supervisors": ["HN-0001"]}
    return lambda: assign(api, iid, [sid], sessions=[session])


def fourth_consecutive_assignment(api: Api) -> Attempt:
    iid = institution(api)
    sid = supervisor(api, "HN-0001")
    for day in ("2024-01-10", "2024-02-10", "2024-03-10"):
        assert assign(api, iid, [sid], on=day).status_code == 201
    return lambda: assign(api, iid, [sid])


def special_group_of_two(api: Api) -> Attempt:
    iid = institution(api)
    pair = [supervisor(api, "HN-0001"), supervisor(api, "HN-0002")]
    return lambda: assign(api, iid, pair, kind="special")


def suspended(api: Api) -> Attempt:
    iid = institution(api)
    sid = supervisor(api, "HN-0001")
    body = {
        "reason": "无故拒绝参加督导任务",
        "articles": ["hunan-2023/30.1"],
        "occurred_on": "2024-02-01",
    }
    assert api.post(f"{SUPERVISORS}/{sid}/suspension", body).status_code == 200
    return lambda: assign(api, iid, [sid])


@pytest.mark.parametrize(
    ("scenario", "articles"),
    [
        (card_lapsed, ["zhengzhou-2014/5"]),
        (term_lapsed, ["hunan-2023/8"]),
        (fourth_term, ["hunan-2023/8"]),
        (declared_conflict, RECUSAL),
        (examiner_of_the_session, RECUSAL),
        (internal_supervisor_of_the_session, RECUSAL),
        (fourth_consecutive_assignment, ["zhengzhou-2014/19"]),
        (special_group_of_two, ["hunan-2023/18"]),
        (suspended, ["hunan-2023/30.1"]),
    ],
    ids=lambda v: v.__name__ if callable(v) else "-".join(v),
)
def test_each_refusal_cites_its_article_and_writes_nothing(
    api: Api, scenario: Callable[[Api], Attempt], articles: list[str]
) -> None:
    attempt = scenario(api)
    before = api.app.store.recorder.max_notification_id()
    assert refused_with(attempt()) == articles
    assert api.app.store.recorder.max_notification_id() == before


def test_rotation_restarts_once_the_institution_is_supervised_by_someone_else(api: Api) -> None:
    iid = institution(api)
    a, b = supervisor(api, "HN-0001"), supervisor(api, "HN-0002")
    for day in ("2024-01-10", "2024-02-10", "2024-03-10"):
        assert assign(api, iid, [a], on=day).status_code == 201
    withdrawn = assign(api, iid, [b], on="2024-03-15").json()
    cancel = {"reason": "计划调整", "occurred_on": "2024-03-16"}
    assert api.post(f"{ASSIGNMENTS}/{withdrawn['id']}/withdrawal", cancel).status_code == 200
    # the withdrawn assignment does not count, so it does not break A's run either
    assert refused_with(assign(api, iid, [a])) == ["zhengzhou-2014/19"]

    assert assign(api, iid, [b], on="2024-03-18").status_code == 201
    again = assign(api, iid, [a])
    assert again.status_code == 201, again.text
    assert again.json()["number"] == 6


# --- visits --------------------------------------------------------------------------------


def visit_with_two_findings(aid: str, sid: str) -> dict[str, Any]:
    """A visit record by ``sid``: a breach, and a refusal to cooperate (a finding of its own)."""
    return {
        "assignment_id": aid,
        "mode": "on_site",
        "supervisors": [sid],
        "sessions": [
            {"session_id": "S-1", "examiners": ["KP-9"], "internal_supervisors": ["NB-3"]}
        ],
        "checked": ["考场秩序", "考生资格", "档案资料"],
        "findings": [
            {
                "rule_id": "hunan-2023/25.9",
                "severity": "minor",
                "occurred_on": "2024-03-20",
                "facts": "2023年第4批次档案缺少考评记录",
            },
            {
                "rule_id": "hunan-2023/31.1",
                "severity": "minor",
                "occurred_on": "2024-03-20",
                "facts": "拒绝提供考生报名材料",
            },
        ],
        "summary": "现场督导，发现两项问题",
        "occurred_on": "2024-03-20",
    }


def assert_only_its_holder_may_file(
    api: Api, visit: dict[str, Any], holder: dict[str, str], other: str
) -> None:
    li = token_for(api, "supervisor", "li.dd", jurisdiction="hunan")
    assert api.post(VISITS, visit, li).status_code == 403  # does not hold it
    with_other = {**visit, "supervisors": [*visit["supervisors"], other]}
    assert api.post(VISITS, with_other, holder).status_code == 422
    chengdu = api.token("regulator", jurisdiction="chengdu")
    assert api.post(VISITS, visit, chengdu).status_code == 403
    recused = {
        **visit,
        "sessions": [{"session_id": "S-1", "examiners": ["HN-0001"], "internal_supervisors": []}],
    }
    assert refused_with(api.post(VISITS, recused, holder)) == RECUSAL


def assert_findings_entered_the_file(api: Api, iid: str, record: dict[str, Any]) -> None:
    assert [(f["rule_id"], f["finding_id"] is not None) for f in record["findings"]] == [
        ("hunan-2023/25.9", True),
        ("hunan-2023/31.1", True),  # non-cooperation is a finding of its own
    ]
    assert record["checked"] == ["考场秩序", "考生资格", "档案资料"]
    events = api.get(f"/api/v1/institutions/{iid}/events").json()
    found = [e for e in events if e["type"] == "FindingRecorded"]
    assert [(e["data"]["finding_id"], e["data"]["source"]) for e in found] == [
        (f["finding_id"], "supervision") for f in record["findings"]
    ]
    assert all(e["actor"] == "zhang.dd" for e in found)
    assert found[0]["data"]["reference"] == f"visit {record['id']}"


def assert_trails_and_readers(api: Api, iid: str, aid: str, record: dict[str, Any]) -> None:
    reviewer = api.token("reviewer", jurisdiction="hunan")
    trail = api.get(f"{VISITS}/{record['id']}/events", reviewer).json()
    assert [(e["type"], e["occurred_on"], e["actor"]) for e in trail] == [
        ("SupervisionVisitRecorded", "2024-03-20", "zhang.dd")
    ]
    assert [e["type"] for e in api.get(f"{ASSIGNMENTS}/{aid}/events", reviewer).json()] == [
        "AssignmentMade",
        "VisitFiled",
    ]
    held = api.get(f"{ASSIGNMENTS}/{aid}").json()
    assert held["visits"] == [{"visit_id": record["id"], "visited_on": "2024-03-20"}]
    own = token_for(api, "institution", "inst.user", institution=iid)
    assert api.get(f"{ASSIGNMENTS}/{aid}", own).status_code == 404  # no notice of inspections
    assert api.get(f"{VISITS}/{record['id']}", own).status_code == 200


def test_a_supervisor_files_visits_only_under_an_assignment_it_holds(api: Api) -> None:
    iid = institution(api)
    a = supervisor(api, "HN-0001", subject="zhang.dd")
    b = supervisor(api, "HN-0002", subject="li.dd")
    aid = assign(api, iid, [a], on="2024-03-18").json()["id"]
    zhang = token_for(api, "supervisor", "zhang.dd", jurisdiction="hunan")
    visit = visit_with_two_findings(aid, a)
    assert_only_its_holder_may_file(api, visit, zhang, b)

    filed = api.post(VISITS, visit, zhang)

    assert filed.status_code == 201, filed.text
    assert_findings_entered_the_file(api, iid, filed.json())
    assert_trails_and_readers(api, iid, aid, filed.json())
    withdraw = {"reason": "误派", "occurred_on": "2024-03-20"}
    assert api.post(f"{ASSIGNMENTS}/{aid}/withdrawal", withdraw).status_code == 409


def test_visit_records_keep_their_hash_chains(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = institution(api)
    sid = supervisor(api, "HN-0001")
    aid = assign(api, iid, [sid], on="2024-03-18").json()["id"]
    body = {
        "assignment_id": aid,
        "mode": "remote_video",
        "supervisors": [sid],
        "checked": ["远程监控"],
        "findings": [
            {
                "rule_id": "hunan-2023/25.3",
                "severity": "serious",
                "occurred_on": "2024-03-19",
                "facts": "考场监控缺失",
            }
        ],
        "occurred_on": "2024-03-19",
    }
    assert api.post(VISITS, body).status_code == 201
    use_store(monkeypatch, settings)
    assert main(["verify"]) == 0


def test_an_unknown_supervisor_is_named_by_position(api: Api) -> None:
    iid = institution(api)
    known = supervisor(api, "HN-0001")
    response = assign(api, iid, [known, "00000000-0000-4000-8000-000000000000"])
    assert (response.status_code, response.json()["field"]) == (422, "supervisors.1")


# --- the record routes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "param", "noun"),
    [
        (SUPERVISORS, "sid", "supervisor"),
        (ASSIGNMENTS, "aid", "assignment"),
        (VISITS, "vid", "visit"),
        ("/api/v1/campaigns", "cid", "campaign"),
    ],
)
def test_each_kind_of_record_is_read_and_its_audit_trail_listed_by_the_same_routes(
    api: Api, prefix: str, param: str, noun: str
) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    one, trail = paths[f"{prefix}/{{{param}}}"]["get"], paths[f"{prefix}/{{{param}}}/events"]
    assert one["operationId"].startswith(f"get_{noun}_")
    assert trail["get"]["operationId"].startswith(f"{noun}_events_")
    assert _named(trail["get"]) == [param]
    assert _named(one) == ([param, "version"] if noun == "supervisor" else [param])
    unknown = "00000000-0000-4000-8000-000000000000"
    assert api.get(f"{prefix}/{unknown}").status_code == 404
    assert api.get(f"{prefix}/{unknown}/events").status_code == 404


def _named(operation: dict[str, Any]) -> list[str]:
    """The path and query parameters of an operation (not the headers)."""
    return [p["name"] for p in operation["parameters"] if p["in"] in ("path", "query")]


def test_a_supervisor_is_read_at_a_past_version_with_its_etag(api: Api) -> None:
    sid = supervisor(api, "HN-WD-0042")
    now = api.get(f"{SUPERVISORS}/{sid}")
    before = api.get(f"{SUPERVISORS}/{sid}", version=1)
    assert (now.headers["ETag"], before.headers["ETag"]) == ('"2"', '"1"')
    assert (len(now.json()["terms"]), before.json()["terms"]) == (1, [])
    trail = api.get(f"{SUPERVISORS}/{sid}/events").json()
    assert [e["type"] for e in trail] == ["SupervisorCertified", "SupervisorAppointed"]
