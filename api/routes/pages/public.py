"""``/public``: the disclosure list and the published credit ratings — no sign-in, no scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.i18n import Translator
from api.routes.pages.common import PublicDep, blank, parse_date
from api.routes.pages.tables import Column, ExportDep, Table, table_of
from domain.errors import DomainError
from projections.dashboard import PublicRating, public_lists, public_page
from projections.disclosure_queries import DisclosureEntry

router = APIRouter(include_in_schema=False)


def disclosure_table(name: str, entries: Iterable[DisclosureEntry], tr: Translator) -> Table:
    columns: list[Column[DisclosureEntry]] = [
        (tr("public.measure"), lambda e: tr.measure(e.kind)),
        (tr("field.name"), lambda e: e.institution_name),
        (tr("field.credit_code"), lambda e: e.credit_code),
        (tr("field.jurisdiction"), lambda e: tr.jurisdiction(e.jurisdiction)),
        (tr("public.since"), lambda e: e.published_on),
        (tr("public.until"), lambda e: e.ends_on),
        (tr("public.reason"), lambda e: tr.ended(e.ended_reason) if e.ended_reason else ""),
        (tr("public.article"), lambda e: "；".join(e.articles)),
        (tr("public.decision"), lambda e: e.decision_id),
    ]
    return table_of(name, entries, columns)


def ratings_table(ratings: Iterable[PublicRating], tr: Translator) -> Table:
    columns: list[Column[PublicRating]] = [
        (tr("field.name"), lambda r: r.name),
        (tr("field.credit_code"), lambda r: r.credit_code),
        (tr("field.jurisdiction"), lambda r: tr.jurisdiction(r.jurisdiction)),
        (
            tr("public.grade"),
            lambda r: tr("public.rating_cancelled") if r.state == "cancelled" else r.grade,
        ),
        (tr("public.basis"), lambda r: r.basis),
    ]
    return table_of("public-ratings", ratings, columns)


@dataclass(frozen=True)
class ShownEntry:
    """A disclosure entry as the page words it: each cell's text made once, in Python, so
    that the template of a hundred rows only places them (its calls cost more per cell than
    the words)."""

    kind: str
    measure: str
    institution_name: str
    credit_code: str
    jurisdiction: str
    published_on: str
    until: str
    ended: str
    articles: str


def shown_entries(entries: Iterable[DisclosureEntry], tr: Translator) -> list[ShownEntry]:
    indefinite = tr("common.indefinite")
    return [
        ShownEntry(
            kind=e.kind,
            measure=tr.measure(e.kind),
            institution_name=e.institution_name,
            credit_code=e.credit_code,
            jurisdiction=tr.jurisdiction(e.jurisdiction),
            published_on=e.published_on.isoformat(),
            until=tr.date(e.ends_on) or ("—" if e.kind != "ban" else indefinite),
            ended=tr.ended(e.ended_reason) if e.ended_reason else "",
            articles=", ".join(e.articles),
        )
        for e in entries
    ]


@router.get("/public", response_class=HTMLResponse)
def public(
    page: PublicDep,
    export: ExportDep,
    jurisdiction: str | None = None,
    on: str | None = None,
) -> Response:
    """The disclosure list: no sign-in, no scope, no personal data. The page shows the
    first rows of each list; its CSVs hold every row."""
    tr = page.tr
    try:
        day, place = parse_date(on, "on"), blank(jurisdiction, "jurisdiction")
        if export.csv:
            lists = public_lists(page.app, page.store, day, place)
            return export.response(
                {
                    "entries": lambda: disclosure_table("public-disclosure", lists.entries(), tr),
                    "history": lambda: disclosure_table("publication-history", lists.history(), tr),
                    "ratings": lambda: ratings_table(lists.ratings(), tr),
                },
                "entries",
            )
        view = public_page(page.app, page.store, day, place)
    except DomainError as exc:
        return page.refused(exc)
    return page.render(
        "public.html",
        view=view,
        entries=shown_entries(view.entries, tr),
        ended=shown_entries(view.ended, tr),
    )
