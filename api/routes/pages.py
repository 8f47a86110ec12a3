"""The regulators' dashboard: server-rendered pages over the read models and the record.

Pages sign in with the session cookie set on ``/login`` (see :mod:`api.deps`) and apply the
same scope as the API: lists read the projections through ``allowed_scope(principal)``,
an institution's file reads the aggregate through the application, which refuses what
lies outside the caller's scope. ``/public`` needs no sign-in. Every table can be
exported with ``?format=csv`` (``&table=NAME`` on pages with several tables), in UTF-8
with a byte-order mark so that spreadsheet programs read the Chinese correctly.

The pages compute nothing the domain decides: they copy, count and label.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, quote, urlencode, urlsplit
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.deps import (
    SESSION_COOKIE,
    AppDep,
    LoginRequired,
    PagePrincipalDep,
)
from api.errors import STATUS
from api.i18n import LANG_COOKIE, LANGS, LOCAL_ZONE, Translator, choose_lang
from domain.access import SYSTEM, Principal
from domain.application import OversightApplication, StoredEvent
from domain.errors import DomainError, InvalidInput, NotFound
from domain.institution import Institution
from projections import Projections
from projections.complaints_queries import ComplaintStat, complaint_stats
from projections.disclosure_queries import (
    DisclosureEntry,
    public_entries,
    publication_history,
)
from projections.queries import (
    MAX_LIMIT,
    Page,
    RegisterEntry,
    allowed_scope,
    count_by_status,
    list_institutions,
)
from projections.sanctions_queries import (
    Sanction,
    list_sanctions,
    sanctions_by_article,
    sanctions_by_district,
    sanctions_by_month,
)
from projections.worklist_queries import WorklistItems
from projections.worklist_queries import worklist as worklist_items

HERE = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

STATUSES = ("submitted", "active", "expired", "lapsed", "rejected", "cancelled", "revoked")
LEVELS = (0, 1, 2, 3)
LEVEL_COLOURS = {0: "#7b8da3", 1: "#e0a30b", 2: "#e8590c", 3: "#c0392b"}
STATUS_COLOURS = {
    "submitted": "#4263eb",
    "active": "#2b8a3e",
    "expired": "#f08c00",
    "lapsed": "#adb5bd",
    "rejected": "#868e96",
    "cancelled": "#ced4da",
    "revoked": "#c0392b",
}
PAGE_SIZE = 25
#: Most articles shown in the by-article chart (the table and CSV keep them all).
TOP_ARTICLES = 15

#: Content-Security-Policy of every page: nothing is loaded from anywhere but here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none';"
    " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


# --- language, links, rendering --------------------------------------------------------


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


def _security_headers(response: Response, *, private: bool) -> None:
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


def render(
    request: Request,
    template: str,
    tr: Translator,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    projections = _projections(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": tr,
            "principal": principal,
            "here": Here(request),
            "position": projections.register.position(),
            "scope_label": _scope_label(principal, tr) if principal else "",
            **context,
        },
        status_code=status_code,
    )
    _remember_lang(request, response)
    _security_headers(response, private=principal is not None)
    return response


def _scope_label(principal: Principal, tr: Translator) -> str:
    if principal.role == "admin":
        return tr("who.all")
    if principal.institution_id is not None:
        return tr("who.own_record")
    parts = [tr.jurisdiction(principal.jurisdiction), principal.district or ""]
    return " · ".join(p for p in parts if p) or tr("who.all")


def error_page(
    request: Request, tr: Translator, principal: Principal | None, exc: DomainError
) -> HTMLResponse:
    status = next(s for cls, s, _ in STATUS if isinstance(exc, cls))
    key = f"error.{status}"
    message = tr(key) if key in _ERROR_KEYS else tr("error.title")
    return render(
        request,
        "error.html",
        tr,
        principal,
        status_code=status,
        message=message,
        detail=exc.detail,
    )


_ERROR_KEYS = {"error.403", "error.404", "error.409", "error.422"}


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# --- CSV -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A table as it is exported: file name, header and plain cells."""

    name: str
    header: list[str]
    rows: list[list[object]] = field(default_factory=list)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = value.isoformat() if isinstance(value, date) else str(value)
    # A cell a spreadsheet would read as a formula is kept as text.
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(table: Table) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    response = Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{table.name}.csv";'
            f" filename*=UTF-8''{quote(table.name)}.csv"
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def export(tables: dict[str, Callable[[], Table]], wanted: str | None, default: str) -> Response:
    """The CSV of the table asked for (``default`` when none is named)."""
    name = wanted or default
    if name not in tables:
        raise NotFound(f"no table {name!r} here (tables: {', '.join(tables)})", field="table")
    return csv_response(tables[name]())


