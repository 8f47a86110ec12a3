"""``/account``: the signed-in user's own API tokens, issued and revoked by the user, and
a new password given the current one (the session is signed again with it; every other
session of the user ends).

A token issued here is the user's (``issue_user_token``): it acts with the user's role and
scope at each request and stops when the user is disabled; its events, and the revocation's,
name the user. The secret is shown once, on the answer to the POST, and never stored.
Every POST carries the pages' CSRF token (an HMAC of the session cookie) and is held to
the same ``Origin`` check as the workbench's forms.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.i18n import LOCAL_ZONE
from api.routes.pages.forms import Forms, FormsDep
from api.routes.pages.login import signed_in_response
from domain.access import TOKEN_PREFIX, Token
from domain.errors import DomainError, InvalidInput, NotFound
from domain.ledger import Context

router = APIRouter(include_in_schema=False)
MAX_DAYS = 365


@dataclass(frozen=True)
class TokenRow:
    id: UUID
    note: str
    issued_at: str
    expires_at: str
    state: str


def _row(token: Token, now: datetime) -> TokenRow:
    state = "revoked" if token.revoked else "expired" if token.expired(now) else "active"
    expires = (
        token.expires_at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
        if (token.expires_at)
        else ""
    )
    issued = token.issued_at[:16].replace("T", " ")
    return TokenRow(token.id, token.note, issued, expires, state)


def _page(forms: Forms, *, status_code: int = 200, **context: Any) -> Response:
    page = forms.page
    user = page.principal.user
    values: dict[str, Any] = {"tokens": None, "secret": None, "error": None, "account": None}
    values["password_error"] = None
    values["changed"] = page.request.query_params.get("changed") == "1"
    if user is not None:
        now = page.app.ledger.clock()
        values["tokens"] = [_row(t, now) for t in page.app.access.tokens_of(user)]
        values["account"] = page.app.users.user(user)
    values.update(context)
    return page.render("account.html", status_code=status_code, csrf=forms.token(), **values)


def _ctx(forms: Forms) -> Context:
    return Context(forms.page.principal, forms.request.state.request_id)


@router.get("/account", response_class=HTMLResponse)
def account(forms: FormsDep) -> Response:
    return _page(forms)


@router.post("/account/tokens", response_class=HTMLResponse)
async def issue(forms: FormsDep) -> Response:
    fields = await forms.posted()
    user = forms.page.principal.user
    if user is None:
        return forms.page.refused(NotFound("only a user signed in by name has tokens here"))
    try:
        fields.check({"days", "note"})
        days = fields.integer("days")
        days = 90 if days is None else days  # 0 is refused below, not read as "not given"
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"days must be 1 to {MAX_DAYS}", field="days")
        note = fields.text("note")
        if len(note) > 200:
            raise InvalidInput("a note has at most 200 characters", field="note")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        forms.page.app.access.issue_user_token(
            secret, user, note=note, valid_for=timedelta(days=days), ctx=_ctx(forms)
        )
    except DomainError as exc:
        return _page(forms, status_code=422, error=exc.detail)
    return _page(forms, status_code=201, secret=secret)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(forms: FormsDep) -> Response:
    fields = await forms.posted()
    page = forms.page
    if page.principal.user is None:
        return page.refused(NotFound("only a user signed in by name has a password"))
    current, new = fields.get("current_password"), fields.get("password")
    try:
        fields.check({"current_password", "password", "password_again"})
        if new != fields.get("password_again"):
            raise InvalidInput("the two new passwords differ", field="password_again")
        user = await run_in_threadpool(
            page.app.users.change_own_password, _ctx(forms), current, new
        )
    except DomainError as exc:
        return _page(forms, status_code=422, password_error=exc.detail)
    return signed_in_response(page, user, "/account?changed=1")


@router.post("/account/tokens/{tid}/revoke", response_class=HTMLResponse)
async def revoke(forms: FormsDep, tid: str) -> Response:
    fields = await forms.posted()
    if forms.page.principal.user is None:
        return forms.page.refused(NotFound("only a user signed in by name has tokens here"))
    try:
        fields.check(())
        token_id = UUID(tid)
        forms.page.app.access.revoke_token(token_id, "revoked by its user", ctx=_ctx(forms))
    except ValueError:
        return forms.page.refused(NotFound(f"no token {tid!r}"))
    except DomainError as exc:
        return forms.page.refused(exc)
    response = RedirectResponse("/account", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
