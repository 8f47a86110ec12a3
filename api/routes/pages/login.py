"""Signing in and out: a bearer token pasted on ``/login``, kept in an HttpOnly cookie.

Only the pages read the cookie (see :mod:`api.deps`); the API wants the header. A page
that needs a signed-in caller raises ``LoginRequired``, answered by :func:`login_required`.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SESSION_COOKIE, LoginRequired, authenticated
from api.routes.pages.common import PublicDep

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


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.url.netloc


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the sign-in form), first values only."""
    body = (await request.body())[:16_384].decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


@router.get("/login", response_class=HTMLResponse)
def login_form(page: PublicDep, next: str | None = None, bye: int = 0) -> Response:
    return page.render("login.html", next=_safe_next(next), error=None, bye=bool(bye))


@router.post("/login", response_class=HTMLResponse)
async def login(page: PublicDep) -> Response:
    request, tr = page.request, page.tr
    form = await _form(request)
    next_url = _safe_next(form.get("next"))
    if not _same_origin(request):
        return page.render("login.html", status_code=403, next=next_url, error=None, bye=False)
    token = (form.get("token") or "").strip()
    principal = authenticated(page.app, token, via="login") if token else None
    if principal is None:
        return page.render(
            "login.html",
            status_code=401 if token else 422,
            next=next_url,
            error=tr("login.invalid") if token else tr("login.missing"),
            bye=False,
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


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response