# --- charts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    data: list[int]
    #: One colour for a bar series; one per category for a pie.
    colours: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    """What charts.js draws: categories along one axis, one series per level or status."""

    id: str
    title: str
    kind: Literal["bar", "pie"]
    categories: list[str]
    series: list[Series]
    table: str
    horizontal: bool = False
    note: str = ""

    @property
    def empty(self) -> bool:
        return not any(any(s.data) for s in self.series)

    @property
    def spec(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "horizontal": self.horizontal,
                "categories": self.categories,
                "series": [
                    {"name": s.name, "data": s.data, "colors": list(s.colours)} for s in self.series
                ],
            },
            ensure_ascii=False,
        )


def _by_level(
    rows: Iterable[tuple[str, int, int]],
    tr: Translator,
    *,
    order: Callable[[dict[str, int]], list[str]] | None = None,
) -> tuple[list[str], list[Series]]:
    """Pivot ``(category, level, count)`` rows into categories and one series per level."""
    counts: dict[str, dict[int, int]] = {}
    for category, level, count in rows:
        counts.setdefault(category, {})
        counts[category][level] = counts[category].get(level, 0) + count
    totals = {c: sum(v.values()) for c, v in counts.items()}
    categories = order(totals) if order else sorted(counts)
    series = [
        Series(
            f"{level} {tr.level(level)}",
            [counts.get(c, {}).get(level, 0) for c in categories],
            (LEVEL_COLOURS[level],),
        )
        for level in LEVELS
        if any(counts.get(c, {}).get(level) for c in categories)
    ]
    return categories, series


def _continuous_months(totals: dict[str, int]) -> list[str]:
    """Every month from the first to the last with data, so the time axis has no gaps."""
    if not totals:
        return []
    first, last = min(totals), max(totals)
    year, month = int(first[:4]), int(first[5:7])
    months: list[str] = []
    while (label := f"{year:04d}-{month:02d}") <= last and len(months) < 600:
        months.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _level_table(
    name: str, first: str, rows: Sequence[tuple[str, int, int]], tr: Translator
) -> Table:
    return Table(
        name,
        [first, tr("chart.level"), tr("common.count")],
        [[c, f"{lv} {tr.level(lv)}", n] for c, lv, n in rows],
    )


# --- sign-in ---------------------------------------------------------------------------


