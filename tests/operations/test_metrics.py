"""/metrics through prometheus-client: the names that were there, the histograms of
command latency and projection lag, and the workers' heartbeats, parsed strictly."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from tests.api.conftest import Api, filing
from tests.api.test_pages import parse_metrics
from tests.conftest import FakeClock

Families = dict[str, list[tuple[dict[str, str], float]]]


def scrape(api: Api) -> Families:
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse_metrics(response.text)


def sample(families: Families, name: str, **labels: str) -> float:
    """The value of the one sample of ``name`` whose labels include ``labels`` (0 if none)."""
    found = [v for ls, v in families.get(name, []) if labels.items() <= ls.items()]
    assert len(found) <= 1, found
    return found[0] if found else 0.0


def test_a_command_is_timed_in_its_histogram(api: Api) -> None:
    before = scrape(api)
    api.submit()
    after = scrape(api)
    name = "oversight_command_duration_seconds"
    counted = sample(after, f"{name}_count", command="submit_filing") - sample(
        before, f"{name}_count", command="submit_filing"
    )
    assert counted == 1
    buckets = [
        (float(ls["le"]), v)
        for ls, v in after[f"{name}_bucket"]
        if ls["command"] == "submit_filing"
    ]
    assert buckets[-1][0] == float("inf")
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative
    assert buckets[-1][1] == sample(after, f"{name}_count", command="submit_filing")
    assert sample(after, f"{name}_sum", command="submit_filing") > 0


def test_a_refused_command_is_timed_too_and_a_replay_is_not(api: Api) -> None:
    body = filing(credit_code="not a code")
    name = "oversight_command_duration_seconds_count"
    before = sample(scrape(api), name, command="submit_filing")
    assert api.post("/api/v1/institutions", body).status_code == 422
    key = {**api.admin, "Idempotency-Key": "metrics-replay"}
    assert api.post("/api/v1/institutions", filing(), key).status_code == 201
    replay = api.post("/api/v1/institutions", filing(), key)
    assert replay.headers["Idempotent-Replay"] == "true"
    assert sample(scrape(api), name, command="submit_filing") - before == 2


def test_requests_are_counted_and_timed_by_route(api: Api) -> None:
    for _ in range(3):
        api.get("/api/v1/institutions")
    families = scrape(api)
    route = {"method": "GET", "route": "/api/v1/institutions"}
    assert sample(families, "oversight_http_requests_total", **route, status="200") == 3
    assert sample(families, "oversight_http_request_duration_seconds_count", **route) == 3
    assert (
        sample(families, "oversight_http_request_duration_seconds_bucket", **route, le="+Inf") == 3
    )


def test_embedded_workers_show_their_lag_and_heartbeats(
    settings: Settings, clock: FakeClock
) -> None:
    quick = settings.model_copy(update={"embedded_workers": True, "worker_heartbeat_seconds": 0.1})
    application = build_application(quick, clock=clock)
    with TestClient(web_service(quick, application)) as client:
        before = parse_metrics(client.get("/metrics").text)
        application.access.issue_token("s" * 24, subject="admin", role="admin")
        admin = {"Authorization": "Bearer " + "s" * 24}
        assert client.post("/api/v1/institutions", json=filing(), headers=admin).status_code == 201

        name = "oversight_projection_lag_seconds"
        old_count = {ls["projection"]: v for ls, v in before.get(f"{name}_count", [])}

        def lag_observed(families: Families) -> bool:
            # A batch's lag is observed just after its commit, so a scrape can see the
            # position at the head a moment before the observation.
            lag_count = {ls["projection"]: v for ls, v in families.get(f"{name}_count", [])}
            return any(lag_count[p] > old_count.get(p, 0) for p in lag_count)

        def caught_up() -> Families:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                families = parse_metrics(client.get("/metrics").text)
                lag = sample(families, "oversight_projection_lag", projection="register")
                leading = families.get("oversight_worker_leading")
                if lag == 0 and leading and lag_observed(families):
                    return families
                time.sleep(0.1)
            raise AssertionError("the embedded workers did not catch up and observe their lag")

        families = caught_up()
        [(labels, age)] = [
            (ls, v)
            for ls, v in families["oversight_worker_heartbeat_age_seconds"]
            if ls["kind"] == "projections"
        ]
        assert labels["host"]
        assert 0 <= age < 5
        assert sample(families, "oversight_workers_live", kind="projections") == 1
        assert sample(families, "oversight_workers_live", kind="deadlines") == 1
        assert sample(families, "oversight_worker_leading", kind="deadlines", of="deadlines") == 1
        assert sample(families, "oversight_worker_leading", kind="projections", of="register") == 1
