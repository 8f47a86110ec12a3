"""The API under test: the production factory, test settings, an injected clock."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from domain.application import OversightApplication
from domain.creditcode import make_credit_code
from tests.conftest import FakeClock


@dataclass
class Api:
    client: TestClient
    app: OversightApplication
    clock: FakeClock
    admin: dict[str, str]

    def token(self, role: str, **scope: Any) -> dict[str, str]:
        secret = secrets.token_urlsafe(16)
        self.app.access.issue_token(secret, subject=f"{role}-{secret[:4]}", role=role, **scope)
        return {"Authorization": f"Bearer {secret}"}

    def catch_up(self) -> None:
        """Bring the read models up to date (the worker's job outside tests)."""
        self.client.app.state.projections.catch_up()  # type: ignore[attr-defined]

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, json=body, headers=headers or self.admin)

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, headers=headers or self.admin, params=params)

    def submit(self, **overrides: Any) -> dict[str, Any]:
        response = self.post("/api/v1/institutions", filing(**overrides))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def approved(self, on: str = "2024-03-15", **overrides: Any) -> dict[str, Any]:
        iid = self.submit(**overrides)["id"]
        response = self.post(f"/api/v1/institutions/{iid}/approval", {"occurred_on": on})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def filing(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credit_code": make_credit_code("91510104MA61X2Y3K"),
        "name": "成都天府职业技能评价中心",
        "kind": "social_org",
        "jurisdiction": "chengdu",
        "district": "锦江区",
        "address": "成都市锦江区东大街100号",
        "scope": [{"occupation": "4-03-02-01", "levels": [3, 4, 5]}],
        "test_sites": ["东大街考点"],
        "legal_representative": "王某",
        "contact": {"name": "李某", "phone": "028-00000000"},
        "occurred_on": "2024-03-01",
    }
    body.update(overrides)
    return body


def code(n: int, area: str = "510104") -> str:
    return make_credit_code(f"91{area}MA{n:07d}")


@pytest.fixture
def api(settings: Settings, clock: FakeClock) -> Iterator[Api]:
    clock.set("2024-03-20")
    app = build_application(settings, clock=clock)
    secret = secrets.token_urlsafe(16)
    app.access.issue_token(secret, subject="admin.test", role="admin")
    with TestClient(web_service(settings, app)) as client:
        yield Api(client, app, clock, {"Authorization": f"Bearer {secret}"})


def as_uuid(value: str) -> UUID:
    return UUID(value)