def install_pages(app: FastAPI) -> None:
    """Mount the static files, the templates and the pages on ``app``."""
    app.state.templates = Jinja2Templates(directory=TEMPLATES_DIR)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
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


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, tr: TrDep, next: str | None = None, bye: int = 0) -> Response:
    return render(
        request,
        "login.html",
        tr,
        None,
        next=_safe_next(next),
        error=None,
        bye=bool(bye),
    )


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, app: AppDep, tr: TrDep) -> Response:
    form = await _form(request)
    next_url = _safe_next(form.get("next"))
    if not _same_origin(request):
        return render(
            request, "login.html", tr, None, status_code=403, next=next_url, error=None, bye=False
        )
    token = (form.get("token") or "").strip()
    principal = app.access.authenticate_or_none(token) if token else None
    if principal is None:
        return render(
            request,
            "login.html",
            tr,
            None,
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


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the sign-in form), first values only."""
    body = (await request.body())[:16_384].decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


# --- overview --------------------------------------------------------------------------

Counts = list[tuple[str, int, int]]


def _complaint_chart(stats: Sequence[ComplaintStat], tr: Translator) -> Chart:
    parts = (
        ("complaints.substantiated", "substantiated", "#c0392b"),
        ("complaints.unfounded", "unsubstantiated", "#7b8da3"),
        ("complaints.open", "pending", "#e0a30b"),
    )
    return Chart(
        "chart-complaints",
        tr("chart.complaints"),
        "bar",
        [s.label for s in stats],
        [
            Series(tr(key), [int(getattr(s, attr)) for s in stats], (colour,))
            for key, attr, colour in parts
        ],
        "complaints",
    )


def _complaint_table(stats: Sequence[ComplaintStat], tr: Translator) -> Table:
    return Table(
        "complaints-by-month",
        [
            tr("chart.month"),
            tr("complaints.received"),
            tr("complaints.substantiated"),
            tr("complaints.unfounded"),
            tr("complaints.open"),
        ],
        [[s.label, s.received, s.substantiated, s.unsubstantiated, s.pending] for s in stats],
    )


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    app: AppDep,
    principal: PagePrincipalDep,
    tr: TrDep,
    jurisdiction: str | None = None,
    district: str | None = None,
    format: str | None = None,
    table: str | None = None,
) -> Response:
    projections = _projections(request)
    store = projections.store
    filters: dict[str, Any] = {"jurisdiction": _blank(jurisdiction), "district": _blank(district)}
    scope = {**allowed_scope(principal), **filters}
    today = app.ledger.today()
    try:
        statuses = count_by_status(store, **scope)
        by_month: Counts = [(m, lv, n) for m, lv, n in sanctions_by_month(store, **scope)]
        by_article: Counts = [(a, lv, n) for a, lv, n in sanctions_by_article(store, **scope)]
        by_district: Counts = [(d, lv, n) for d, lv, n in sanctions_by_district(store, **scope)]
        complaints = complaint_stats(store, by="month", **scope)
        work = worklist_items(store, as_of=today, **scope)
    except DomainError as exc:
        return error_page(request, tr, principal, exc)
    status_codes = [s for s in STATUSES if statuses.get(s)]

    def status_table() -> Table:
        return Table(
            "filings-by-status",
            [tr("field.status"), tr("common.count")],
            [[tr.status(s), statuses[s]] for s in status_codes],
        )

    tables: dict[str, Callable[[], Table]] = {
        "status": status_table,
        "sanctions_by_month": lambda: _level_table(
            "sanctions-by-month", tr("chart.month"), by_month, tr
        ),
        "sanctions_by_article": lambda: _level_table(
            "sanctions-by-article", tr("chart.article"), by_article, tr
        ),
        "sanctions_by_district": lambda: _level_table(
            "sanctions-by-district", tr("chart.district"), by_district, tr
        ),
        "complaints": lambda: _complaint_table(complaints, tr),
    }
    if format == "csv":
        try:
            return export(tables, table, "status")
        except DomainError as exc:
            return error_page(request, tr, principal, exc)

    months, month_series = _by_level(by_month, tr, order=_continuous_months)
    articles, article_series = _by_level(
        by_article,
        tr,
        order=lambda totals: sorted(totals, key=lambda a: (-totals[a], a))[:TOP_ARTICLES],
    )
    districts, district_series = _by_level(
        by_district, tr, order=lambda totals: sorted(totals, key=lambda d: (-totals[d], d))
    )
    charts = [
        Chart(
            "chart-status",
            tr("chart.status"),
            "pie",
            [tr.status(s) for s in status_codes],
            [
                Series(
                    tr("field.status"),
                    [statuses[s] for s in status_codes],
                    tuple(STATUS_COLOURS[s] for s in status_codes),
                )
            ],
            "status",
        ),
        Chart(
            "chart-month", tr("chart.by_month"), "bar", months, month_series, "sanctions_by_month"
        ),
        Chart(
            "chart-article",
            tr("chart.by_article"),
            "bar",
            articles,
            article_series,
            "sanctions_by_article",
            horizontal=True,
        ),
        Chart(
            "chart-district",
            tr("chart.by_district"),
            "bar",
            districts,
            district_series,
            "sanctions_by_district",
        ),
        _complaint_chart(complaints, tr),
    ]
    open_items = len(work.findings) + len(work.cases) + len(work.rectifications) + len(work.appeals)
    overdue = sum(1 for c in work.cases if c.overdue) + sum(
        1 for r in work.rectifications if r.overdue
    )
    cards = [
        (tr("overview.institutions"), sum(statuses.values()), "/register", ""),
        (tr("overview.active"), statuses.get("active", 0), "/register?status=active", ""),
        (tr("overview.worklist"), open_items, "/worklist", ""),
        (tr("overview.overdue"), overdue, "/worklist", "alert" if overdue else ""),
    ]
    return render(
        request,
        "overview.html",
        tr,
        principal,
        charts=charts,
        cards=cards,
        tables={name: make() for name, make in tables.items()},
        filters=filters,
        jurisdictions=_jurisdictions(app, principal),
        charts_page=True,
    )


def _jurisdictions(app: OversightApplication, principal: Principal) -> list[str]:
    known = app.ledger.catalogue.jurisdictions()
    if principal.role != "admin" and principal.jurisdiction is not None:
        return [j for j in known if j == principal.jurisdiction]
    return known


# --- register --------------------------------------------------------------------------


def _register_rows(
    projections: Projections, principal: Principal, **filters: Any
) -> Iterator[RegisterEntry]:
    """Every register row matching ``filters`` inside the caller's scope, page by page."""
    cursor: str | None = None
    while True:
        page = list_institutions(
            projections.store,
            **filters,
            limit=MAX_LIMIT,
            cursor=cursor,
            **allowed_scope(principal),
        )
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _scope_text(entry: RegisterEntry) -> str:
    return "；".join(
        f"{s.occupation}（{'/'.join(str(v) for v in s.levels)}）" for s in entry.occupations
    )


