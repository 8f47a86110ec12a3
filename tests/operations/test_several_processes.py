"""Two API processes, two projection workers and two deadline watchers on one PostgreSQL
schema, as the compose file runs them (issue 17, item 2).

Filings are submitted through one API and approved through the other while one worker of
each kind is killed with SIGKILL. The standby of each kind takes the lead within seconds;
in the end every read model equals a fresh rebuild, and every deadline finding (the
inactivity findings of filings approved on 2024-03-15: one and two years without an
evaluation) is recorded exactly once. The metrics of every process are summed on either
API's ``/metrics``, and SIGTERM stops every process with exit status 0.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bootstrap import build_application
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from projections import READ_MODELS
from tests.api.conftest import code, filing
from tests.api.test_pages import parse_metrics
from tests.operations.processes import Deployment, deployment, eventually, readiness
from tests.reliability.test_worker_kill import fresh_hashes
from workers.deadlines import run_once

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

BASE = "/api/v1/institutions"
#: Institutions filed before the kills, and while they happen.
BEFORE, DURING = 12, 12
#: Deadline findings each filing approved on 2024-03-15 has by now (inactivity: 1 and 2 years).
FINDINGS_EACH = 2
HEARTBEAT = 0.3
#: A standby must have taken the lead within this many seconds of the kill.
TAKEOVER_LIMIT = 8.0
FINDING = "domain.events:FindingRecorded"
#: Attempts at a command answered 409 (a concurrent command changed a record it reads).
RETRIES = 10


@pytest.fixture
def app(deployment_settings: Settings) -> Iterator[OversightApplication]:
    with closing(build_application(deployment_settings)) as application:
        yield application


def file_and_approve(deployed: Deployment, admin: dict[str, str], n: int) -> str:
    """Submit through one API, approve through the other."""
    submit_via, approve_via = ("api-a", "api-b") if n % 2 else ("api-b", "api-a")
    with deployed.client(submit_via, admin) as http:
        body = filing(credit_code=code(n), name=f"机构{n}", kind="employer")
        created = http.post(BASE, json=body, headers={"X-Request-ID": f"ops-submit-{n}"})
    assert created.status_code == 201, created.text
    iid = str(created.json()["id"])
    with deployed.client(approve_via, admin) as http:
        for _ in range(RETRIES):  # approvals share the jurisdiction's roster: 409 on a race
            approved = http.post(f"{BASE}/{iid}/approval", json={"occurred_on": "2024-03-15"})
            if approved.status_code != 409:
                break
    assert approved.status_code == 200, approved.text
    return iid


def live_workers(deployed: Deployment) -> dict[str, list[dict[str, Any]]] | None:
    """The live heartbeats by kind, once both kinds have two and everything is led."""
    body = readiness(deployed, "api-a")
    live = [h for h in body["heartbeats"] if not h["stale"]]
    by_kind = {k: [h for h in live if h["kind"] == k] for k in ("projections", "deadlines")}
    if body["status"] != "ready" or any(len(v) != 2 for v in by_kind.values()):
        return None
    return by_kind


def leader(beats: list[dict[str, Any]]) -> dict[str, Any]:
    return max(beats, key=lambda h: len(h["leader_of"]))


def leads(body: dict[str, Any], kind: str, survivor: int, wanted: set[str]) -> bool:
    """Whether /readyz shows ``survivor`` alive and leading ``wanted``."""
    return any(
        h["pid"] == survivor and not h["stale"] and wanted <= set(h["leader_of"])
        for h in body["heartbeats"]
        if h["kind"] == kind
    )


def findings_by_institution(app: OversightApplication) -> Counter[str]:
    notes = app.store.recorder.select_notifications(start=1, limit=10_000_000)
    return Counter(str(n.originator_id) for n in notes if n.topic == FINDING)


def test_two_of_each_process_with_one_worker_of_each_kind_killed_agree_with_a_rebuild(
    deployment_settings: Settings, app: OversightApplication, tmp_path: Path
) -> None:
    started = time.monotonic()
    secret = secrets.token_urlsafe(16)
    app.access.issue_token(secret, subject="admin.ops", role="admin")
    admin = {"Authorization": f"Bearer {secret}"}
    quick = {
        "OVERSIGHT_WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "OVERSIGHT_WORKER_STALE_SECONDS": str(HEARTBEAT * 5),
        "OVERSIGHT_DEADLINE_INTERVAL_SECONDS": "0.5",
    }
    with deployment(deployment_settings, tmp_path, **quick) as deployed:
        workers = {
            name: deployed.start(name, "worker", kind)
            for name, kind in (
                ("projections-1", "projections"),
                ("projections-2", "projections"),
                ("deadlines-1", "deadlines"),
                ("deadlines-2", "deadlines"),
            )
        }
        for api in ("api-a", "api-b"):
            deployed.serve(api)
        by_kind = eventually(
            lambda: live_workers(deployed), "two live workers of each kind", 120, deployed
        )
        projection_names = {make().name for make in READ_MODELS}

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda n: file_and_approve(deployed, admin, n), range(BEFORE)))
            during = [
                pool.submit(file_and_approve, deployed, admin, n)
                for n in range(BEFORE, BEFORE + DURING)
            ]
            time.sleep(0.3)  # the load under way
            victims = {kind: leader(beats) for kind, beats in by_kind.items()}
            by_pid = {p.pid: p for p in workers.values()}
            killed_at = time.monotonic()
            for beat in victims.values():
                by_pid[beat["pid"]].kill()
            survivors = {
                kind: next(h["pid"] for h in beats if h["pid"] != victims[kind]["pid"])
                for kind, beats in by_kind.items()
            }
            wanted = {"projections": projection_names, "deadlines": {"deadlines"}}
            takeover: dict[str, float] = {}

            def both_taken_over() -> bool:
                body = readiness(deployed, "api-b")
                for kind, survivor in survivors.items():
                    if kind not in takeover and leads(body, kind, survivor, wanted[kind]):
                        takeover[kind] = time.monotonic() - killed_at
                return len(takeover) == len(survivors)

            eventually(both_taken_over, "the standbys leading", TAKEOVER_LIMIT, deployed)
            iids = [f.result() for f in during]
        assert len(iids) == DURING

        expected = (BEFORE + DURING) * FINDINGS_EACH
        eventually(
            lambda: sum(findings_by_institution(app).values()) >= expected,
            "every deadline finding recorded",
            30,
            deployed,
        )
        time.sleep(1.5)  # three more passes of the survivor: nothing more is due
        findings = findings_by_institution(app)
        assert len(findings) == BEFORE + DURING
        assert set(findings.values()) == {FINDINGS_EACH}  # each exactly once
        assert run_once(app) == {}  # and nothing left undone

        head = app.store.recorder.max_notification_id()
        with closing(build_projections(deployment_settings, app)) as read_models:
            eventually(
                lambda: all(p.position() >= head for p in read_models.values()),
                "every read model caught up",
                30,
                deployed,
            )
            assert {n: p.content_hash() for n, p in read_models.items()} == fresh_hashes(
                deployment_settings, app
            )

        with deployed.client("api-a") as http:
            families = parse_metrics(http.get("/metrics").text)
        created = [
            v
            for labels, v in families["oversight_http_requests_total"]
            if labels["route"] == BASE and labels["method"] == "POST" and labels["status"] == "201"
        ]
        assert sum(created) == BEFORE + DURING  # counted by both APIs, summed on one
        submitted = [
            v
            for labels, v in families["oversight_command_duration_seconds_count"]
            if labels["command"] == "submit_filing"
        ]
        assert sum(submitted) == BEFORE + DURING
        assert sum(v for _, v in families["oversight_projection_lag_seconds_count"]) > 0

        logged = {
            record["request_id"]
            for api in ("api-a", "api-b")
            for line in deployed.processes_named(api).output().splitlines()
            if line.startswith("{")
            for record in [json.loads(line)]  # structured JSON lines, one per event
            if record["event"] == "request" and record["method"] == "POST"
        }
        assert {f"ops-submit-{n}" for n in range(BEFORE + DURING)} <= logged

        exits = {p.name: p.terminate() for p in deployed.processes if p.popen.poll() is None}
        assert exits == dict.fromkeys(exits, 0), deployed.outputs()
        assert len(exits) == 4  # both APIs and the two survivors
    elapsed = time.monotonic() - started
    print(f"takeover after SIGKILL: {takeover}; whole test {elapsed:.1f} s")
