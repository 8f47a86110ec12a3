"""``/rulebooks/impact``: upload or paste a draft rulebook, see what it changes article by
article, then every institution of its jurisdiction replayed under it, with progress.

``GET /rulebooks/impact`` is the form (``multipart/form-data``: a file or a text area, the
date, the CSRF token). Its POST validates the draft (a malformed one: the form again with
each problem's line, field and reason, 422), checks the caller's scope as the API does,
starts the run (:mod:`api.impact_jobs`) and goes to ``/rulebooks/impact/{run}``. That page
shows the diff at once and the run's progress, which htmx polls from
``…/{run}/progress`` every second; when the run ends the fragment asks for the whole page
again (``HX-Refresh``), which then shows the institutions that differ, the totals by
district and by article, and their charts. Without JavaScript the page refreshes itself.
Every table exports as CSV (``?format=csv&table=…``).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from api.i18n import Translator
from api.impact_jobs import ImpactRuns, Run
from api.routes.pages.charts import Chart, Series
from api.routes.pages.common import SignedIn, SignedInDep
from api.routes.pages.forms import (
    CSRF_FIELD,
    MULTIPART,
    FormRefused,
    FormsDep,
    read_form,
    require_content_type,
    same_origin,
)
from api.routes.pages.tables import Column, ExportDep, Table, table_of
from domain.commands.impact import IMPACT_ROLES
from domain.draft import DraftError, DraftProblem
from domain.errors import DomainError, InvalidInput
from domain.impact import Difference, InstitutionImpact
from domain.rulebook_diff import Change

router = APIRouter(include_in_schema=False)

PATH = "/rulebooks/impact"
#: The largest draft the form takes (the published rulebooks are about 25 KB).
MAX_DRAFT_BYTES = 1_048_576
CHANGED_COLOUR = "#e8590c"


def runs_of(request: Request) -> ImpactRuns:
    runs: ImpactRuns = request.app.state.impact_runs
    return runs


def _form(
    page: SignedIn,
    token: str,
    *,
    problems: list[DraftProblem] | None = None,
    message: str = "",
    text: str = "",
    as_of: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "impact.html",
        status_code=status_code,
        run=None,
        csrf=token,
        problems=problems or [],
        message=message,
        text=text,
        as_of=as_of,
    )


@router.get(PATH, response_class=HTMLResponse)
def impact_form(forms: FormsDep) -> Response:
    try:
        forms.page.principal.require_role(*IMPACT_ROLES)
    except DomainError as exc:
        return forms.page.refused(exc)
    return _form(forms.page, forms.token())


async def _posted(request: Request, token: str) -> tuple[bytes, str, str]:
    """The draft (the file if one was sent, else the text area), its name and the date."""
    if not same_origin(request):
        raise FormRefused("origin")
    require_content_type(request, MULTIPART)
    form = await read_form(request, max_files=1, max_fields=10, max_part_size=MAX_DRAFT_BYTES)
    if not hmac.compare_digest(str(form.get(CSRF_FIELD, "")), token):
        raise FormRefused("token")
    upload = form.get("draft_file")
    if isinstance(upload, UploadFile) and upload.filename:
        return await upload.read(MAX_DRAFT_BYTES + 1), upload.filename, str(form.get("as_of", ""))
    text = str(form.get("draft_text", ""))
    return text.encode(), "draft.yaml", str(form.get("as_of", ""))


@router.post(PATH, response_class=HTMLResponse)
async def impact_start(forms: FormsDep) -> Response:
    page, token = forms.page, forms.token()
    raw, name, as_of_text = await _posted(forms.request, token)
    shown = raw.decode("utf-8", errors="replace") if name == "draft.yaml" else ""
    try:
        page.principal.require_role(*IMPACT_ROLES)
        if not raw.strip():
            raise InvalidInput(page.tr("impact.no_draft"), field="draft")
        if len(raw) > MAX_DRAFT_BYTES:
            raise InvalidInput(f"the draft is over {MAX_DRAFT_BYTES} bytes", field="draft")
        as_of = _day(as_of_text)
        plan = page.app.impact.plan(page.principal, raw, name, as_of)
    except DraftError as exc:
        return _form(
            page, token, problems=exc.problems, text=shown, as_of=as_of_text, status_code=422
        )
    except InvalidInput as exc:
        return _form(page, token, message=exc.detail, text=shown, as_of=as_of_text, status_code=422)
    except DomainError as exc:
        return page.refused(exc)
    try:
        run = runs_of(forms.request).start(page.principal.subject, plan)
    except DomainError as exc:
        return page.refused(exc)
    return forms.done(f"{PATH}/{run.id}")


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field="as_of") from None


# --- a run --------------------------------------------------------------------------------


def _run_of(page: SignedIn, run_id: str) -> Run:
    return runs_of(page.request).get(page.principal.subject, run_id)


def _difference_rows(
    impacts: list[InstitutionImpact],
) -> list[tuple[InstitutionImpact, Difference]]:
    return [(i, d) for i in impacts for d in i.differences]


def _tables(run: Run, tr: Translator) -> dict[str, Table]:
    report = run.report
    assert report is not None

    def text(x: Change | Difference) -> str:
        return x.text_zh if tr.lang == "zh" else x.text_en

    change_columns: list[Column[Change]] = [
        (tr("impact.kind"), lambda c: c.kind),
        (tr("impact.subject"), lambda c: c.subject),
        (tr("impact.parameter"), lambda c: c.parameter),
        (tr("impact.old"), lambda c: c.old),
        (tr("impact.new"), lambda c: c.new),
        (tr("impact.text_col"), text),
    ]
    rows: list[Column[tuple[InstitutionImpact, Difference]]] = [
        (tr("impact.institution"), lambda r: r[0].name),
        (tr("impact.district"), lambda r: r[0].district or "—"),
        (tr("impact.what"), lambda r: tr(f"impact.what.{r[1].what}")),
        (tr("impact.ref"), lambda r: r[1].finding_id or "—"),
        (tr("impact.article"), lambda r: r[1].article or "—"),
        (tr("impact.text_col"), lambda r: text(r[1])),
        (tr("impact.events"), lambda r: ", ".join(e.label() for e in r[1].events)),
    ]
    summary = report.summary

    def counted(label: str) -> list[Column[tuple[str, int]]]:
        return [(tr(label), lambda kv: kv[0]), (tr("impact.count"), lambda kv: kv[1])]

    return {
        "changes": table_of("changes", report.changes, change_columns),
        "institutions": table_of("institutions", _difference_rows(report.impacts), rows),
        "by_district": table_of(
            "by_district", sorted(summary.by_district.items()), counted("impact.district")
        ),
        "by_article": table_of(
            "by_article", sorted(summary.by_article.items()), counted("impact.article")
        ),
    }


def _charts(run: Run, tr: Translator) -> list[Chart]:
    assert run.report is not None
    summary = run.report.summary
    charts = []
    for key, counts, horizontal, table in (
        ("district", summary.by_district, False, "by_district"),
        ("article", summary.by_article, True, "by_article"),
    ):
        names = sorted(counts, key=lambda k: (-counts[k], k))
        series = Series(tr("impact.count"), [counts[n] for n in names], (CHANGED_COLOUR,))
        charts.append(
            Chart(
                f"chart-impact-{key}",
                tr(f"impact.chart_{key}"),
                "bar",
                names,
                [series],
                table,
                horizontal=horizontal,
            )
        )
    return charts


def _constant(table: Table) -> Callable[[], Table]:
    return lambda: table


@router.get(PATH + "/{run_id}", response_class=HTMLResponse)
def impact_run(run_id: str, page: SignedInDep, export: ExportDep) -> Response:
    try:
        run = _run_of(page, run_id)
    except DomainError as exc:
        return page.refused(exc)
    context: dict[str, Any] = {"run": run, "changes": run.plan.changes()}
    if run.report is not None:
        tables = _tables(run, page.tr)
        if export.csv:
            return export.response({k: _constant(t) for k, t in tables.items()}, "institutions")
        context.update(
            tables=tables,
            charts=_charts(run, page.tr),
            rows=_difference_rows(run.report.impacts),
            what=lambda what: page.tr(f"impact.what.{what}"),
            charts_page=True,
        )
    return page.render("impact.html", **context)


@router.get(PATH + "/{run_id}/progress", response_class=HTMLResponse)
def impact_progress(run_id: str, page: SignedInDep) -> Response:
    try:
        run = _run_of(page, run_id)
    except DomainError as exc:
        return page.refused(exc)
    response = page.render("_impact_progress.html", run=run)
    if run.done:
        response.headers["HX-Refresh"] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response