def _register_table(entries: Iterable[RegisterEntry], tr: Translator) -> Table:
    return Table(
        "register",
        [
            tr("field.credit_code"),
            tr("field.name"),
            tr("field.kind"),
            tr("field.jurisdiction"),
            tr("field.district"),
            tr("field.status"),
            tr("field.suspended"),
            tr("field.receipt_number"),
            tr("field.valid_from"),
            tr("field.valid_until"),
            tr("field.ban_until"),
            tr("field.occupations"),
            tr("field.test_sites"),
            tr("field.id"),
        ],
        [
            [
                e.credit_code,
                e.name,
                tr.kind(e.kind),
                tr.jurisdiction(e.jurisdiction),
                e.district,
                tr.status(e.status),
                tr.bool(e.suspended_by),
                e.receipt_number,
                e.valid_from,
                e.valid_until,
                tr("common.indefinite") if e.ban_indefinite else e.ban_until,
                _scope_text(e),
                "；".join(e.test_sites),
                e.id,
            ]
            for e in entries
        ],
    )


@router.get("/register", response_class=HTMLResponse)
def register(
    request: Request,
    app: AppDep,
    principal: PagePrincipalDep,
    tr: TrDep,
    jurisdiction: str | None = None,
    district: str | None = None,
    status: str | None = None,
    occupation: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE_SIZE,
    format: str | None = None,
) -> Response:
    projections = _projections(request)
    filters: dict[str, Any] = {
        "jurisdiction": _blank(jurisdiction),
        "district": _blank(district),
        "status": _blank(status),
        "occupation": _blank(occupation),
    }
    try:
        if format == "csv":
            return csv_response(
                _register_table(_register_rows(projections, principal, **filters), tr)
            )
        page: Page[RegisterEntry] = list_institutions(
            projections.store,
            **filters,
            limit=limit,
            cursor=_blank(cursor),
            **allowed_scope(principal),
        )
    except DomainError as exc:
        return error_page(request, tr, principal, exc)
    return render(
        request,
        "register.html",
        tr,
        principal,
        page=page,
        filters=filters,
        first_page=cursor is not None,
        statuses=STATUSES,
        jurisdictions=_jurisdictions(app, principal),
        fixed_district=principal.district if principal.role != "admin" else None,
        scope_text=_scope_text,
    )


# --- an institution's file -------------------------------------------------------------

#: Event fields shown first in the timeline's one-line summary, in this order.
HEADLINE = (
    "rule_id",
    "reason",
    "facts",
    "summary",
    "level",
    "intended_level",
    "actions",
    "articles",
    "deadline",
    "defence_deadline",
    "valid_until",
    "receipt_number",
    "ban_until",
    "case_id",
    "decision_id",
    "finding_id",
    "complaint_id",
    "batch_id",
    "outcome",
    "substantiated",
    "remarks",
    "report",
    "pledge",
    "statement",
    "name",
    "address",
    "district",
    "scope",
)
#: Fields of an event that are shown by a short form, never in full.
SHORT_FIELDS = {"assessment", "requirement"}
#: Personal contact details stay out of the timeline.
HIDDEN_FIELDS = {"contact", "legal_representative"}
SUMMARY_FIELDS = 3
SUMMARY_LENGTH = 80


