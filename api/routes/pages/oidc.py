"""``/login/oidc``: single sign-on (OpenID Connect) when the settings configure an issuer.

``GET /login/oidc`` sends the browser to the issuer with a fresh state, nonce and PKCE
challenge (:mod:`api.oidc`); ``GET /login/oidc/callback`` checks the answer, redeems the
code, verifies the id_token and signs the local user in with the same session cookie as a
password does. Without an issuer configured both answer 404.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from api.oidc import FLOW_COOKIE, FLOW_SECONDS, OidcClient, SignOnFailed
from api.routes.pages.common import PageContext, PublicDep
from api.routes.pages.login import _login_page, _safe_next, signed_in_response
from domain.errors import DomainError, NotFound

router = APIRouter(include_in_schema=False)
CALLBACK = "/login/oidc/callback"


def _client(page: PageContext) -> OidcClient:
    client: OidcClient | None = page.request.app.state.oidc
    if client is None:
        raise NotFound("single sign-on is not configured")
    return client


def _redirect_uri(page: PageContext) -> str:
    return str(page.request.url.replace(path=CALLBACK, query=""))


@router.get("/login/oidc")
def start(page: PublicDep, next: str | None = None) -> Response:
    try:
        client = _client(page)
        url, flow = client.start(_redirect_uri(page), _safe_next(next), page.app.ledger.clock())
    except NotFound as exc:
        return page.refused(exc)
    except SignOnFailed as exc:
        return _failed(page, str(exc), 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        flow,
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=page.request.url.scheme == "https",
        path="/login/oidc",
    )
    return response


@router.get(CALLBACK)
def callback(page: PublicDep) -> Response:
    try:
        client = _client(page)
    except NotFound as exc:
        return page.refused(exc)
    request, app = page.request, page.app
    params = dict(request.query_params.items())
    try:
        identity, next_url = client.finish(
            _redirect_uri(page), request.cookies.get(FLOW_COOKIE, ""), params, app.ledger.clock()
        )
        settings = request.app.state.settings
        result = app.users.sign_in_federated(
            identity.name,
            issuer=client.issuer,
            request_id=request.state.request_id,
            role=identity.role,
            jurisdiction=identity.jurisdiction,
            district=identity.district,
            display_name=identity.display_name,
            create=settings.oidc_create_users,
        )
    except SignOnFailed as exc:
        return _failed(page, str(exc), 401)
    except DomainError as exc:
        return _failed(page, exc.detail, 403)
    if result.principal is None:
        reason = "locked" if result.outcome == "locked" else "no enabled local user of that name"
        return _failed(page, reason, 429 if result.outcome == "locked" else 403)
    response = signed_in_response(page, app.users.user(result.principal.subject), next_url)
    response.delete_cookie(FLOW_COOKIE, path="/login/oidc")
    return response


def _failed(page: PageContext, reason: str, status_code: int) -> Response:
    response = _login_page(
        page, status_code=status_code, next="/", error=page.tr("login.oidc_failed", reason=reason)
    )
    response.delete_cookie(FLOW_COOKIE, path="/login/oidc")
    return response
