"""Signing in on the dashboard by user name and password, on SQLite and PostgreSQL.

The sign-in form's CSRF token and nonce cookie, the signed session cookie (HttpOnly,
SameSite=Lax, expiry from the settings, checked on the application's clock), lockout,
sign-out, a disabled user or a new password ending the session, and every event the
signed-in user causes naming the user.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.sessions import SessionSigner
from domain.users import LOCKOUT_FAILURES
from tests.api.conftest import Api

SESSION = "oversight_session"
PASSWORD = "correct horse 1"


@pytest.fixture
def users(api: Api) -> Api:
    api.app.users.create_user(
        "li.wei", role="regulator", jurisdiction="chengdu", display_name="李伟", password=PASSWORD
    )
    return api


def browser(api: Api) -> TestClient:
    return TestClient(api.client.app)


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, "the sign-in form carries no CSRF token"
    return match.group(1)


def sign_in(
    client: TestClient, name: str = "li.wei", password: str = PASSWORD, next: str = "/"
) -> object:
    form = client.get("/login")
    assert form.status_code == 200
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(form.text), "next": next},
        follow_redirects=False,
    )


def test_a_user_signs_in_by_name_and_password_and_gets_a_signed_lax_session(users: Api) -> None:
    client = browser(users)
    response = sign_in(client, next="/register")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/register"  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith(f"{SESSION}=u1.")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=28800" in cookie  # OVERSIGHT_SESSION_MINUTES: 480 by default
    assert PASSWORD not in cookie
    page = client.get("/register")
    assert page.status_code == 200
    assert "li.wei" in page.text


def test_the_sign_in_form_without_its_csrf_token_or_nonce_is_refused(users: Api) -> None:
    client = browser(users)
    form = client.get("/login")
    data = {"name": "li.wei", "password": PASSWORD}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403
    forged = {**data, "csrf_token": "0" * 64}
    assert client.post("/login", data=forged, follow_redirects=False).status_code == 403
    stranger = browser(users)  # the token of another browser's nonce
    good = {**data, "csrf_token": csrf_of(form.text)}
    refused = stranger.post("/login", data=good, follow_redirects=False)
    assert refused.status_code == 403
    assert SESSION not in refused.headers.get("set-cookie", "")
    other_site = client.post(
        "/login", data=good, headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert other_site.status_code == 403
    assert "set-cookie" not in other_site.headers
    user = users.app.users.user("li.wei")
    assert [type(e).__name__ for e in users.app.ledger.events(user.id)] == [
        "UserCreated",
        "PasswordSet",
    ]


@pytest.mark.parametrize(
    ("name", "password"),
    [("li.wei", "wrong password 1"), ("nobody", PASSWORD), ("LI.WEI", "")],
)
def test_a_wrong_name_or_password_is_one_answer(users: Api, name: str, password: str) -> None:
    response = sign_in(browser(users), name, password)
    status = 422 if not password else 401
    assert response.status_code == status  # type: ignore[attr-defined]
    assert SESSION not in response.headers.get("set-cookie", "")  # type: ignore[attr-defined]


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(users: Api) -> None:
    client = browser(users)
    statuses = [
        sign_in(client, password=f"wrong password {i}").status_code  # type: ignore[attr-defined]
        for i in range(LOCKOUT_FAILURES)
    ]
    assert statuses == [401] * (LOCKOUT_FAILURES - 1) + [429]
    locked = sign_in(client)
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert "locked until" in locked.text or "锁定至" in locked.text  # type: ignore[attr-defined]
    users.clock.advance(minutes=15)
    assert sign_in(client).status_code == 303  # type: ignore[attr-defined]


def test_the_session_ends_at_its_expiry_on_the_clock(users: Api) -> None:
    client = browser(users)
    sign_in(client)
    users.clock.advance(minutes=479)
    assert client.get("/register", follow_redirects=False).status_code == 200
    users.clock.advance(minutes=1)
    response = client.get("/register", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_changed_session_cookie_is_refused(users: Api) -> None:
    client = browser(users)
    sign_in(client)
    value = client.cookies[SESSION]
    signer = SessionSigner("another secret", timedelta(hours=1))
    for forged in (
        value.replace("u1.", "u1.x", 1),
        signer.issue("li.wei", 1, users.clock()),  # signed with another key
        value[:-1] + ("0" if value[-1] != "0" else "1"),
    ):
        other = browser(users)
        other.cookies.set(SESSION, forged)
        assert other.get("/register", follow_redirects=False).status_code == 303


def test_disabling_the_user_or_a_new_password_ends_its_sessions(users: Api) -> None:
    client = browser(users)
    sign_in(client)
    users.app.users.set_password("li.wei", "another horse 2")
    assert client.get("/register", follow_redirects=False).status_code == 303
    sign_in(client, password="another horse 2")
    assert client.get("/register", follow_redirects=False).status_code == 200
    users.app.users.disable("li.wei", "left the bureau")
    assert client.get("/register", follow_redirects=False).status_code == 303
    assert sign_in(client, password="another horse 2").status_code == 401  # type: ignore[attr-defined]


def test_sign_out_drops_the_session(users: Api) -> None:
    client = browser(users)
    sign_in(client)
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert f'{SESSION}=""' in response.headers["set-cookie"]
    assert client.get("/register", follow_redirects=False).status_code == 303


def test_the_events_a_signed_in_user_causes_name_the_user(users: Api) -> None:
    """A form run by a user's session records the user's name as the actor; the sign-in
    itself is the user's event too."""
    client = browser(users)
    sign_in(client)
    user = users.app.users.user("li.wei")
    signed = users.app.ledger.events(user.id)[-1]
    assert (type(signed).__name__, signed.actor, signed.role) == (
        "SignInSucceeded",
        "li.wei",
        "regulator",
    )
    iid = users.submit()["id"]
    users.catch_up()
    form = client.get(f"/institutions/{iid}/workbench/review")
    assert form.status_code == 200, form.text
    hidden = dict(re.findall(r'name="(csrf_token|idempotency_key)" value="([^"]+)"', form.text))
    response = client.post(
        f"/institutions/{iid}/workbench/review",
        data={**hidden, "decision": "approve", "occurred_on": "2024-03-15"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    approved = users.app.ledger.events(UUID(iid))[-1]
    assert type(approved).__name__ == "FilingApproved"
    assert (approved.actor, approved.role) == ("li.wei", "regulator")


def change_password(client: TestClient, current: str, new: str, again: str | None = None) -> Any:
    page = client.get("/account")
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": current,
            "password": new,
            "password_again": new if again is None else again,
        },
        follow_redirects=False,
    )