def _value(key: str, value: Any, tr: Translator) -> str:
    """An event field as a short readable text (never a JSON dump)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return tr.bool(value)
    if isinstance(value, date):
        return value.isoformat()
    if key in ("level", "intended_level", "new_level") and isinstance(value, int):
        return f"{value} {tr.level(value)}"
    if key in ("actions", "intended_actions", "new_actions") and isinstance(value, list):
        return "、".join(tr.action(str(a)) for a in value)
    if key in SHORT_FIELDS and isinstance(value, dict):
        level = value.get("level")
        parts = [f"{level} {tr.level(level)}" if level is not None else "", value.get("article")]
        return " · ".join(str(p) for p in parts if p)
    if isinstance(value, dict):
        return "；".join(f"{tr.field(str(k))}：{_value(str(k), v, tr)}" for k, v in value.items())
    if isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict) and "occupation" in item:
                levels = "/".join(str(v) for v in item.get("levels", ()))
                items.append(f"{item['occupation']}（{levels}）")
            elif isinstance(item, dict):
                items.append(
                    str(item.get("name") or item.get("detail") or item.get("rule_id") or "")
                )
            else:
                items.append(str(item))
        return "；".join(i for i in items if i)
    return str(value)


@dataclass(frozen=True)
class TimelineEntry:
    event: StoredEvent
    label: str
    summary: list[tuple[str, str]]
    fields: list[tuple[str, str]]
    #: Whole days between the business date and the day it was recorded (Beijing time).
    recorded_later: int


def _timeline(events: Sequence[StoredEvent], tr: Translator) -> list[TimelineEntry]:
    entries = []
    for e in events:
        data = {k: v for k, v in e.data.items() if k not in HIDDEN_FIELDS}
        fields = [(tr.field(k), _value(k, v, tr)) for k, v in data.items()]
        headline = [k for k in HEADLINE if data.get(k) not in (None, "", [], {})]
        summary = []
        for key in headline[:SUMMARY_FIELDS]:
            text = _value(key, data[key], tr)
            if len(text) > SUMMARY_LENGTH:
                text = text[: SUMMARY_LENGTH - 1] + "…"
            summary.append((tr.field(key), text))
        recorded_on = e.recorded_at.astimezone(LOCAL_ZONE).date()
        entries.append(
            TimelineEntry(
                event=e,
                label=tr.event(e.name),
                summary=summary,
                fields=[(k, v) for k, v in fields if v],
                recorded_later=(recorded_on - e.occurred_on).days,
            )
        )
    return entries


def _ground_rows(assessment: dict[str, Any] | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(finding assessment, ground) pairs of every undecided finding."""
    if not assessment or not assessment.get("findings"):
        return []
    return [(f, g) for f in assessment["findings"] for g in f.get("grounds", ())]


def _events_text(refs: Iterable[dict[str, Any]], tr: Translator) -> str:
    return "；".join(
        f"#{r['version']} {tr.event(str(r['type']))} {_value('d', r['occurred_on'], tr)}"
        for r in refs
    )


def _open_cases(inst: Institution) -> list[tuple[str, dict[str, Any]]]:
    return [(cid, case) for cid, case in inst.cases.items() if case.get("step") != "served"]


@router.get("/institutions/{iid}", response_class=HTMLResponse)
def institution_file(
    request: Request,
    iid: str,
    app: AppDep,
    principal: PagePrincipalDep,
    tr: TrDep,
    as_of: str | None = None,
    format: str | None = None,
    table: str | None = None,
) -> Response:
    try:
        institution_id = _uuid(iid)
        on = _date(_blank(as_of), "as_of") or app.ledger.today()
        inst = app.records.institution(principal, institution_id)
        events = app.records.institution_events(principal, institution_id)
        assessment = app.records.assessment(principal, institution_id, on)
        broken = app.records.verify_institution(principal, institution_id)
    except DomainError as exc:
        return error_page(request, tr, principal, exc)
    timeline = _timeline(events, tr)
    grounds = _ground_rows(assessment)
    cases = _open_cases(inst)
    decisions = sorted(inst.decisions.items(), key=lambda d: d[1]["decided_on"], reverse=True)

    def timeline_table() -> Table:
        return Table(
            "timeline",
            [
                tr("event.version"),
                tr("event.type"),
                tr("event.occurred_on"),
                tr("event.recorded_at"),
                tr("event.actor"),
                tr("event.role"),
                tr("event.request_id"),
                tr("event.summary"),
            ],
            [
                [
                    t.event.version,
                    t.label,
                    t.event.occurred_on,
                    tr.instant(t.event.recorded_at),
                    t.event.actor,
                    tr.role(t.event.role),
                    t.event.request_id,
                    "；".join(f"{k}：{v}" for k, v in t.fields),
                ]
                for t in timeline
            ],
        )

    def grounds_table() -> Table:
        return Table(
            "grounds",
            [
                tr("file.finding"),
                tr("file.required_article"),
                tr("file.requirement_level"),
                tr("file.grounds"),
                tr("decision.level"),
                "说明（中文）",
                "Explanation (English)",
                tr("file.ground_events"),
            ],
            [
                [
                    f.get("finding_id"),
                    f.get("article"),
                    f"{f.get('level')} {tr.level(f.get('level'))}",
                    g.get("article"),
                    f"{g.get('level')} {tr.level(g.get('level'))}",
                    g.get("explanation_zh"),
                    g.get("explanation_en"),
                    _events_text(g.get("events", ()), tr),
                ]
                for f, g in grounds
            ],
        )

    def cases_table() -> Table:
        return Table(
            "open-cases",
            [
                tr("case.id"),
                tr("case.step"),
                tr("case.opened_on"),
                tr("case.defence_deadline"),
                tr("case.intended_level"),
                tr("case.findings"),
                tr("case.decision"),
            ],
            [
                [
                    cid,
                    tr.case_step(c.get("step", "")),
                    c.get("opened_on"),
                    c.get("defence_deadline"),
                    (
                        f"{c['intended_level']} {tr.level(c['intended_level'])}"
                        if c.get("intended_level") is not None
                        else ""
                    ),
                    "；".join(c.get("finding_ids", ())),
                    c.get("decision_id"),
                ]
                for cid, c in cases
            ],
        )

    def decisions_table() -> Table:
        return Table(
            "decisions",
            [
                tr("decision.id"),
                tr("decision.level"),
                tr("file.actions"),
                tr("decision.articles"),
                tr("decision.decided_on"),
                tr("decision.served_on"),
                tr("decision.rectification"),
                tr("decision.below"),
                tr("decision.rescinded"),
            ],
            [
                [
                    did,
                    f"{d['level']} {tr.level(d['level'])}",
                    "、".join(tr.action(a) for a in d.get("actions", ())),
                    "；".join(d.get("articles", ())),
                    d.get("decided_on"),
                    d.get("served_on"),
                    _rectification_text(d, tr),
                    tr.bool(d.get("below_requirement")),
                    tr.bool(d.get("rescinded")),
                ]
                for did, d in decisions
            ],
        )

    tables: dict[str, Callable[[], Table]] = {
        "timeline": timeline_table,
        "grounds": grounds_table,
        "cases": cases_table,
        "decisions": decisions_table,
    }
    if format == "csv":
        try:
            return export(tables, table, "timeline")
        except DomainError as exc:
            return error_page(request, tr, principal, exc)
    rulebook = app.ledger.catalogue.in_force(inst.jurisdiction, on)
    return render(
        request,
        "institution.html",
        tr,
        principal,
        inst=inst,
        as_of=on,
        timeline=timeline,
        assessment=assessment,
        requirement=assessment.get("requirement"),
        cases=cases,
        decisions=decisions,
        broken=broken,
        rulebook=rulebook,
        rectification_text=lambda d: _rectification_text(d, tr),
        value=lambda k, v: _value(k, v, tr),
    )


