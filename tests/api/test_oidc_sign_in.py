"""Single sign-on (OIDC, authorization code with PKCE) on SQLite and PostgreSQL.

The issuer is :mod:`tests.api.fake_issuer`, started in the test on a local port, only
because no real issuer can run here; the service talks to it over HTTP exactly as it
would to a real one (discovery, JWKS, token endpoint) through Authlib and joserfc.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from domain.application import OversightApplication
from tests.api.fake_issuer import CLIENT_ID, CLIENT_SECRET, FakeIssuer, running_issuer
from tests.conftest import FakeClock

SESSION = "oversight_session"


@dataclass
class Sso:
    client: TestClient
    app: OversightApplication
    issuer: FakeIssuer
    clock: FakeClock

    def sign_on(self, next: str = "/register") -> Any:
        """The browser's round trip: to the issuer, back with a code, to the callback."""
        start = self.client.get("/login/oidc", params={"next": next}, follow_redirects=False)
        assert start.status_code == 303, start.text
        at_issuer = requests.get(start.headers["location"], allow_redirects=False, timeout=5)
        assert at_issuer.status_code == 302
        back = urlsplit(at_issuer.headers["location"])
        assert back.path == "/login/oidc/callback"
        return self.client.get(f"{back.path}?{back.query}", follow_redirects=False)


def sso_for(settings: Settings, clock: FakeClock, **oidc: Any) -> Iterator[Sso]:
    clock.set("2024-03-20")
    with running_issuer(clock) as issuer:
        configured = settings.model_copy(
            update={
                "oidc_issuer": issuer.url,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": SecretStr(CLIENT_SECRET),
                **oidc,
            }
        )
        app = build_application(configured, clock=clock)
        with TestClient(web_service(configured, app)) as client:
            yield Sso(client, app, issuer, clock)


@pytest.fixture
def sso(settings: Settings, clock: FakeClock) -> Iterator[Sso]:
    yield from sso_for(settings, clock)


def test_the_authorization_request_carries_a_pkce_challenge_state_and_nonce(sso: Sso) -> None:
    page = sso.client.get("/login")
    assert 'data-testid="oidc-login"' in page.text
    start = sso.client.get("/login/oidc", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["redirect_uri"] == ["http://testserver/login/oidc/callback"]
    cookie = start.headers["set-cookie"]
    assert "oversight_oidc=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_a_local_user_signs_on_through_the_issuer_and_the_sign_in_names_it(sso: Sso) -> None:
    sso.app.users.create_user("li.wei", role="regulator", jurisdiction="chengdu")
    sso.issuer.claims = {"sub": "u-123", "preferred_username": "li.wei"}
    response = sso.sign_on("/register")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/register"
    assert sso.client.cookies[SESSION].startswith("u1.")
    assert "li.wei" in sso.client.get("/register").text
    signed = sso.app.ledger.events(sso.app.users.user("li.wei").id)[-1]
    assert (type(signed).__name__, signed.via, signed.actor) == (
        "SignInSucceeded",
        "oidc",
        "li.wei",
    )
    assert "POST /token" in sso.issuer.requests


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"tamper": {"nonce": "another"}}, "nonce"),
        ({"tamper": {"aud": "another-client"}}, "aud"),
        ({"tamper": {"iss": "http://elsewhere"}}, "iss"),
        ({"tamper": {"exp": 1_000}}, "exp"),
        ({"foreign_key": True}, "signature"),
    ],
)
def test_an_id_token_that_does_not_hold_signs_no_one_in(
    sso: Sso, change: dict[str, Any], why: str
) -> None:
    sso.app.users.create_user("li.wei", role="regulator", jurisdiction="chengdu")
    sso.issuer.claims = {"sub": "u-123", "preferred_username": "li.wei"}
    for key, value in change.items():
        setattr(sso.issuer, key, value)
    response = sso.sign_on()
    assert response.status_code == 401, why
    assert SESSION not in sso.client.cookies
    events = [type(e).__name__ for e in sso.app.ledger.events(sso.app.users.user("li.wei").id)]
    assert events == ["UserCreated"]


def test_a_callback_without_its_flow_cookie_or_with_another_state_is_refused(sso: Sso) -> None:
    sso.app.users.create_user("li.wei", role="regulator", jurisdiction="chengdu")
    sso.issuer.claims = {"sub": "u-123", "preferred_username": "li.wei"}
    start = sso.client.get("/login/oidc", follow_redirects=False)
    back = urlsplit(
        requests.get(start.headers["location"], allow_redirects=False, timeout=5).headers[
            "location"
        ]
    )
    stranger = TestClient(sso.client.app)  # no flow cookie: a link planted by another site
    assert stranger.get(f"{back.path}?{back.query}").status_code == 401
    code = parse_qs(back.query)["code"][0]
    forged = sso.client.get(back.path, params={"code": code, "state": "forged"})
    assert forged.status_code == 401
    assert SESSION not in sso.client.cookies


def test_an_unknown_or_disabled_user_is_refused(sso: Sso) -> None:
    sso.issuer.claims = {"sub": "u-9", "preferred_username": "nobody"}
    assert sso.sign_on().status_code == 403
    assert sso.app.users.users() == []
    sso.app.users.create_user("li.wei", role="regulator", jurisdiction="chengdu")
    sso.app.users.disable("li.wei", "left the bureau")
    sso.issuer.claims = {"sub": "u-1", "preferred_username": "li.wei"}
    assert sso.sign_on().status_code == 403


@pytest.fixture
def mapped(settings: Settings, clock: FakeClock) -> Iterator[Sso]:
    yield from sso_for(
        settings,
        clock,
        oidc_role_claim="groups",
        oidc_roles={"hrss-inspectors": "regulator", "hrss-appeals": "reviewer"},
        oidc_jurisdiction_claim="region",
        oidc_create_users=True,
    )


def test_claims_map_to_a_role_and_scope_creating_and_updating_the_local_user(
    mapped: Sso,
) -> None:
    mapped.issuer.claims = {
        "sub": "u-7",
        "preferred_username": "zhao.min",
        "name": "赵敏",
        "groups": ["hrss-inspectors"],
        "region": "hunan",
    }
    assert mapped.sign_on().status_code == 303
    user = mapped.app.users.user("zhao.min")
    assert (user.role, user.jurisdiction, user.display_name) == ("regulator", "hunan", "赵敏")
    created = mapped.app.ledger.events(user.id)[0]
    assert created.actor == f"sso:{mapped.issuer.url}"
    mapped.issuer.claims = {**mapped.issuer.claims, "groups": ["hrss-appeals"]}
    mapped.client.cookies.clear()
    assert mapped.sign_on().status_code == 303
    names = [type(e).__name__ for e in mapped.app.ledger.events(user.id)]
    assert names == ["UserCreated", "SignInSucceeded", "UserRoleChanged", "SignInSucceeded"]
    assert mapped.app.users.user("zhao.min").role == "reviewer"


def test_without_an_issuer_there_is_no_sign_on(settings: Settings, clock: FakeClock) -> None:
    app = build_application(settings, clock=clock)
    with TestClient(web_service(settings, app)) as client:
        assert client.get("/login/oidc", follow_redirects=False).status_code == 404
        assert 'data-testid="oidc-login"' not in client.get("/login").text
