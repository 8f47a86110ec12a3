"""A user's own API tokens, on SQLite and PostgreSQL: issued and revoked on ``/account``,
acting through the API as the user (the events name the user), stopped when the user is
disabled; free-standing tokens keep working as before."""

from __future__ import annotations

import re
from uuid import UUID

from fastapi.testclient import TestClient

from api.routes.pages.forms import csrf_token
from tests.api.conftest import Api, filing
from tests.api.test_user_sign_in import PASSWORD, browser, sign_in

BASE = "/api/v1/institutions"


def signed_in(api: Api, name: str = "li.wei") -> TestClient:
    api.app.users.create_user(name, role="regulator", jurisdiction="chengdu", password=PASSWORD)
    client = browser(api)
    assert sign_in(client, name).status_code == 303  # type: ignore[attr-defined]
    return client


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert match
    return match.group(1)


def issue(client: TestClient, note: str = "CSV export script") -> str:
    page = client.get("/account")
    assert page.status_code == 200
    response = client.post(
        "/account/tokens", data={"csrf_token": csrf(page.text), "note": note, "days": "30"}
    )
    assert response.status_code == 201, response.text
    match = re.search(r'data-testid="token-secret">(sov_[^<]+)<', response.text)
    assert match, "the new token's secret is shown once"
    return match.group(1)


def test_a_user_issues_a_token_that_acts_as_the_user_through_the_api(api: Api) -> None:
    client = signed_in(api)
    secret = issue(client)
    (token,) = api.app.access.tokens_of("li.wei")
    issued = [type(e).__name__ for e in api.app.ledger.events(token.id)]
    assert issued == ["TokenIssued", "TokenExpirySet", "TokenIssuedToUser"]
    assert {e.actor for e in api.app.ledger.events(token.id)} == {"li.wei"}
    headers = {"Authorization": f"Bearer {secret}"}
    created = api.post(BASE, filing(), headers)
    assert created.status_code == 201, created.text
    (event,) = api.app.ledger.events(UUID(created.json()["id"]))
    assert (event.actor, event.role) == ("li.wei", "regulator")
    listed = client.get("/account")
    assert "CSV export script" in listed.text
    assert secret not in listed.text, "the secret is shown only once"


def test_a_user_revokes_its_own_token_and_cannot_reach_anothers(api: Api) -> None:
    mine = signed_in(api, "li.wei")
    theirs = signed_in(api, "wang.fang")
    secret = issue(theirs, "wang's")
    (token,) = api.app.access.tokens_of("wang.fang")
    page = mine.get("/account")
    refused = mine.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf(page.text)})
    assert refused.status_code == 404
    assert api.get(BASE, {"Authorization": f"Bearer {secret}"}).status_code == 200
    page = theirs.get("/account")
    no_csrf = theirs.post(f"/account/tokens/{token.id}/revoke", data={})
    assert no_csrf.status_code == 403
    done = theirs.post(
        f"/account/tokens/{token.id}/revoke",
        data={"csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert api.get(BASE, {"Authorization": f"Bearer {secret}"}).status_code == 401
    revoked = api.app.ledger.events(token.id)[-1]
    assert (type(revoked).__name__, revoked.actor) == ("TokenRevoked", "wang.fang")


def test_a_disabled_users_token_stops_working(api: Api) -> None:
    secret = issue(signed_in(api))
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get(BASE, headers).status_code == 200
    api.app.users.disable("li.wei", "left the bureau")
    refused = api.get(BASE, headers)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_sign_in_has_no_account_page_and_free_tokens_keep_their_subject(
    api: Api,
) -> None:
    headers = api.token("regulator", jurisdiction="chengdu")
    client = TestClient(api.client.app)
    secret = headers["Authorization"].removeprefix("Bearer ")
    assert client.post("/login", data={"token": secret}, follow_redirects=False).status_code == 303
    page = client.get("/account")
    assert 'data-testid="account-not-user"' in page.text
    secret_key = api.client.app.state.settings.form_secret.get_secret_value()  # type: ignore[attr-defined]
    token = csrf_token(secret_key, client.cookies["oversight_session"])
    assert client.post("/account/tokens", data={"csrf_token": token}).status_code == 404
    created = api.post(BASE, filing(), headers)
    (event,) = api.app.ledger.events(UUID(created.json()["id"]))
    assert event.actor.startswith("regulator-")
