"""Workers' leadership and heartbeats, as /readyz reports them (both backends).

Two coordinators stand for two worker processes of one kind: one leads, the other stands
by and takes the lead once the first lets go. Heartbeats are written on the database's
clock; one not renewed goes stale, and readiness says which kind has no live worker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing

import pytest
from fastapi.testclient import TestClient

from bootstrap import build_application
from bootstrap.coordination import coordinator, leadership
from bootstrap.read_models import build_projections
from bootstrap.service import web_service
from config.settings import Settings
from projections import Projections
from projections.heartbeats import heartbeats
from workers.coordination import AdvisoryLeadership, Coordinator, SoleProcess

#: Seconds a beat stays fresh in these tests.
STALE = 0.6


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"worker_heartbeat_seconds": 0.05, "worker_stale_seconds": STALE}
    )


@pytest.fixture
def projections(quick: Settings) -> Iterator[Projections]:
    with (
        closing(build_application(quick)) as app,
        closing(build_projections(quick, app)) as built,
    ):
        yield built


def two_workers(quick: Settings, projections: Projections, kind: str) -> list[Coordinator]:
    return [coordinator(quick, kind, projections.store) for _ in range(2)]


def test_one_of_two_workers_leads_and_the_standby_takes_over(
    quick: Settings, projections: Projections
) -> None:
    first, second = two_workers(quick, projections, "deadlines")
    assert first.lead(["deadlines"]) == {"deadlines"}
    if isinstance(first.leadership, SoleProcess):
        return  # SQLite: one process per file, nothing to elect
    assert isinstance(first.leadership, AdvisoryLeadership)
    assert second.lead(["deadlines"]) == frozenset()
    time.sleep(0.06)
    assert second.lead(["deadlines"]) == frozenset()  # asked again: still led
    first.close()  # its connection closes, and the lock with it
    time.sleep(0.06)
    assert second.lead(["deadlines"]) == {"deadlines"}
    second.close()


def test_leadership_is_per_projection_and_per_schema(
    quick: Settings, projections: Projections
) -> None:
    if quick.backend != "postgres":
        pytest.skip("advisory locks are PostgreSQL's")
    first, second = two_workers(quick, projections, "projections")
    assert first.lead(["register"]) == {"register"}
    assert second.lead(["register", "sanctions"]) == {"sanctions"}
    other = quick.model_copy(update={"database_schema": quick.database_schema + "_b"})
    elsewhere = leadership(other)
    assert elsewhere.try_lead("register")  # another schema's store, another lock
    for held in (first, second):
        held.close()
    elsewhere.close()


def test_heartbeats_show_on_readyz_and_go_stale(quick: Settings) -> None:
    app = build_application(quick)
    with TestClient(web_service(quick, app)) as client:
        store = client.app.state.projections.store  # type: ignore[attr-defined]
        body = client.get("/readyz").json()
        assert (body["status"], body["heartbeats"], body["problems"]) == ("ready", [], [])

        deadlines = coordinator(quick, "deadlines", store)
        deadlines.lead(["deadlines"])
        deadlines.beat()
        body = client.get("/readyz").json()
        assert body["status"] == "ready"
        [beat] = body["heartbeats"]
        assert beat["kind"] == "deadlines"
        assert beat["leader_of"] == ["deadlines"]
        assert beat["stale"] is False
        assert 0 <= beat["age_seconds"] < STALE
        assert beat["worker_id"] == deadlines.worker.worker_id

        time.sleep(STALE + 0.2)  # no beat meanwhile
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["problems"] == ["every deadlines worker is stale"]
        assert response.json()["heartbeats"][0]["stale"] is True

        deadlines.beat()  # alive again
        assert client.get("/readyz").status_code == 200
        deadlines.close()  # a clean stop removes the row
        assert heartbeats(store) == []


def test_a_projection_without_a_live_leader_is_not_ready(quick: Settings) -> None:
    app = build_application(quick)
    with TestClient(web_service(quick, app)) as client:
        store = client.app.state.projections.store  # type: ignore[attr-defined]
        worker = coordinator(quick, "projections", store)
        worker.lead(["register"])  # leads one read model of seven
        worker.beat()
        response = client.get("/readyz")
        assert response.status_code == 503
        problems = response.json()["problems"]
        assert "projection sanctions has no live leader" in problems
        assert "projection register has no live leader" not in problems
        time.sleep(0.06)
        worker.lead(list(client.app.state.projections))  # type: ignore[attr-defined]
        time.sleep(0.06)
        worker.beat()
        assert client.get("/readyz").json()["problems"] == []
        worker.close()