def _rectification_text(decision: dict[str, Any], tr: Translator) -> str:
    rect = decision.get("rectification")
    if not rect:
        return ""
    deadline = rect.get("deadline")
    return f"{tr.rectification(str(rect.get('state', '')))} · {_value('d', deadline, tr)}"


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no institution {value!r}", field="iid") from None


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date written YYYY-MM-DD", field=name) from None


# --- sanctions -------------------------------------------------------------------------


def _sanctions_table(items: Iterable[Sanction], tr: Translator) -> Table:
    return Table(
        "sanctions",
        [
            tr("decision.id"),
            tr("field.name"),
            tr("field.jurisdiction"),
            tr("field.district"),
            tr("decision.level"),
            tr("file.actions"),
            tr("decision.articles"),
            tr("decision.decided_on"),
            tr("decision.served_on"),
            tr("decision.below"),
            tr("sanctions.status"),
        ],
        [
            [
                s.decision_id,
                s.institution_name,
                tr.jurisdiction(s.jurisdiction),
                s.district,
                f"{s.effective_level} {tr.level(s.effective_level)}",
                "、".join(tr.action(a) for a in (s.new_actions or s.actions)),
                "；".join(s.articles),
                s.decided_on,
                s.served_on,
                tr.bool(s.below_requirement),
                tr.sanction_status(s.status),
            ]
            for s in items
        ],
    )


@router.get("/sanctions", response_class=HTMLResponse)
def sanctions(
    request: Request,
    app: AppDep,
    principal: PagePrincipalDep,
    tr: TrDep,
    jurisdiction: str | None = None,
    district: str | None = None,
    level: str | None = None,
    article: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE_SIZE,
    format: str | None = None,
) -> Response:
    projections = _projections(request)
    try:
        chosen_level = _level(_blank(level))
        filters: dict[str, Any] = {
            "jurisdiction": _blank(jurisdiction),
            "district": _blank(district),
            "level": chosen_level,
            "article": _blank(article),
            "month_from": _blank(month_from),
            "month_to": _blank(month_to),
        }
        scope = allowed_scope(principal)
        if format == "csv":
            return csv_response(_sanctions_table(_all_sanctions(projections, scope, filters), tr))
        page = list_sanctions(
            projections.store, **filters, limit=limit, cursor=_blank(cursor), **scope
        )
    except DomainError as exc:
        return error_page(request, tr, principal, exc)
    return render(
        request,
        "sanctions.html",
        tr,
        principal,
        page=page,
        filters=filters,
        levels=LEVELS,
        first_page=cursor is not None,
        jurisdictions=_jurisdictions(app, principal),
        fixed_district=principal.district if principal.role != "admin" else None,
    )


