"""Spot-check campaigns (双随机、一公开) through HTTP, on SQLite and PostgreSQL: the pools,
the draw and its assignments, publication, and the draw reproduced from its seed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bootstrap.cli import main
from config.settings import Settings
from tests.api.conftest import Api
from tests.api.supervision import (
    ASSIGNMENTS,
    CAMPAIGNS,
    RECUSAL,
    SUPERVISORS,
    assign,
    institution,
    supervisor,
    use_store,
)


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
