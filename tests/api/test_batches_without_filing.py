"""A batch held before the institution was filed, or while its filing was not in force, is
recorded and raises the rulebook's finding for evaluating without a filing; where the
rulebook names no item for that check, the regulator is flagged (worklist) instead. Never
dropped, never silent."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from domain.rulebook import Catalogue, default_catalogue
from tests.api.conftest import Api, code, filing
from tests.api.test_earlier_history import HUNAN as HUNAN_PLACE
from tests.conftest import FakeClock

BASE = "/api/v1/institutions"
HUNAN = {**HUNAN_PLACE, "credit_code": code(7, "430104")}


def batch(batch_id: str, on: str) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "occupation": "4-03-02-01",
        "level": 4,
        "evaluated_on": on,
        "site": "麓山考点",
        "candidates": 30,
        "unqualified_candidates": 0,
        "passed": 25,
    }


def submitted(api: Api, on: str) -> str:
    response = api.post(BASE, filing(occurred_on=on, **HUNAN))
    assert response.status_code == 201, response.text
    iid: str = response.json()["id"]
    return iid


def reported(api: Api, iid: str, batch_id: str, on: str) -> dict[str, Any]:
    response = api.post(f"{BASE}/{iid}/evaluations", batch(batch_id, on))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def findings(api: Api, iid: str) -> list[dict[str, Any]]:
    events = api.get(f"{BASE}/{iid}/events").json()
    return [e["data"] for e in events if e["type"] == "FindingRecorded"]


def test_a_batch_before_the_filing_and_one_before_its_approval_raise_26_2(api: Api) -> None:
    iid = submitted(api, "2024-03-01")
    before = reported(api, iid, "B-EARLY", "2024-02-20")
    pending = reported(api, iid, "B-PENDING", "2024-03-05")
    assert len(before["finding_ids"]) == 1
    assert len(pending["finding_ids"]) == 1
    raised = findings(api, iid)
    assert [(f["rule_id"], f["reference"], f["source"]) for f in raised] == [
        ("hunan-2023/26.2", "B-EARLY", "system"),
        ("hunan-2023/26.2", "B-PENDING", "system"),
    ]
    assert "not filed until 2024-03-01" in raised[0]["facts"]
    assert "filed, not approved" in raised[1]["facts"]
    types = [e["type"] for e in api.get(f"{BASE}/{iid}/events").json()]
    assert types.count("EvaluationReported") == 2


def test_a_batch_before_any_rulebook_raises_the_finding_and_it_requires_nothing(
    api: Api,
) -> None:
    iid = submitted(api, "2023-09-01")
    reported(api, iid, "B-2022", "2022-11-10")
    (raised,) = findings(api, iid)
    assert raised["rule_id"] == "hunan-2023/26.2"
    assert raised["assessment"]["governed"] is False
    assert (
        "no rulebook of this system governs conduct on 2022-11-10"
        in (raised["assessment"]["rulebook_choice_en"])
    )


def _without_filing_item(catalogue: Catalogue) -> Catalogue:
    """The catalogue with hunan-2023 naming no item for a batch without a filing in force."""
    changed = []
    for r in catalogue:
        if r.id == "hunan-2023":
            checks = r.evaluation_checks.model_copy(update={"no_filing_in_force": None})
            r = r.model_copy(update={"evaluation_checks": checks})
        changed.append(r)
    return Catalogue(changed)


@pytest.fixture
def sparse_api(settings: Settings, clock: FakeClock) -> Iterator[Api]:
    clock.set("2024-03-20")
    catalogue = _without_filing_item(default_catalogue())
    app = build_application(settings, clock=clock, catalogue=catalogue)
    secret = secrets.token_urlsafe(16)
    app.access.issue_token(secret, subject="admin.test", role="admin")
    with TestClient(web_service(settings, app)) as client:
        yield Api(client, app, clock, {"Authorization": f"Bearer {secret}"})


def test_where_no_item_fits_the_regulator_is_flagged_on_the_worklist(sparse_api: Api) -> None:
    api = sparse_api
    iid = submitted(api, "2024-03-01")
    result = reported(api, iid, "B-EARLY", "2024-02-20")
    assert result["finding_ids"] == []
    events = api.get(f"{BASE}/{iid}/events").json()
    (flagged,) = [e for e in events if e["type"] == "BatchFlagged"]
    assert flagged["occurred_on"] == "2024-02-20"
    assert flagged["data"]["batch_id"] == "B-EARLY"
    assert flagged["data"]["check"] == "no_filing_in_force"
    assert "names no item for this check" in flagged["data"]["reason_en"]
    api.catch_up()
    page = api.client.get("/worklist", headers=api.admin, params={"lang": "en"})
    assert page.status_code == 200
    assert 'data-testid="flag-B-EARLY"' in page.text
    exported = api.client.get(
        "/worklist", headers=api.admin, params={"format": "csv", "table": "flags", "lang": "en"}
    )
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(rows) == 2
    assert "B-EARLY" in rows[1]
    assert any("not filed until 2024-03-01" in cell for cell in rows[1])
    timeline = api.client.get(f"/institutions/{iid}", headers=api.admin, params={"lang": "en"})
    assert "Batch check flagged" in timeline.text
