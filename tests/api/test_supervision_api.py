"""Supervisors, assignments, visits and spot-check campaigns through HTTP, on SQLite and
PostgreSQL: every refusal cites its article, and a draw is reproduced from its seed."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from api.settings import Settings
from tests.api.conftest import Api, code

SUPERVISORS = "/api/v1/supervisors"
ASSIGNMENTS = "/api/v1/assignments"
VISITS = "/api/v1/visits"
CAMPAIGNS = "/api/v1/campaigns"
RECUSAL = ["hunan-2023/12", "zhengzhou-2014/14"]

#: The request a scenario ends with, once its history is in place.
Attempt = Callable[[], Any]


# --- helpers -------------------------------------------------------------------------------


def institution(api: Api, n: int = 1, district: str = "长沙市", on: str = "2023-09-01") -> str:
    inst = api.approved(
        on,
        credit_code=code(n, "430100"),
        name=f"湖南第{n}职业技能评价中心",
        jurisdiction="hunan",
        district=district,
        occurred_on=on,
    )
    return str(inst["id"])


def supervisor(
    api: Api,
    card: str,
    *,
    certified: str = "2023-09-01",
    appointed: str | None = "2023-09-01",
    subject: str | None = None,
) -> str:
    response = api.post(
        SUPERVISORS,
        {
            "jurisdiction": "hunan",
            "kind": "external",
            "name": f"督导员{card}",
            "subject": subject or f"sup.{card.lower()}",
            "card_number": card,
            "occurred_on": certified,
        },
    )
    assert response.status_code == 201, response.text
    sid = str(response.json()["id"])
    if appointed:
        dated(api, f"{SUPERVISORS}/{sid}/appointments", appointed)
    return sid


def token_for(api: Api, role: str, subject: str, **scope: Any) -> dict[str, str]:
    secret = secrets.token_urlsafe(16)
    api.app.access.issue_token(secret, subject=subject, role=role, **scope)
    return {"Authorization": f"Bearer {secret}"}


def assign(
    api: Api,
    iid: str,
    supervisors: list[str],
    *,
    kind: str = "daily",
    on: str | None = None,
    sessions: list[dict[str, Any]] | None = None,
) -> Any:
    body: dict[str, Any] = {
        "institution_id": iid,
        "kind": kind,
        "supervisors": supervisors,
        "matters": ["考务管理"],
        "sessions": sessions or [],
    }
    if on:
        body["occurred_on"] = on
    return api.post(ASSIGNMENTS, body)


def dated(api: Api, path: str, on: str) -> None:
    """A command whose body is only its business date; it must succeed."""
    response = api.post(path, {"occurred_on": on})
    assert response.status_code == 200, response.text


def refused_with(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/rule-refusal"
    return sorted(response.json()["articles"])


def use_store(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("OVERSIGHT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OVERSIGHT_DATABASE_SCHEMA", settings.database_schema)


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
    assert api.get(f"{ASSIGNMENTS}/{aid}", own).status_code == 403  # no notice of inspections
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


# --- campaigns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Register:
    """Six institutions in 长沙市 (the campaign's district), one elsewhere, one cancelled;
    eight supervisors, the first in conflict with the first institution, the last suspended."""

    institutions: list[str]
    cancelled: str
    supervisors: list[str]

    @property
    def conflicted(self) -> str:
        return self.supervisors[0]


def register_for_a_campaign(api: Api) -> Register:
    institutions = [institution(api, n) for n in range(6)]
    institution(api, 99, district="株洲市")  # outside the campaign's district
    cancelled = institution(api, 98)
    gone = {"reason": "自愿注销", "occurred_on": "2024-01-05"}
    assert api.post(f"/api/v1/institutions/{cancelled}/cancellation", gone).status_code == 200
    sups = [supervisor(api, f"HN-{n:04d}") for n in range(8)]
    declared = {
        "institution_id": institutions[0],
        "relation": "曾任该机构考评员",
        "occurred_on": "2024-01-02",
    }
    assert api.post(f"{SUPERVISORS}/{sups[0]}/conflicts", declared).status_code == 200
    suspension = {
        "reason": "年度考核不合格",
        "articles": ["hunan-2023/30.2"],
        "occurred_on": "2024-02-01",
    }
    assert api.post(f"{SUPERVISORS}/{sups[7]}/suspension", suspension).status_code == 200
    return Register(institutions, cancelled, sups)


def special_campaign(api: Api) -> str:
    campaign = api.post(
        CAMPAIGNS,
        {
            "reference": "HN-CS-2024-Q2",
            "title": "2024年第二季度专项督导",
            "jurisdiction": "hunan",
            "district": "长沙市",
            "kind": "special",
            "matters": ["考务管理", "证书管理"],
            "target_count": 2,
            "group_size": 3,
            "planned_on": "2024-04-01",
        },
    )
    assert campaign.status_code == 201, campaign.text
    return str(campaign.json()["id"])


def assert_drawn_from_the_pools(result: dict[str, Any], register: Register) -> None:
    assert result["seed_source"] == "generated"
    assert len(result["seed"]) == 64
    assert result["institution_pool"] == sorted(register.institutions)
    assert result["institution_exclusions"] == [
        {"institution": register.cancelled, "reason": "filing cancelled"}
    ]
    assert result["supervisor_pool"] == sorted(register.supervisors[:7])
    assert [
        (x["supervisor"], x["codes"], x["articles"]) for x in result["supervisor_exclusions"]
    ] == [(register.supervisors[7], ["suspended"], ["hunan-2023/30.2"])]
    assert [
        (p["supervisor"], p["institution"], p["code"], p["articles"])
        for p in result["barred_pairs"]
    ] == [(register.conflicted, register.institutions[0], "conflict", RECUSAL)]


def assert_one_assignment_per_target(
    api: Api, cid: str, targets: list[dict[str, Any]], register: Register
) -> None:
    assert len(targets) == 2
    for target in targets:
        members = [s["id"] for s in target["supervisors"]]
        assert len(set(members)) == 3
        if target["institution"] == register.institutions[0]:
            assert register.conflicted not in members  # recused
        made = api.get(f"{ASSIGNMENTS}/{target['assignment_id']}").json()
        assert (made["campaign_id"], made["kind"], made["supervisors"]) == (cid, "special", members)


def published_draw(api: Api, cid: str, result: dict[str, Any]) -> dict[str, Any]:
    """Publish the draw; what anyone can download, without a token."""
    assert (
        api.post(f"{CAMPAIGNS}/{cid}/publication", {"occurred_on": "2024-03-20"}).status_code == 200
    )
    public = api.client.get(f"{CAMPAIGNS}/{cid}/publication")  # no token
    assert public.status_code == 200
    published: dict[str, Any] = public.json()
    assert published["seed"] == result["seed"]
    assert "reasons" not in json.dumps(published)  # supervisors' discipline is not disclosed
    assert published["excluded_supervisors"] == {"suspended": 1}
    return published


def assert_reproduced_by_the_cli(
    cid: str, published: dict[str, Any], saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify"]) == 0  # campaign, assignments and logs keep intact hash chains
    assert main(["draw", "verify", cid]) == 0
    assert "2 targets and their groups reproduced" in capsys.readouterr().out
    saved.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
    assert main(["draw", "verify", str(saved)]) == 0  # offline, from the download alone
    published["seed"] = "a seed chosen afterwards"
    saved.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
    assert main(["draw", "verify", str(saved)]) == 2
    assert "MISMATCH" in capsys.readouterr().err


def test_a_campaign_draws_publishes_and_is_reproduced_from_its_seed(
    api: Api,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    register = register_for_a_campaign(api)
    cid = special_campaign(api)
    assert api.client.get(f"{CAMPAIGNS}/{cid}/publication").status_code == 404  # not yet public

    drawn = api.post(f"{CAMPAIGNS}/{cid}/draw", {})

    assert drawn.status_code == 200, drawn.text
    result = drawn.json()["draw"]
    assert_drawn_from_the_pools(result, register)
    assert_one_assignment_per_target(api, cid, result["targets"], register)
    assert api.post(f"{CAMPAIGNS}/{cid}/draw", {}).status_code == 409  # drawn once
    verification = api.get(f"{CAMPAIGNS}/{cid}/verification").json()
    assert verification["matches"] is True
    assert [t["institution"] for t in verification["recomputed"]] == [
        t["institution"] for t in result["targets"]
    ]
    published = published_draw(api, cid, result)
    use_store(monkeypatch, settings)
    assert_reproduced_by_the_cli(cid, published, tmp_path / "published.json", capsys)


def test_a_supplied_seed_is_marked_and_the_same_pools_draw_the_same(api: Api) -> None:
    for n in range(5):
        institution(api, n)
    for n in range(6):
        supervisor(api, f"HN-{n:04d}")
    drawn = []
    for reference in ("HN-A", "HN-B"):
        body = {
            "reference": reference,
            "title": "日常督导抽查",
            "jurisdiction": "hunan",
            "kind": "daily",
            "matters": ["考场秩序"],
            "target_count": 2,
            "group_size": 1,
            "planned_on": "2024-03-25",
        }
        cid = api.post(CAMPAIGNS, body).json()["id"]
        response = api.post(f"{CAMPAIGNS}/{cid}/draw", {"seed": "上证指数2024-03-19收盘3079.69"})
        assert response.status_code == 200, response.text
        drawn.append(response.json()["draw"])
    assert [d["seed_source"] for d in drawn] == ["supplied", "supplied"]
    assert [t["institution"] for t in drawn[0]["targets"]] == [
        t["institution"] for t in drawn[1]["targets"]
    ]


def test_campaign_scope_follows_the_regulators_scope(api: Api) -> None:
    changsha = api.token("regulator", jurisdiction="hunan", district="长沙市")
    body = {
        "reference": "HN-1",
        "title": "专项督导",
        "jurisdiction": "hunan",
        "kind": "special",
        "matters": ["考务管理"],
        "target_count": 1,
        "group_size": 3,
        "planned_on": "2024-04-01",
    }
    assert api.post(CAMPAIGNS, body, changsha).status_code == 403
    assert api.post(CAMPAIGNS, {**body, "district": "长沙市"}, changsha).status_code == 201
    small = api.post(CAMPAIGNS, {**body, "reference": "HN-2", "group_size": 2})
    assert small.status_code == 422
    assert (small.json()["field"], small.json()["articles"]) == ("group_size", ["hunan-2023/18"])
    assert api.post(CAMPAIGNS, {**body, "district": "长沙市"}, changsha).status_code == 409


def test_the_draw_leaves_out_whoever_would_break_rotation(api: Api) -> None:
    iid = institution(api)
    sups = [supervisor(api, f"HN-{n:04d}") for n in range(4)]
    for day in ("2024-01-10", "2024-02-10", "2024-03-10"):
        assert assign(api, iid, [sups[0]], on=day).status_code == 201
    body = {
        "reference": "HN-ROT",
        "title": "日常督导抽查",
        "jurisdiction": "hunan",
        "kind": "special",
        "matters": ["考务管理"],
        "target_count": 1,
        "group_size": 3,
        "planned_on": "2024-04-01",
    }
    cid = api.post(CAMPAIGNS, body).json()["id"]
    late = api.post(f"{CAMPAIGNS}/{cid}/draw", {"occurred_on": "2024-04-02"})
    assert (late.status_code, late.json()["field"]) == (422, "occurred_on")  # after the plan

    headers = {**api.admin, "Idempotency-Key": "draw-HN-ROT"}
    first = api.post(f"{CAMPAIGNS}/{cid}/draw", {}, headers)
    replay = api.post(f"{CAMPAIGNS}/{cid}/draw", {}, headers)
    assert first.status_code == replay.status_code == 200, first.text
    assert replay.headers["Idempotent-Replay"] == "true"
    assert replay.json()["draw"]["seed"] == first.json()["draw"]["seed"]
    result = first.json()["draw"]
    assert [(p["supervisor"], p["code"], p["articles"]) for p in result["barred_pairs"]] == [
        (sups[0], "rotation", ["zhengzhou-2014/19"])
    ]
    [target] = result["targets"]
    assert sorted(s["id"] for s in target["supervisors"]) == sorted(sups[1:])


def test_an_unknown_supervisor_is_named_by_position(api: Api) -> None:
    iid = institution(api)
    known = supervisor(api, "HN-0001")
    response = assign(api, iid, [known, "00000000-0000-4000-8000-000000000000"])
    assert (response.status_code, response.json()["field"]) == (422, "supervisors.1")
