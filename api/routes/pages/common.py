"""What every dashboard page shares: language, links, rendering, security headers, parsing.

A page handler takes a :class:`SignedIn` (or, on a public page, a :class:`PageContext`),
parses its query string with the dependencies and parsers here, reads one view from
:mod:`projections.dashboard` or :mod:`projections.institution_file`, and answers with
:meth:`PageContext.render` (or a CSV, :mod:`api.routes.pages.tables`). A refusal of the
domain becomes :meth:`PageContext.refused`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import AppDep, PagePrincipalDep
from api.errors import STATUS
from api.i18n import LANG_COOKIE, LANGS, LOCAL_ZONE, Translator, choose_lang
from api.schemas.fields import first_control
from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import DomainError, InvalidInput, NotFound
from projections import Projections
from projections.filters import Paging, Place
from projections.queries import MAX_LIMIT, ScopeEntry
from projections.store import ViewStore

HERE = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

STATUSES = ("submitted", "active", "expired", "lapsed", "rejected", "cancelled", "revoked")
LEVELS = (0, 1, 2, 3)
PAGE_SIZE = 25

#: Content-Security-Policy of every page: nothing is loaded from anywhere but here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none';"
    " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_ERROR_KEYS = {"error.403", "error.404", "error.409", "error.422"}


# --- language and links ----------------------------------------------------------------


def page_translator(request: Request, lang: str | None = None) -> Translator:
    return Translator(choose_lang(lang, request.cookies.get(LANG_COOKIE)))


TrDep = Annotated[Translator, Depends(page_translator)]


class Here:
    """The current page's address, to link to it with other query parameters."""

    def __init__(self, request: Request) -> None:
        self.path = request.url.path
        self.params = {k: v for k, v in request.query_params.items() if v != ""}

    def __call__(self, **changes: object) -> str:
        params = dict(self.params)
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return self.path + ("?" + urlencode(params) if params else "")

    def csv(self, table: str | None = None) -> str:
        return self(format="csv", table=table, cursor=None, lang=None)


def _projections(request: Request) -> Projections:
    projections: Projections = request.app.state.projections
    return projections


def get_store(request: Request) -> ViewStore:
    """The read models' store the pages read."""
    return _projections(request).store


StoreDep = Annotated[ViewStore, Depends(get_store)]


# --- rendering -------------------------------------------------------------------------


def security_headers(response: Response, *, private: bool) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if private:
        response.headers["Cache-Control"] = "no-store"


def _remember_lang(request: Request, response: Response) -> None:
    chosen = request.query_params.get("lang")
    if chosen in LANGS and chosen != request.cookies.get(LANG_COOKIE):
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )


def _scope_label(principal: Principal, tr: Translator) -> str:
    if principal.role == "admin":
        return tr("who.all")
    if principal.institution_id is not None:
        return tr("who.own_record")
    parts = [tr.jurisdiction(principal.jurisdiction), principal.district or ""]
    return " · ".join(p for p in parts if p) or tr("who.all")


@dataclass(frozen=True)
class PageContext:
    """One page request: the application and read models it reads, in which language."""

    request: Request
    app: OversightApplication
    tr: Translator
    store: ViewStore

    @property
    def viewer(self) -> Principal | None:
        """Who is signed in (nobody on the public pages)."""
        return None

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        """``template`` with the language, the caller, links and the read models' position."""
        templates: Jinja2Templates = self.request.app.state.templates
        viewer = self.viewer
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                "t": self.tr,
                "principal": viewer,
                "here": Here(self.request),
                "position": _projections(self.request).register.position(),
                "scope_label": _scope_label(viewer, self.tr) if viewer else "",
                **context,
            },
            status_code=status_code,
        )
        _remember_lang(self.request, response)
        security_headers(response, private=viewer is not None)
        return response

    def refused(self, exc: DomainError) -> HTMLResponse:
        """The page for a refusal, with the status the API would answer."""
        status = next(s for cls, s, _ in STATUS if isinstance(exc, cls))
        key = f"error.{status}"
        message = self.tr(key) if key in _ERROR_KEYS else self.tr("error.title")
        return self.render("error.html", status_code=status, message=message, detail=exc.detail)


@dataclass(frozen=True)
class SignedIn(PageContext):
    """A page request of a signed-in caller, whose scope confines every read."""

    principal: Principal

    @property
    def viewer(self) -> Principal | None:
        return self.principal


def page_context(request: Request, app: AppDep, tr: TrDep, store: StoreDep) -> PageContext:
    return PageContext(request, app, tr, store)


def signed_in(
    request: Request, app: AppDep, principal: PagePrincipalDep, tr: TrDep, store: StoreDep
) -> SignedIn:
    return SignedIn(request, app, tr, store, principal)


#: A public page (``/public``, ``/login``).
PublicDep = Annotated[PageContext, Depends(page_context)]
#: A page that needs a signed-in caller (else to ``/login`` and back).
SignedInDep = Annotated[SignedIn, Depends(signed_in)]


# --- the query string ------------------------------------------------------------------


def blank(value: str | None, name: str = "query") -> str | None:
    """A query parameter with its spaces trimmed; an empty one is not given. Control
    characters and lone surrogates are refused (no filter holds one; the store would not
    take them)."""
    value = (value or "").strip()
    if (bad := first_control(value)) is not None:
        raise InvalidInput(f"{name} holds the character U+{ord(bad[1]):04X}", field=name)
    return value or None


def parse_date(value: str | None, name: str) -> date | None:
    value = blank(value)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date written YYYY-MM-DD", field=name) from None


def parse_instant(value: str | None, name: str) -> datetime | None:
    """An instant written ``YYYY-MM-DDTHH:MM[:SS]``, in Beijing time unless it names its
    offset (what a ``datetime-local`` field sends)."""
    value = blank(value)
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{name} must be an instant written YYYY-MM-DDTHH:MM[:SS]", field=name
        ) from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=LOCAL_ZONE)


def local_instant(value: datetime | None) -> str:
    """An instant as a ``datetime-local`` field shows it (Beijing time, to the second)."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M:%S")


def parse_level(value: str | None) -> int | None:
    value = blank(value)
    if value is None:
        return None
    if value not in {str(lv) for lv in LEVELS}:
        raise InvalidInput("level must be 0, 1, 2 or 3", field="level")
    return int(value)


def parse_institution_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no institution {value!r}", field="iid") from None


def place_query(jurisdiction: str | None = None, district: str | None = None) -> Place:
    """``?jurisdiction=&district=``: where a list or a count looks."""
    return Place(blank(jurisdiction, "jurisdiction"), blank(district, "district"))


PlaceDep = Annotated[Place, Depends(place_query)]


def paging_query(
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE_SIZE,
) -> Paging:
    """``?cursor=&limit=``: which page of a list."""
    return Paging(blank(cursor, "cursor"), limit)


PagingDep = Annotated[Paging, Depends(paging_query)]


# --- labels ----------------------------------------------------------------------------


def level_text(level: int | None, tr: Translator) -> str:
    return f"{level} {tr.level(level)}" if level is not None else ""


def scope_text(lines: Iterable[ScopeEntry]) -> str:
    """Occupations with their levels: ``4-03-02-01（3/4/5）；…``."""
    return "；".join(f"{s.occupation}（{'/'.join(str(v) for v in s.levels)}）" for s in lines)
