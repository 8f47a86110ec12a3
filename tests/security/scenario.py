"""A full scenario through the HTTP API, carrying distinctive secrets and personal data.

Filing, approval, a change of details, a finding, a case to its decision and service, an
appeal, a supervisor with a certificate (card) number, a request replayed under an
Idempotency-Key, the read models, and sign-ins refused with a wrong, a revoked and an
expired token on the API and on the dashboard. It returns every secret and personal value
it used, for the tests to look for where none may be.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import Api, code
from tests.api.ladder import Ladder

BASE = "/api/v1/institutions"

#: Personal data (names, a phone, a certificate number), each unlike anything else stored.
PERSONAL = {
    "legal_representative": "欧阳振华",
    "contact_name": "司马晓燕",
    "contact_phone": "139-8765-4321",
    "new_legal_representative": "上官明远",
    "new_contact_phone": "028-8555-1212",
    "supervisor_name": "诸葛红梅",
    "card_number": "HN-WD-2024-7731",
}


@dataclass
class Outcome:
    institution_id: str
    credit_code: str
    secrets: list[str] = field(default_factory=list)
    personal: list[str] = field(default_factory=lambda: list(PERSONAL.values()))


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def issued(api: Api, role: str, subject: str, **scope: object) -> str:
    secret = "sov_" + secrets.token_urlsafe(32)
    api.app.access.issue_token(secret, subject=subject, role=role, **scope)  # type: ignore[arg-type]
    return secret


def run_scenario(api: Api) -> Outcome:
    credit_code = code(4242)
    regulator = issued(api, "regulator", "li.chengdu", jurisdiction="chengdu")
    outcome = Outcome("", credit_code, secrets=[api.admin["Authorization"][7:], regulator])
    inst = api.approved(
        "2024-03-15",
        credit_code=credit_code,
        legal_representative=PERSONAL["legal_representative"],
        contact={"name": PERSONAL["contact_name"], "phone": PERSONAL["contact_phone"]},
    )
    outcome.institution_id = iid = str(inst["id"])
    api.clock.set("2024-06-01")
    details = {
        "legal_representative": PERSONAL["new_legal_representative"],
        "contact": {"name": PERSONAL["contact_name"], "phone": PERSONAL["new_contact_phone"]},
        "occurred_on": "2024-04-01",
    }
    for _ in range(2):  # the same request twice under one key: one set of events
        replayed = api.client.post(
            f"{BASE}/{iid}/details",
            json=details,
            headers={**bearer(regulator), "Idempotency-Key": "details-1"},
        )
        assert replayed.status_code == 200, replayed.text

    ladder = Ladder(api, iid, bearer(regulator))
    finding = ladder.finding("chengdu-2024/30.11", "2024-04-02")
    decision = ladder.case([finding], "2024-04-10", decide_on="2024-04-25")
    ladder.annul(decision, "2024-05-10")
    _supervisor(api)
    for path in ("", "/events", "/integrity", "/assessment?as_of=2024-05-20"):
        assert api.get(f"{BASE}/{iid}{path}", bearer(regulator)).status_code == 200
    api.catch_up()
    outcome.secrets += _refused_sign_ins(api)
    return outcome


def _supervisor(api: Api) -> None:
    created = api.post(
        "/api/v1/supervisors",
        {
            "jurisdiction": "hunan",
            "kind": "external",
            "name": PERSONAL["supervisor_name"],
            "subject": "sup.hunan.7",
            "card_number": PERSONAL["card_number"].lower(),
            "occurred_on": "2024-01-10",
        },
    )
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    appointed = api.post(f"/api/v1/supervisors/{sid}/appointments", {"occurred_on": "2024-01-15"})
    assert appointed.status_code == 200, appointed.text


def _refused_sign_ins(api: Api) -> list[str]:
    """A wrong, a revoked and an expired token, each refused on the API and the dashboard."""
    wrong = "sov_" + secrets.token_urlsafe(32)
    revoked = issued(api, "reviewer", "former.reviewer")
    token = next(t for t in api.app.access.tokens() if t.subject == "former.reviewer")
    api.app.access.revoke_token(token.id, "left the bureau")
    expired = "sov_" + secrets.token_urlsafe(32)
    api.app.access.issue_token(
        expired, subject="short.lived", role="reviewer", valid_for=timedelta(1)
    )
    api.clock.advance(days=2)
    for secret in (wrong, revoked, expired):
        assert api.get(BASE, bearer(secret)).status_code == 401
        browser = TestClient(api.client.app)
        assert browser.post("/login", data={"token": secret}).status_code == 401
        browser.cookies.set("oversight_session", secret)
        assert browser.get("/register", follow_redirects=False).status_code == 303
    return [wrong, revoked, expired]