def _level(value: str | None) -> int | None:
    if value is None:
        return None
    if value not in {str(lv) for lv in LEVELS}:
        raise InvalidInput("level must be 0, 1, 2 or 3", field="level")
    return int(value)


def _all_sanctions(
    projections: Projections, scope: dict[str, Any], filters: dict[str, Any]
) -> Iterator[Sanction]:
    cursor: str | None = None
    while True:
        page = list_sanctions(projections.store, **filters, limit=MAX_LIMIT, cursor=cursor, **scope)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


# --- worklist --------------------------------------------------------------------------


def _level_text(level: int | None, tr: Translator) -> str:
    return f"{level} {tr.level(level)}" if level is not None else ""


def _deadline_text(due_on: date | None, overdue: bool, today: date, tr: Translator) -> str:
    if due_on is None:
        return ""
    days = (due_on - today).days
    return tr("worklist.overdue", n=-days) if overdue else f"{tr('worklist.days')} {days}"


def _worklist_tables(
    work: WorklistItems, filings: Sequence[RegisterEntry], tr: Translator, today: date
) -> dict[str, Callable[[], Table]]:
    place = [tr("worklist.institution"), tr("field.jurisdiction"), tr("field.district")]

    def cases() -> Table:
        return Table(
            "worklist-cases",
            [
                *place,
                tr("case.id"),
                tr("case.step"),
                tr("worklist.due_on"),
                tr("worklist.days"),
                tr("case.opened_on"),
                tr("case.intended_level"),
                tr("decision.level"),
                tr("case.findings"),
                tr("case.decision"),
            ],
            [
                [
                    c.institution_name,
                    tr.jurisdiction(c.jurisdiction),
                    c.district,
                    c.case_id,
                    tr("worklist.interview_due") if c.interview_pending else tr.case_step(c.step),
                    c.due_on,
                    _deadline_text(c.due_on, c.overdue, today, tr),
                    c.opened_on,
                    _level_text(c.intended_level, tr),
                    _level_text(c.level, tr),
                    "；".join(c.finding_ids),
                    c.decision_id,
                ]
                for c in work.cases
            ],
        )

    def rectifications() -> Table:
        return Table(
            "worklist-rectifications",
            [
                *place,
                tr("decision.id"),
                tr("worklist.ordered_on"),
                tr("worklist.due_on"),
                tr("worklist.days"),
                tr("worklist.state"),
                tr("worklist.reports"),
            ],
            [
                [
                    r.institution_name,
                    tr.jurisdiction(r.jurisdiction),
                    r.district,
                    r.decision_id,
                    r.ordered_on,
                    r.deadline,
                    _deadline_text(r.due_on, r.overdue, today, tr),
                    tr.rectification(r.state),
                    r.reports,
                ]
                for r in work.rectifications
            ],
        )

    def findings() -> Table:
        return Table(
            "worklist-findings",
            [
                *place,
                tr("file.finding"),
                tr("chart.article"),
                tr("event.occurred_on"),
                tr("file.requirement_level"),
                tr("file.required_article"),
                tr("file.actions"),
            ],
            [
                [
                    f.institution_name,
                    tr.jurisdiction(f.jurisdiction),
                    f.district,
                    f.finding_id,
                    f.rule_id,
                    f.occurred_on,
                    _level_text(f.required_level, tr),
                    f.required_article,
                    "、".join(tr.action(a) for a in f.required_actions),
                ]
                for f in work.findings
            ],
        )

    def below() -> Table:
        return Table(
            "worklist-below-requirement",
            [
                *place,
                tr("decision.id"),
                tr("decision.decided_on"),
                tr("decision.level"),
                tr("worklist.required"),
                tr("file.required_article"),
                tr("field.status"),
            ],
            [
                [
                    d.institution_name,
                    tr.jurisdiction(d.jurisdiction),
                    d.district,
                    d.decision_id,
                    d.decided_on,
                    _level_text(d.level, tr),
                    _level_text(d.requirement_level, tr),
                    d.requirement_article,
                    tr.sanction_status(d.status),
                ]
                for d in work.below_requirement
            ],
        )

    def appeals() -> Table:
        return Table(
            "worklist-appeals",
            [*place, tr("worklist.appeal"), tr("decision.id"), tr("worklist.filed_on")],
            [
                [
                    a.institution_name,
                    tr.jurisdiction(a.jurisdiction),
                    a.district,
                    f"{a.appeal_id} · {tr.appeal_kind(a.kind)}",
                    a.decision_id,
                    a.filed_on,
                ]
                for a in work.appeals
            ],
        )

    def filings_table() -> Table:
        return Table(
            "worklist-filings",
            [*place, tr("field.credit_code"), tr("field.submitted_on")],
            [
                [e.name, tr.jurisdiction(e.jurisdiction), e.district, e.credit_code, e.submitted_on]
                for e in filings
            ],
        )

    return {
        "cases": cases,
        "rectifications": rectifications,
        "findings": findings,
        "below_requirement": below,
        "appeals": appeals,
        "filings": filings_table,
    }


