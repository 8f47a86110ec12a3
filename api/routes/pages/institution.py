"""``/institutions/{iid}``: an institution's file for the appeal reviewer — the timeline with
both clocks and actors (in recording or business-date order, saying why an event was
recorded late), the hash chain, what the rules require and why, the open cases, each
decision explained, the credit rating's history as a chart; each table as CSV.
``/institutions/{iid}/decisions/{d}``: one decision explained on its own page.

``?as_of=DATE`` and ``?known_at=INSTANT`` redraw both pages as they stood then. The file is
read by :func:`projections.institution_file.institution_file`, which refuses what lies
outside the caller's scope; this page only words it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.i18n import Translator
from api.routes.pages.charts import StepChart
from api.routes.pages.common import (
    SignedInDep,
    level_text,
    local_instant,
    parse_date,
    parse_instant,
    parse_institution_id,
    scope_text,
)
from api.routes.pages.tables import Column, ExportDep, Table, table_of
from domain.errors import DomainError, InvalidInput
from projections.institution_file import (
    ORDERS,
    AssessedFinding,
    Decision,
    Ground,
    GroundEvent,
    InstitutionFile,
    OpenCase,
    Order,
    TimelineEntry,
    institution_file,
)
from projections.review import RatingChange, RatingHistory, decision_review

router = APIRouter(include_in_schema=False)

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
LEVEL_FIELDS = {"level", "intended_level", "new_level"}
ACTION_FIELDS = {"actions", "intended_actions", "new_actions"}
SUMMARY_FIELDS = 3
SUMMARY_LENGTH = 80


# --- the timeline ----------------------------------------------------------------------


def _items_text(values: list[Any]) -> str:
    items = []
    for item in values:
        if isinstance(item, dict) and "occupation" in item:
            levels = "/".join(str(v) for v in item.get("levels", ()))
            items.append(f"{item['occupation']}（{levels}）")
        elif isinstance(item, dict):
            items.append(str(item.get("name") or item.get("detail") or item.get("rule_id") or ""))
        else:
            items.append(str(item))
    return "；".join(i for i in items if i)


def field_text(key: str, value: Any, tr: Translator) -> str:
    """An event field as a short readable text (never a JSON dump)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return tr.bool(value)
    if isinstance(value, date):
        return value.isoformat()
    if key in LEVEL_FIELDS and isinstance(value, int):
        return level_text(value, tr)
    if key in ACTION_FIELDS and isinstance(value, list):
        return "、".join(tr.action(str(a)) for a in value)
    if key in SHORT_FIELDS and isinstance(value, dict):
        level = value.get("level")
        parts = [level_text(level, tr), value.get("article")]
        return " · ".join(str(p) for p in parts if p)
    if isinstance(value, dict):
        return "；".join(
            f"{tr.field(str(k))}：{field_text(str(k), v, tr)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return _items_text(value)
    return str(value)


@dataclass(frozen=True)
class TimelineLine:
    """A timeline entry as the page words it: each text made once, in Python, so that the
    template of a long history only places them (its calls cost more than the words)."""

    event: TimelineEntry
    label: str
    summary: list[tuple[str, str]]
    fields: list[tuple[str, str]]
    #: When the store recorded it, in Beijing time.
    recorded: str
    role: str
    #: Why it was recorded late, as a line; empty when it was not.
    late: str


def _timeline_line(entry: TimelineEntry, tr: Translator) -> TimelineLine:
    data = entry.data
    texts = {k: field_text(k, v, tr) for k, v in data.items()}  # each field worded once
    summary = []
    for key in HEADLINE:
        if data.get(key) in (None, "", [], {}):
            continue
        text = texts[key]
        if len(text) > SUMMARY_LENGTH:
            text = text[: SUMMARY_LENGTH - 1] + "…"
        summary.append((tr.field(key), text))
        if len(summary) == SUMMARY_FIELDS:
            break
    late = (
        tr("file.late_line", n=entry.recorded_later, why=tr.late(entry.late_reason))
        if entry.late_reason
        else ""
    )
    return TimelineLine(
        entry,
        tr.event(entry.name),
        summary,
        [(tr.field(k), text) for k, text in texts.items() if text],
        tr.instant(entry.recorded_at),
        tr.role(entry.role),
        late,
    )


#: One event of the timeline, as the page's template drew it (whitespace and all).
_ITEM = (
    "\n    \n"
    '    <li class="tl-item" id="event-{version}">\n'
    '      <div class="tl-clocks">\n'
    '        <div class="tl-business" title="{occurred_on_label}">{occurred_on}</div>\n'
    '        <div class="tl-recorded muted small" title="{recorded_at_label}">'
    "{recorded_at_label} {recorded}</div>\n"
    "        {late}\n"
    "      </div>\n"
    '      <div class="tl-body">\n'
    '        <div class="tl-title"><span class="tl-no">#{version}</span>'
    " <strong>{label}</strong>\n"
    '          <span class="muted small">· {actor_label} {actor}（{role}）</span></div>\n'
    "        {summary}\n"
    '        <details class="small">\n'
    "          <summary>{details_label}</summary>\n"
    '          <dl class="facts compact">\n'
    "            {fields}\n"
    '            <dt>{request_id_label}</dt><dd class="mono">{request_id}</dd>\n'
    "          </dl>\n"
    "        </details>\n"
    "      </div>\n"
    "    </li>\n"
    "    "
)
_LATE = '<div class="tl-late small" data-testid="late-reason">{}</div>'
_SUMMARY = '\n        <div class="tl-summary small">{}</div>\n        '
_SUMMARY_PART = '<span><span class="muted">{}：</span>{}</span>'
_FIELD = "<dt>{}</dt><dd>{}</dd>"


def _text(value: object) -> str:
    """``value`` as HTML text, escaped as the templates escape it (``markupsafe.escape``:
    the same five characters, written the same way; ``&`` first). Five ``replace`` calls
    cost a tenth of one ``str.translate`` on these short texts."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&#34;").replace("'", "&#39;")


def timeline_items(lines: Iterable[TimelineLine], tr: Translator) -> Markup:
    """Every line's ``<li>``, in order, as one string made in Python.

    A file lists every event of its history with its details: about a hundred on a
    typical file, several hundred on a busy one. Drawn by the page's template, each event
    was about a hundred fragments passed up through the template's block and its base and
    forty escapes each building a ``Markup``, most of the page's time; here it is one
    format of escaped texts. The HTML is the template's, byte for byte."""
    labels = {
        "occurred_on_label": _text(tr("event.occurred_on")),
        "recorded_at_label": _text(tr("event.recorded_at")),
        "actor_label": _text(tr("event.actor")),
        "details_label": _text(tr("common.details")),
        "request_id_label": _text(tr("event.request_id")),
    }
    items = []
    for line in lines:
        e = line.event
        summary = "".join(_SUMMARY_PART.format(_text(k), _text(v)) for k, v in line.summary)
        items.append(
            _ITEM.format(
                version=e.version,
                occurred_on=e.occurred_on.isoformat(),
                recorded=_text(line.recorded),
                late=_LATE.format(_text(line.late)) if line.late else "",
                label=_text(line.label),
                actor=_text(e.actor),
                role=_text(line.role),
                summary=_SUMMARY.format(summary) if line.summary else "",
                fields="".join(_FIELD.format(_text(k), _text(v)) for k, v in line.fields),
                request_id=_text(e.request_id),
                **labels,
            )
        )
    return Markup("".join(items))


# --- the tables ------------------------------------------------------------------------


def _events_text(refs: Iterable[GroundEvent], tr: Translator) -> str:
    return "；".join(f"#{r.version} {tr.event(r.type)} {r.occurred_on.isoformat()}" for r in refs)


def rectification_text(decision: Decision, tr: Translator) -> str:
    rect = decision.rectification
    if rect is None:
        return ""
    deadline = rect.deadline.isoformat() if rect.deadline else ""
    return f"{tr.rectification(rect.state)} · {deadline}"


def _timeline_table(lines: list[TimelineLine], tr: Translator) -> Table:
    columns: list[Column[TimelineLine]] = [
        (tr("event.version"), lambda t: t.event.version),
        (tr("event.type"), lambda t: t.label),
        (tr("event.occurred_on"), lambda t: t.event.occurred_on),
        (tr("event.recorded_at"), lambda t: t.recorded),
        (tr("event.actor"), lambda t: t.event.actor),
        (tr("event.role"), lambda t: t.role),
        (tr("event.request_id"), lambda t: t.event.request_id),
        (tr("event.summary"), lambda t: "；".join(f"{k}：{v}" for k, v in t.fields)),
        (tr("file.late"), lambda t: tr.late(t.event.late_reason)),
    ]
    return table_of("timeline", lines, columns)


def _grounds_table(view: InstitutionFile, tr: Translator) -> Table:
    columns: list[Column[tuple[AssessedFinding, Ground]]] = [
        (tr("file.finding"), lambda fg: fg[0].finding_id),
        (tr("file.required_article"), lambda fg: fg[0].article),
        (tr("file.requirement_level"), lambda fg: level_text(fg[0].level, tr)),
        (tr("file.grounds"), lambda fg: fg[1].article),
        (tr("decision.level"), lambda fg: level_text(fg[1].level, tr)),
        ("说明（中文）", lambda fg: fg[1].explanation_zh),
        ("Explanation (English)", lambda fg: fg[1].explanation_en),
        (tr("file.ground_events"), lambda fg: _events_text(fg[1].events, tr)),
    ]
    return table_of("grounds", view.grounds, columns)


def _cases_table(view: InstitutionFile, tr: Translator) -> Table:
    columns: list[Column[OpenCase]] = [
        (tr("case.id"), lambda c: c.case_id),
        (tr("case.step"), lambda c: tr.case_step(c.step)),
        (tr("case.opened_on"), lambda c: c.opened_on),
        (tr("case.defence_deadline"), lambda c: c.defence_deadline),
        (tr("case.intended_level"), lambda c: level_text(c.intended_level, tr)),
        (tr("case.findings"), lambda c: "；".join(c.finding_ids)),
        (tr("case.decision"), lambda c: c.decision_id),
    ]
    return table_of("open-cases", view.open_cases, columns)


def _decisions_table(view: InstitutionFile, tr: Translator) -> Table:
    columns: list[Column[Decision]] = [
        (tr("decision.id"), lambda d: d.decision_id),
        (tr("decision.level"), lambda d: level_text(d.level, tr)),
        (tr("file.actions"), lambda d: "、".join(tr.action(a) for a in d.actions)),
        (tr("decision.articles"), lambda d: "；".join(d.articles)),
        (tr("decision.decided_on"), lambda d: d.decided_on),
        (tr("decision.served_on"), lambda d: d.served_on),
        (tr("decision.rectification"), lambda d: rectification_text(d, tr)),
        (tr("decision.below"), lambda d: tr.bool(d.below_requirement)),
        (tr("decision.rescinded"), lambda d: tr.bool(d.rescinded)),
    ]
    return table_of("decisions", view.decisions, columns)


def _rating_table(rating: RatingHistory | None, tr: Translator) -> Table:
    def reason(c: RatingChange) -> str:
        return c.reason_zh if tr.lang == "zh" else c.reason_en

    columns: list[Column[RatingChange]] = [
        (tr("rating.date"), lambda c: c.on),
        (tr("rating.change"), lambda c: tr.rating_change(c.kind)),
        (tr("rating.before"), lambda c: c.before),
        (tr("rating.after"), lambda c: c.after),
        (tr("rating.reason"), reason),
        (tr("rating.decision"), lambda c: c.decision_id),
        (tr("rating.event"), lambda c: c.version),
    ]
    return table_of("credit-rating", rating.changes if rating else (), columns)


def _tables(
    view: InstitutionFile, timeline: list[TimelineLine], tr: Translator
) -> dict[str, Callable[[], Table]]:
    return {
        "timeline": lambda: _timeline_table(timeline, tr),
        "grounds": lambda: _grounds_table(view, tr),
        "cases": lambda: _cases_table(view, tr),
        "decisions": lambda: _decisions_table(view, tr),
        "rating": lambda: _rating_table(view.rating, tr),
    }


# --- the credit rating's chart ---------------------------------------------------------


def rating_chart(rating: RatingHistory | None, tr: Translator) -> StepChart | None:
    """The grade after each change, held until the next, up to the rating's date; a
    cancelled rating sits below the scale."""
    if rating is None or not rating.scale:
        return None
    cancelled = tr("rating.cancelled")

    def level(grade: str | None) -> str:
        return grade if grade is not None else cancelled

    points = [(c.on.isoformat(), level(c.after)) for c in rating.changes]
    if points:
        points.append((rating.as_of.isoformat(), level(rating.grade)))
    return StepChart(
        "chart-rating",
        tr("rating.chart"),
        [cancelled, *reversed(rating.scale)],
        points,
        tr("rating.title"),
        "rating",
    )


# --- the point in time -----------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """``?as_of=&known_at=&order=``: the point in time the page is drawn at, and its order."""

    as_of: date | None
    known_at: datetime | None
    order: Order

    @classmethod
    def parse(cls, as_of: str | None, known_at: str | None, order: str | None) -> Point:
        chosen = order or "recorded"
        if chosen not in ORDERS:
            raise InvalidInput(f"order must be one of {', '.join(ORDERS)}", field="order")
        return cls(parse_date(as_of, "as_of"), parse_instant(known_at, "known_at"), chosen)

    @property
    def known_at_field(self) -> str:
        """``known_at`` as the picker's ``datetime-local`` field shows it."""
        return local_instant(self.known_at)

    def query(self) -> str:
        """The point as a query string (empty when the page is drawn as it stands)."""
        params = {
            k: v
            for k, v in (
                ("as_of", self.as_of.isoformat() if self.as_of else ""),
                ("known_at", self.known_at_field),
            )
            if v
        }
        return "?" + urlencode(params) if params else ""

    def file(self, iid: UUID) -> str:
        return f"/institutions/{iid}{self.query()}"

    def decision(self, iid: UUID, decision_id: str) -> str:
        return f"/institutions/{iid}/decisions/{decision_id}{self.query()}"


# --- the page --------------------------------------------------------------------------


@router.get("/institutions/{iid}", response_class=HTMLResponse)
def institution_page(
    iid: str,
    page: SignedInDep,
    export: ExportDep,
    as_of: str | None = None,
    known_at: str | None = None,
    order: str | None = None,
) -> Response:
    tr = page.tr
    try:
        point = Point.parse(as_of, known_at, order)
        institution_id = parse_institution_id(iid)
        view = institution_file(
            page.app, page.principal, institution_id, point.as_of, known_at=point.known_at
        )
        timeline = [_timeline_line(e, tr) for e in view.timeline_in(point.order)]
        tables = _tables(view, timeline, tr)
        if export.csv:
            return export.response(tables, "timeline")
    except DomainError as exc:
        return page.refused(exc)
    return page.render(
        "institution.html",
        view=view,
        inst=view.institution,
        timeline_items=timeline_items(timeline, tr),
        shown={e.version for e in view.timeline},
        point=point,
        rating_chart=rating_chart(view.rating, tr),
        rating_table=tables["rating"](),
        scope_text=scope_text,
        rectification_text=lambda d: rectification_text(d, tr),
        charts_page=True,
    )


@router.get("/institutions/{iid}/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(
    iid: str,
    decision_id: str,
    page: SignedInDep,
    as_of: str | None = None,
    known_at: str | None = None,
) -> Response:
    try:
        point = Point.parse(as_of, known_at, None)
        review = decision_review(
            page.app,
            page.principal,
            parse_institution_id(iid),
            decision_id,
            as_of=point.as_of,
            known_at=point.known_at,
        )
    except DomainError as exc:
        return page.refused(exc)
    return page.render("decision.html", review=review, x=review.explanation, point=point)
