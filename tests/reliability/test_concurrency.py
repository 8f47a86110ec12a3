"""Concurrent commands cannot corrupt an institution's history (product.md points 1 and 9).

Real threads against a real uvicorn serving the production app on PostgreSQL: every
command either lands whole (2xx) or is refused with 409, the history holds exactly the
accepted ones, and the hash chain still verifies.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import pytest

from domain.roster import roster_id
from tests.reliability.server import (
    BASE,
    LiveServer,
    all_at_once,
    commands_recording,
    wait_for,
    writes_held,
)

pytestmark = pytest.mark.postgres

CONTENDERS = 32
#: Copies of one request sent at once under one Idempotency-Key.
TWINS = 8
OCCUPATION = "4-03-02-01"  # the filings' scope (tests.api.conftest.filing)


def details_change(n: int) -> dict[str, Any]:
    return {"contact": {"name": f"联系人{n}", "phone": f"028-{n:08d}"}, "occurred_on": "2024-03-16"}


def complaint(n: int) -> dict[str, Any]:
    return {"channel": "phone", "summary": f"投诉{n}", "occurred_on": "2024-03-16"}


def assert_chain_intact(live: LiveServer, iid: str, events: int) -> None:
    with live.client() as http:
        integrity = http.get(f"{BASE}/{iid}/integrity").json()
    assert (integrity["intact"], integrity["events"]) == (True, events)
    assert integrity.get("first_break_at") is None
    assert live.app.records.verify_aggregate(uuid.UUID(iid)) is None


def test_32_conflicting_commands_each_land_whole_or_get_409(live: LiveServer) -> None:
    iid = live.submit(1)
    assert live.approve(iid).status_code == 200
    start = len(live.events(iid))
    http = live.client()

    def command(n: int) -> Callable[[], httpx.Response]:
        headers = {**live.admin, "X-Request-ID": f"contender-{n:02d}"}
        if n % 4 == 0:  # these name the version they saw: at most one of them can land
            headers["If-Match"] = f'"{start}"'
        if n % 2:
            path, body = f"{BASE}/{iid}/complaints", complaint(n)
        else:
            path, body = f"{BASE}/{iid}/details", details_change(n)
        return lambda: http.post(path, json=body, headers=headers)

    with http:
        responses = all_at_once([command(n) for n in range(CONTENDERS)])

    statuses = {f"contender-{n:02d}": r.status_code for n, r in enumerate(responses)}
    assert set(statuses.values()) <= {200, 201, 409}, statuses
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["content-type"] == "application/problem+json"
    accepted = {rid for rid, status in statuses.items() if status < 300}
    assert accepted, "at least one contender lands"
    assert sum(1 for n in range(0, CONTENDERS, 4) if statuses[f"contender-{n:02d}"] < 300) <= 1

    history = live.events(iid)
    new = history[start:]
    assert sorted(e["request_id"] for e in new) == sorted(accepted)
    assert [e["version"] for e in history] == list(range(1, len(history) + 1))
    recorded = {e["request_id"]: e["version"] for e in new}
    for n, response in enumerate(responses):
        if response.status_code < 300 and n % 2:  # a command result names its own version
            assert response.json()["version"] == recorded[f"contender-{n:02d}"]
        elif response.status_code < 300:  # the record as it is now: that version or later
            assert response.json()["version"] >= recorded[f"contender-{n:02d}"]
    assert_chain_intact(live, iid, len(history))


def send_twins(
    live: LiveServer, http: httpx.Client, target: str, command: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Send one command TWINS times at once under one new key; the one answer they all get."""
    before = len(live.events(target))
    key = {**live.admin, "Idempotency-Key": uuid.uuid4().hex}
    path = f"{BASE}/{target}/{command}"
    twins = all_at_once([partial(http.post, path, json=body, headers=key) for _ in range(TWINS)])

    assert {r.status_code for r in twins} <= {200, 201}, [r.text for r in twins]
    assert len({r.status_code for r in twins}) == 1
    answers = [r.json() for r in twins]
    assert all(a == answers[0] for a in answers), [
        {k: v for k, v in a.items() if v is not None} for a in answers
    ]
    history = live.events(target)
    assert len(history) == before + 1, f"{command}: {history[before:]}"
    assert answers[0]["version"] == before + 1
    return answers[0]


def test_one_idempotency_key_sent_at_once_records_one_event_and_one_answer(
    live: LiveServer,
) -> None:
    """Twins racing past the replay check: the first records, the others answer with it.

    Some commands can be repeated (a complaint, a change of details), and a late twin would
    record a second one; others refuse a repeat (verifying a verified complaint, approving
    an approved filing), and a late twin would answer with the refusal.
    """
    iid = live.submit(2)
    assert live.approve(iid).status_code == 200
    pending = [live.submit(n, kind="employer") for n in (3, 4, 5)]  # outside the cap
    verified = {"substantiated": False, "reason": "查无实据", "occurred_on": "2024-03-18"}
    with live.client() as http:
        complaints = [send_twins(live, http, iid, "complaints", complaint(n)) for n in range(3)]
        for answer in complaints:
            send_twins(
                live, http, iid, f"complaints/{answer['complaint_id']}/verification", verified
            )
        for n in range(3):
            send_twins(live, http, iid, "details", details_change(n))
        for target in pending:
            send_twins(live, http, target, "approval", {"occurred_on": "2024-03-15"})
    for target in (iid, *pending):
        assert_chain_intact(live, target, len(live.events(target)))


def recording(live: LiveServer) -> int:
    return commands_recording(httpx.get(f"{live.url}/metrics", headers=live.admin).text)


@pytest.mark.parametrize(
    ("jurisdiction", "district", "area", "article"),
    [
        ("chengdu", "锦江区", "510104", "chengdu-2024/8"),
        ("huangshi", "黄石港区", "420202", "huangshi-2022/12"),
    ],
    ids=["chengdu", "huangshi"],
)
def test_two_regulators_approving_the_last_place_under_a_cap_one_wins(
    live: LiveServer, jurisdiction: str, district: str, area: str, article: str
) -> None:
    """Both see one place left; the roster's version lets only one of them take it."""
    where = {"jurisdiction": jurisdiction, "district": district}
    for n in (10, 11):
        assert live.approve(live.submit(n, area, **where)).status_code == 200
    contenders = [live.submit(n, area, **where) for n in (20, 21)]
    regulators = [live.token("regulator", jurisdiction=jurisdiction) for _ in contenders]

    with ThreadPoolExecutor(max_workers=2) as pool:
        with writes_held(live.settings) as waiting:
            # Both load the institution and the roster with one place left, decide, and
            # wait at their write; then both write at once.
            pending = [
                pool.submit(live.approve, iid, r)
                for iid, r in zip(contenders, regulators, strict=True)
            ]
            # One transaction waits for the lock, for both (one group of commands).
            wait_for(
                lambda: waiting() == 1 and recording(live) == 2,
                timeout=20,
                what="both approvals to reach the store",
            )
        responses = [p.result(timeout=60) for p in pending]

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner, loser = (
        c
        for _, c in sorted(zip(responses, contenders, strict=True), key=lambda x: x[0].status_code)
    )
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.headers["content-type"] == "application/problem+json"

    roster = live.app.store.repository.get(roster_id(jurisdiction, OCCUPATION))
    assert winner in roster.holders
    assert loser not in roster.holders
    assert len(roster.holders) == 3
    assert [e["type"] for e in live.events(loser)] == ["FilingSubmitted"]
    again = live.approve(loser, regulators[1])
    assert again.status_code == 422
    assert again.json()["articles"] == [article]