def test_a_user_changes_its_own_password_and_its_other_sessions_end(users: Api) -> None:
    here, elsewhere = browser(users), browser(users)
    sign_in(here)
    sign_in(elsewhere)
    assert change_password(here, PASSWORD, "another horse 2", "another horse 3").status_code == 422
    wrong = change_password(here, "not my password", "another horse 2")
    assert wrong.status_code == 422
    assert "the current password is wrong" in wrong.text
    user = users.app.users.user("li.wei")
    assert [type(e).__name__ for e in users.app.ledger.events(user.id)][-1] == "SignInFailed"
    changed = change_password(here, PASSWORD, "another horse 2")
    assert changed.status_code == 303
    assert changed.headers["location"] == "/account?changed=1"
    assert here.get("/account", follow_redirects=False).status_code == 200
    assert elsewhere.get("/account", follow_redirects=False).status_code == 303
    last = users.app.ledger.events(user.id)[-1]
    assert (type(last).__name__, last.actor) == ("PasswordSet", "li.wei")
    assert sign_in(browser(users), password="another horse 2").status_code == 303  # type: ignore[attr-defined]
    assert sign_in(browser(users)).status_code == 401  # type: ignore[attr-defined]


def test_a_password_change_without_the_forms_csrf_token_is_refused(users: Api) -> None:
    client = browser(users)
    sign_in(client)
    data = {"current_password": PASSWORD, "password": "another horse 2"}
    response = client.post("/account/password", data={**data, "password_again": data["password"]})
    assert response.status_code == 403
    assert users.app.users.sign_in("li.wei", PASSWORD, request_id="t").outcome == "signed_in"
