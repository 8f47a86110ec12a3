"""Signing in and out on ``/login``: by user name and password, or with a pasted token.

A user signed in by name and password gets a signed session cookie (:mod:`api.sessions`);
a pasted token is kept as it is in the same HttpOnly cookie (for scripts and the first
administrator). Only the pages read the cookie (see :mod:`api.deps`); the API wants the
header. A page that needs a signed-in caller raises ``LoginRequired``, answered by
:func:`login_required`.

The name-and-password form is CSRF-protected before there is a session: ``GET /login``
sets a random nonce in a short-lived cookie and the form carries its HMAC under the form
secret (:func:`api.routes.pages.forms.csrf_token`); a POST without both, or from another
origin, is refused with 403 before the password is looked at. (The token form, which
scripts post, is held to the origin check only: a forged one needs the token.) A
wrong name or password, an unknown or a disabled user all answer the same 401; a locked
account answers 429 with the instant the lock ends. Both forms, and signing out, are
held to the ``Origin`` (or, without one, the ``Referer``) as every form of the pages is.
The sign-in form's body is read as the other forms' are (:class:`api.routes.pages.forms.Fields`):
another content type, too large a body, a value that is not UTF-8, an unknown or repeated
field or a control character is refused before a name or password is looked at, and
counts as no attempt.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SESSION_COOKIE, LoginRequired, authenticated, log
from api.i18n import LOCAL_ZONE
from api.routes.pages.common import PageContext, PublicDep
from api.routes.pages.forms import (
    URLENCODED,
    Fields,
    FormUnreadable,
    content_type,
    csrf_token,
    same_origin,
)
from api.sessions import SessionSigner
from domain.errors import InvalidInput
from domain.users import User

#: The sign-in form's nonce (see the module's text), valid for an hour on /login only.
LOGIN_NONCE_COOKIE = "oversight_login"
LOGIN_NONCE_SECONDS = 3600

router = APIRouter(include_in_schema=False)


async def login_required(request: Request, exc: LoginRequired) -> Response:
    """A page without a (valid) session: to the sign-in page, then back."""
    target = "/login?" + urlencode({"next": exc.next_url}) if exc.next_url != "/" else "/login"
    response = RedirectResponse(target, status_code=303)
    if exc.invalid:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) is followed after sign-in."""
    value = value or "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value:
        return "/"
    return value


#: The sign-in form's inputs (both modes), with the labels a refusal names them by.
LOGIN_FIELDS = {"name": "login.name", "password": "login.password", "token": "login.token"}


async def _form(page: PageContext) -> dict[str, str]:
    """The sign-in form (``application/x-www-form-urlencoded``), its values as sent. A body
    of another type, too large or with too many fields is :class:`FormUnreadable`; a value
    that is not UTF-8, an unknown or a repeated field, or a control character is
    :class:`InvalidInput` naming the field."""
    request = page.request
    if content_type(request) != URLENCODED:
        sent = content_type(request) or "—"
        raise FormUnreadable(415, "content_type", sent=sent, expected=URLENCODED)
    fields = Fields.parse(await request.body(), strip=False)
    fields.check({*LOGIN_FIELDS, "next"})
    return {name: fields.get(name) for name in fields.values}


def _login_token(request: Request, nonce: str) -> str:
    secret = str(request.app.state.settings.form_secret.get_secret_value())
    return csrf_token(secret, "login:" + nonce)


def _login_page(
    page: PageContext, *, status_code: int = 200, fresh: bool = True, **context: Any
) -> Response:
    """The sign-in page with its form token: of the browser's nonce, or of a new one set
    in a cookie; without ``fresh`` (the answer to a refused post) no cookie is set."""
    kept = page.request.cookies.get(LOGIN_NONCE_COOKIE, "")
    nonce = kept or secrets.token_urlsafe(24)
    values: dict[str, Any] = {"error": None, "bye": False, "name": "", "mode": "password"}
    values["oidc"] = page.request.app.state.oidc is not None
    values.update(context)
    response = page.render(
        "login.html",
        status_code=status_code,
        csrf=_login_token(page.request, nonce) if kept or fresh else "",
        **values,
    )
    if kept or not fresh:
        return response
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        max_age=LOGIN_NONCE_SECONDS,
        httponly=True,
        samesite="strict",
        secure=page.request.url.scheme == "https",
        path="/login",
    )
    return response


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    sent = form.get("csrf_token", "")
    return bool(nonce) and bool(sent) and hmac.compare_digest(sent, _login_token(request, nonce))


@router.get("/login", response_class=HTMLResponse)
def login_form(page: PublicDep, next: str | None = None, bye: int = 0) -> Response:
    return _login_page(page, next=_safe_next(next), bye=bool(bye))


@router.post("/login", response_class=HTMLResponse)
async def login(page: PublicDep) -> Response:
    request, tr = page.request, page.tr
    if not same_origin(request):
        return _login_page(page, status_code=403, fresh=False)
    try:
        form = await _form(page)
    except FormUnreadable as exc:
        error = tr(f"form.unreadable.{exc.reason}", **exc.params)
        return _login_page(page, status_code=exc.status, fresh=False, error=error)
    except InvalidInput as exc:
        label = LOGIN_FIELDS.get(exc.field or "")
        field = tr(label) if label else exc.field or "body"
        error = tr("login.bad_input", field=field, detail=exc.detail)
        return _login_page(page, status_code=422, fresh=False, error=error)
    next_url = _safe_next(form.get("next"))
    if "name" in form:
        if not _csrf_ok(request, form):
            return _login_page(page, status_code=403, next=next_url, error=tr("login.stale"))
        return await _password_login(page, form, next_url)
    token = (form.get("token") or "").strip()
    principal = authenticated(page.app, token, via="login") if token else None
    if principal is None:
        return _login_page(
            page,
            status_code=401 if token else 422,
            fresh=False,
            next=next_url,
            mode="token",
            error=tr("login.invalid") if token else tr("login.missing"),
        )
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


async def _password_login(page: PageContext, form: dict[str, str], next_url: str) -> Response:
    tr, app = page.tr, page.app
    name, password = form.get("name", "").strip(), form.get("password", "")
    if not name or not password:
        return _login_page(
            page, status_code=422, next=next_url, name=name, error=tr("login.missing_password")
        )
    request_id = page.request.state.request_id
    # argon2 takes a good part of a second: off the event loop.
    result = await run_in_threadpool(app.users.sign_in, name, password, request_id=request_id)
    if result.principal is None:
        log.info("auth.refused", via="password", outcome=result.outcome)
    if result.outcome == "locked" and result.locked_until is not None:
        until = result.locked_until.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
        return _login_page(
            page, status_code=429, next=next_url, name=name, error=tr("login.locked", until=until)
        )
    if result.principal is None:
        return _login_page(
            page, status_code=401, next=next_url, name=name, error=tr("login.wrong_password")
        )
    return signed_in_response(page, app.users.user(result.principal.subject), next_url)


def signed_in_response(page: PageContext, user: User, next_url: str) -> Response:
    """A redirect to ``next_url`` that sets the user's session cookie."""
    signer: SessionSigner = page.request.app.state.sessions
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signer.issue(user.name, user.password_version, page.app.ledger.clock()),
        max_age=int(signer.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=page.request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(page: PublicDep) -> Response:
    """Sign out; a post from another site is refused (its answer would drop the cookie)."""
    request = page.request
    if not same_origin(request):
        return _login_page(page, status_code=403, fresh=False)
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response