@router.get("/worklist", response_class=HTMLResponse)
def worklist(
    request: Request,
    app: AppDep,
    principal: PagePrincipalDep,
    tr: TrDep,
    format: str | None = None,
    table: str | None = None,
) -> Response:
    projections = _projections(request)
    today = app.ledger.today()
    scope = allowed_scope(principal)
    try:
        work = worklist_items(projections.store, as_of=today, **scope)
        filings = list_institutions(
            projections.store, status="submitted", limit=MAX_LIMIT, **scope
        ).items
        tables = _worklist_tables(work, filings, tr, today)
        if format == "csv":
            return export(tables, table, "cases")
    except DomainError as exc:
        return error_page(request, tr, principal, exc)
    return render(
        request,
        "worklist.html",
        tr,
        principal,
        work=work,
        filings=filings,
        today=today,
        level_text=lambda lv: _level_text(lv, tr),
    )


# --- public disclosure -----------------------------------------------------------------


def _disclosure_table(name: str, entries: Iterable[DisclosureEntry], tr: Translator) -> Table:
    return Table(
        name,
        [
            tr("public.measure"),
            tr("field.name"),
            tr("field.credit_code"),
            tr("field.jurisdiction"),
            tr("public.since"),
            tr("public.until"),
            tr("public.reason"),
            tr("public.article"),
            tr("public.decision"),
        ],
        [
            [
                tr.measure(e.kind),
                e.institution_name,
                e.credit_code,
                tr.jurisdiction(e.jurisdiction),
                e.published_on,
                e.ends_on,
                tr.ended(e.ended_reason) if e.ended_reason else "",
                "；".join(e.articles),
                e.decision_id,
            ]
            for e in entries
        ],
    )


@dataclass(frozen=True)
class PublicRating:
    name: str
    credit_code: str
    jurisdiction: str
    grade: str | None
    state: str
    basis: str


def _public_ratings(
    request: Request, app: OversightApplication, day: date, jurisdiction: str | None
) -> list[PublicRating]:
    """Current credit ratings of institutions whose rulebook publishes them."""
    store = _projections(request).store
    ratings: list[PublicRating] = []
    cursor: str | None = None
    while True:
        page = list_institutions(store, jurisdiction=jurisdiction, limit=500, cursor=cursor)
        for entry in page.items:
            rating = app.records.credit_rating(SYSTEM, entry.id, day)
            if rating["published"] and rating["state"] != "unrated":
                ratings.append(
                    PublicRating(
                        entry.name,
                        entry.credit_code,
                        entry.jurisdiction,
                        rating["grade"],
                        rating["state"],
                        rating["rulebook"],
                    )
                )
        cursor = page.next_cursor
        if cursor is None:
            return ratings


@router.get("/public", response_class=HTMLResponse)
def public(
    request: Request,
    app: AppDep,
    tr: TrDep,
    jurisdiction: str | None = None,
    on: str | None = None,
    format: str | None = None,
    table: str | None = None,
) -> Response:
    """The disclosure list: no sign-in, no scope, no personal data."""
    store = _projections(request).store
    try:
        day = _date(_blank(on), "on") or app.ledger.today()
        chosen = _blank(jurisdiction)
        entries = public_entries(store, day, chosen)
        history = publication_history(store, jurisdiction=chosen)
        ratings = _public_ratings(request, app, day, chosen)
        tables: dict[str, Callable[[], Table]] = {
            "entries": lambda: _disclosure_table("public-disclosure", entries, tr),
            "history": lambda: _disclosure_table("publication-history", history, tr),
        }
        if format == "csv":
            return export(tables, table, "entries")
    except DomainError as exc:
        return error_page(request, tr, None, exc)
    return render(
        request,
        "public.html",
        tr,
        None,
        entries=entries,
        history=[e for e in history if not e.in_force_on(day)],
        ratings=ratings,
        on=day,
        jurisdiction=chosen,
        jurisdictions=app.ledger.catalogue.jurisdictions(),
    )
