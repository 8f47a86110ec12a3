"""A store with a few real records of every kind, so that generated requests can name them.

An approved Chengdu institution with a decided and served case under appeal, an open
finding, a complaint and a pending scope change; a Hunan institution with three
supervisors, a special assignment with a session, its visit and a campaign. ``ids`` maps
each path parameter of the API to the real values it may take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.api.conftest import Api
from tests.api.ladder import Ladder
from tests.api.supervision import ASSIGNMENTS, CAMPAIGNS, VISITS, assign, institution, supervisor

BASE = "/api/v1/institutions"


@dataclass(frozen=True)
class Seeded:
    api: Api
    #: path parameter → the real values it may take
    ids: dict[str, list[str]]

    def position(self) -> int:
        """How many events the store holds: a refused request leaves it where it was."""
        return int(self.api.app.store.recorder.max_notification_id() or 0)


def created(api: Api, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.post(path, body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def _chengdu(api: Api) -> dict[str, list[str]]:
    iid = str(api.approved("2024-03-15")["id"])
    api.clock.set("2024-06-01")
    ladder = Ladder(api, iid)
    finding = ladder.finding("chengdu-2024/30.11", "2024-04-02")
    decision = ladder.case([finding], "2024-04-10", decide_on="2024-04-25")
    appeal = ladder.post(
        f"/decisions/{decision}/appeals",
        {"kind": "reconsideration", "grounds": "事实不清", "occurred_on": "2024-05-10"},
        201,
    )["appeal_id"]
    open_finding = ladder.finding("chengdu-2024/30.11", "2024-05-02")
    complaint = ladder.post(
        "/complaints",
        {"channel": "phone", "summary": "考场秩序混乱", "occurred_on": "2024-05-03"},
        201,
    )["complaint_id"]
    change = created(
        api,
        f"{BASE}/{iid}/scope-changes",
        {
            "scope": [{"occupation": "4-03-02-01", "levels": [2, 3, 4, 5]}],
            "test_sites": ["东大街考点"],
            "reason": "增加二级",
            "occurred_on": "2024-05-04",
        },
        200,
    )["pending_scope_change"]["change_id"]
    return {
        "iid": [iid],
        "finding_id": [finding, open_finding],
        "case_id": [ladder.case_id],
        "decision_id": [decision],
        "appeal_id": [appeal],
        "complaint_id": [complaint],
        "change_id": [change],
    }


def _hunan(api: Api) -> dict[str, list[str]]:
    iid = institution(api)
    team = [supervisor(api, f"HN-00{n}", subject=f"sup.{n}") for n in (1, 2, 3)]
    session = {"session_id": "S-1", "examiners": [], "internal_supervisors": []}
    response = assign(api, iid, team, kind="special", on="2024-05-20", sessions=[session])
    assert response.status_code == 201, response.text
    aid = str(response.json()["id"])
    visit = created(
        api,
        VISITS,
        {
            "assignment_id": aid,
            "mode": "on_site",
            "supervisors": team,
            "checked": ["题库", "考评员"],
            "summary": "专项督导",
            "occurred_on": "2024-05-21",
        },
    )["id"]
    campaign = created(
        api,
        CAMPAIGNS,
        {
            "reference": "HN-FUZZ",
            "title": "日常督导抽查",
            "jurisdiction": "hunan",
            "kind": "daily",
            "matters": ["考务管理"],
            "target_count": 1,
            "group_size": 1,
            "planned_on": "2024-06-30",
        },
    )["id"]
    assert api.get(f"{ASSIGNMENTS}/{aid}").status_code == 200
    return {
        "iid": [iid],
        "sid": team,
        "aid": [aid],
        "vid": [str(visit)],
        "cid": [str(campaign)],
        "session_id": ["S-1"],
    }


def seed(api: Api) -> Seeded:
    """Fill the store behind ``api``; its clock ends on 2024-06-01."""
    chengdu, hunan = _chengdu(api), _hunan(api)
    ids = {name: chengdu.get(name, []) + hunan.get(name, []) for name in {*chengdu, *hunan}}
    ids["rulebook_id"] = [r.id for r in api.app.ledger.catalogue]
    api.catch_up()
    return Seeded(api, ids)
