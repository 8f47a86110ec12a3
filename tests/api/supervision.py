"""Helpers for the supervision and campaign API tests: institutions, supervisors,
assignments and tokens in Hunan, and how a refusal is read."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from config.settings import Settings
from tests.api.conftest import Api, code

SUPERVISORS = "/api/v1/supervisors"
ASSIGNMENTS = "/api/v1/assignments"
VISITS = "/api/v1/visits"
CAMPAIGNS = "/api/v1/campaigns"
RECUSAL = ["hunan-2023/12", "zhengzhou-2014/14"]


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
