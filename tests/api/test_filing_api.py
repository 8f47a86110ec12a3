"""The filing register through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.api.conftest import Api, code, filing

BASE = "/api/v1/institutions"


def test_submit_approve_renewal_window_and_renewal(api: Api) -> None:
    inst = api.approved("2024-03-15")
    assert inst["status"] == "active"
    assert inst["valid_until"] == "2027-03-14"
    assert inst["renewal_window"]["opens_on"] == "2026-12-15"
    iid = inst["id"]

    api.clock.set("2026-12-01")
    early = api.post(f"{BASE}/{iid}/renewal", {"occurred_on": "2026-12-01"})
    assert early.status_code == 422
    assert early.headers["content-type"] == "application/problem+json"
    assert early.json()["articles"] == ["chengdu-2024/14"]

    api.clock.set("2027-01-05")
    asked = api.post(f"{BASE}/{iid}/renewal", {"occurred_on": "2027-01-05"})
    assert asked.status_code == 200, asked.text
    assert asked.json()["renewal_requested_on"] == "2027-01-05"

    renewed = api.post(f"{BASE}/{iid}/renewal/approval", {"occurred_on": "2027-01-05"})
    assert renewed.json()["valid_until"] == "2030-03-14"
    names = [e["type"] for e in api.get(f"{BASE}/{iid}/events").json()]
    assert names == ["FilingSubmitted", "FilingApproved", "RenewalRequested", "RenewalApproved"]


def test_expiry_then_lapse_with_the_injected_clock(api: Api) -> None:
    from workers.deadlines import run_once

    iid = api.approved("2024-03-15")["id"]

    def filing_events() -> dict[str, int]:
        counts = run_once(api.app)
        return {k: v for k, v in counts.items() if k.startswith("Filing")}

    api.clock.set("2027-03-14")
    assert filing_events() == {}
    api.clock.set("2027-03-15")
    assert filing_events() == {"FilingExpired": 1}
    assert filing_events() == {}
    assert api.get(f"{BASE}/{iid}").json()["status"] == "expired"
    api.clock.set("2027-05-15")
    assert filing_events() == {"FilingLapsed": 1}
    assert run_once(api.app) == {}
    events = [e for e in api.get(f"{BASE}/{iid}/events").json() if e["type"].startswith("Filing")]
    assert [(e["type"], e["occurred_on"], e["actor"]) for e in events[-2:]] == [
        ("FilingExpired", "2027-03-15", "deadline-worker"),
        ("FilingLapsed", "2027-05-15", "deadline-worker"),
    ]


def test_second_filing_for_the_same_code_gets_409_naming_the_record(api: Api) -> None:
    first = api.submit()
    again = api.post(BASE, filing(name="另一个名称"))
    assert again.status_code == 409
    problem = again.json()
    assert problem["existing"] == first["id"]
    assert problem["field"] == "credit_code"
    assert "already has a submitted filing" in problem["detail"]
    api.post(f"{BASE}/{first['id']}/approval", {"occurred_on": "2024-03-15"})
    active = api.post(BASE, filing(name="另一个名称")).json()
    assert "already has an active filing" in active["detail"]


def test_bad_credit_code_gets_422_naming_the_field_and_writes_nothing(api: Api) -> None:
    good = filing()["credit_code"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = api.app.store.recorder.max_notification_id()
    response = api.post(BASE, filing(credit_code=bad))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "credit_code"
    assert "check character" in response.json()["detail"]
    assert api.app.store.recorder.max_notification_id() == before


def test_schema_errors_are_problems_naming_each_field(api: Api) -> None:
    body = filing(kind="school")
    body["scope"] = [{"occupation": "4-03", "levels": []}]
    response = api.post(BASE, body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"kind", "scope.0.occupation", "scope.0.levels"} <= fields


def test_idempotency_key_gives_the_same_response_and_one_event(api: Api) -> None:
    headers = {**api.admin, "Idempotency-Key": "submit-1"}
    first = api.post(BASE, filing(), headers)
    second = api.post(BASE, filing(), headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replay"] == "true"
    assert len(api.get(f"{BASE}/{first.json()['id']}/events").json()) == 1
    reused = api.post(BASE, filing(name="不同的请求"), headers)
    assert reused.status_code == 422
    assert reused.json()["field"] == "Idempotency-Key"


def test_idempotent_replay_returns_the_record_as_it_was_then(api: Api) -> None:
    iid = api.submit()["id"]
    headers = {**api.admin, "Idempotency-Key": "approve-1"}
    first = api.post(f"{BASE}/{iid}/approval", {"occurred_on": "2024-03-15"}, headers)
    api.post(f"{BASE}/{iid}/details", {"occurred_on": "2024-03-16", "address": "新地址"})
    replay = api.post(f"{BASE}/{iid}/approval", {"occurred_on": "2024-03-15"}, headers)
    assert replay.json() == first.json()
    assert replay.json()["address"] == "成都市锦江区东大街100号"


def test_if_match_with_a_stale_version_is_409_and_writes_nothing(api: Api) -> None:
    inst = api.submit()
    iid = inst["id"]
    stale = {**api.admin, "If-Match": '"0"'}
    response = api.post(f"{BASE}/{iid}/approval", {"occurred_on": "2024-03-15"}, stale)
    assert response.status_code == 409
    assert response.json()["field"] == "If-Match"
    assert api.get(f"{BASE}/{iid}").json()["status"] == "submitted"
    fresh = {**api.admin, "If-Match": api.get(f"{BASE}/{iid}").headers["ETag"]}
    assert (
        api.post(f"{BASE}/{iid}/approval", {"occurred_on": "2024-03-15"}, fresh).status_code == 200
    )


def test_future_business_dates_are_refused(api: Api) -> None:
    response = api.post(BASE, filing(occurred_on="2030-01-01"))
    assert response.status_code == 422
    assert response.json()["field"] == "occurred_on"


def test_every_event_records_actor_role_and_request_id(api: Api) -> None:
    response = api.client.post(
        BASE, json=filing(), headers={**api.admin, "X-Request-ID": "req-abc-123"}
    )
    assert response.headers["X-Request-ID"] == "req-abc-123"
    events = api.get(f"{BASE}/{response.json()['id']}/events").json()
    assert events[0]["request_id"] == "req-abc-123"
    assert events[0]["actor"] == "admin.test"
    assert events[0]["role"] == "admin"
    assert events[0]["occurred_on"] == "2024-03-01"
    assert events[0]["recorded_at"].startswith("2024-03-20")


def test_scope_change_request_and_approval(api: Api) -> None:
    iid = api.approved()["id"]
    wider = [{"occupation": "4-03-02-01", "levels": [2, 3, 4, 5]}]
    asked = api.post(
        f"{BASE}/{iid}/scope-changes",
        {
            "scope": wider,
            "test_sites": ["东大街考点"],
            "reason": "增加二级",
            "occurred_on": "2024-03-18",
        },
    )
    change_id = asked.json()["pending_scope_change"]["change_id"]
    done = api.post(
        f"{BASE}/{iid}/scope-changes/{change_id}/approval", {"occurred_on": "2024-03-19"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["scope"] == wider


def test_cancel_then_refile_continues_the_history(api: Api) -> None:
    iid = api.approved()["id"]
    api.post(f"{BASE}/{iid}/cancellation", {"reason": "自愿终止", "occurred_on": "2024-03-18"})
    again = api.post(BASE, filing(occurred_on="2024-03-19"))
    assert again.status_code == 201
    assert again.json()["id"] == iid
    assert again.json()["status"] == "submitted"


def test_version_query_returns_a_past_state(api: Api) -> None:
    iid = api.approved()["id"]
    assert api.get(f"{BASE}/{iid}", version=1).json()["status"] == "submitted"


def test_integrity_endpoint_reports_an_intact_chain(api: Api) -> None:
    iid = api.approved()["id"]
    body = api.get(f"{BASE}/{iid}/integrity").json()
    assert body == {
        "institution_id": iid,
        "intact": True,
        "events": 2,
        "first_break_at": None,
        "reason": None,
    }


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_openapi_lists_the_commands(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (BASE, f"{BASE}/{{iid}}/approval", f"{BASE}/{{iid}}/renewal"):
        assert path in paths


def test_codes_helper_builds_distinct_valid_codes() -> None:
    assert code(1) != code(2)
