"""Typed dependencies: the application, the caller, and the command context."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

import structlog
from fastapi import Depends, Header, Request

from api.errors import Unauthenticated
from api.sessions import SessionSigner, is_user_session
from config.logging import get_logger
from domain.access import Principal
from domain.application import Context, OversightApplication
from domain.errors import InvalidInput

ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')
log = get_logger("api.auth")


def get_app(request: Request) -> OversightApplication:
    app: OversightApplication = request.app.state.oversight
    return app


async def app_dependency(request: Request) -> OversightApplication:
    """``get_app`` as a dependency (``async``: called on the event loop, without a hop
    through the thread pool that FastAPI runs plain functions in)."""
    return get_app(request)


AppDep = Annotated[OversightApplication, Depends(app_dependency)]


def get_principal(
    request: Request,
    app: AppDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    principal = authenticated(app, authorization[7:].strip(), via="bearer")
    if principal is None:
        raise Unauthenticated("the token is unknown, revoked or expired")
    structlog.contextvars.bind_contextvars(actor=principal.subject, role=principal.role)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def authenticated(app: OversightApplication, secret: str, *, via: str) -> Principal | None:
    """The token's principal, or None (logged without the token: it may be a real one
    mistyped, or a revoked one)."""
    principal = app.access.authenticate_or_none(secret)
    if principal is None:
        log.info("auth.refused", via=via)
    return principal


#: The dashboard pages' session: a user's signed session (name and password on /login,
#: SameSite=Lax, see :mod:`api.sessions`), or the bearer token pasted on /login (SameSite=
#: Strict); HttpOnly either way. Only the pages read it; the API wants the header.
SESSION_COOKIE = "oversight_session"


class LoginRequired(Exception):
    """A page needs a signed-in caller; the pages answer with a redirect to /login."""

    def __init__(self, next_url: str, *, invalid: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        #: The cookie named a token that is unknown or revoked (and should be dropped).
        self.invalid = invalid


def get_page_principal(
    request: Request,
    app: AppDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The caller of a page: a bearer token when one is sent (a script fetching a CSV export
    or a document, refused with 401 like the API), else the session cookie of the browser,
    under the same scope rules as the API."""
    if authorization is not None:
        return get_principal(request, app, authorization)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    secret = request.cookies.get(SESSION_COOKIE, "").strip()
    if not secret:
        raise LoginRequired(here)
    if is_user_session(secret):
        principal = session_principal(request, app, secret)
    else:
        principal = authenticated(app, secret, via="cookie")
    if principal is None:
        raise LoginRequired(here, invalid=True)
    structlog.contextvars.bind_contextvars(actor=principal.subject, role=principal.role)
    return principal


PagePrincipalDep = Annotated[Principal, Depends(get_page_principal)]


def session_principal(request: Request, app: OversightApplication, cookie: str) -> Principal | None:
    """The user a signed session cookie names, while the session holds and the user is
    enabled with the password it signed in with (see :mod:`api.sessions`)."""
    signer: SessionSigner = request.app.state.sessions
    session = signer.read(cookie, app.ledger.clock())
    if session is None:
        log.info("auth.refused", via="session")
        return None
    principal = app.users.principal_of(session.user, session.password_version)
    if principal is None:
        log.info("auth.refused", via="session")
    return principal


async def get_context(
    request: Request,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> Context:
    return command_context(request, principal, await request.body(), idempotency_key, if_match)


def command_context(
    request: Request,
    principal: Principal,
    body: bytes,
    idempotency_key: str | None = None,
    if_match: str | None = None,
) -> Context:
    """The context of the command a request sends: its caller, its key, the fingerprint of
    its method, path and body, and the version it expects (``If-Match``)."""
    expected: int | None = None
    if if_match is not None:
        match = ETAG.match(if_match.strip())
        if not match:
            raise InvalidInput('If-Match must be the record version, e.g. "3"', field="If-Match")
        expected = int(match.group(1))
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    return Context(
        principal=principal,
        request_id=request.state.request_id,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        expected_version=expected,
    )


ContextDep = Annotated[Context, Depends(get_context)]
