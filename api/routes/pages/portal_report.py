"""The rectification report of the portal: a form that carries files.

The form is ``multipart/form-data``; otherwise it is a step like any other
(:mod:`api.routes.pages.forms`): the same origin and CSRF checks before anything is
recorded, the same Idempotency-Key per rendered form (its fingerprint covers the files'
hashes), refusals beside their field. On a post:

1. a body longer than the store takes (``Content-Length``) is refused with 413 unread, a
   body that is not ``multipart/form-data`` with 415, one that does not parse (a wrong
   boundary, too many parts) with 400; the fields are checked as every form's
   (:meth:`api.routes.pages.forms.Fields.check`) and the report's text validated before
   any file is kept;
2. the files are checked (count, size, type by their first bytes) and kept in the
   attachment store under their SHA-256 (:mod:`api.attachments`) — once: the same bytes
   sent again are the same file; a file over the size limit is refused with 413;
3. one command records the report and, right after it, ``AttachmentsSubmitted`` with each
   file's hash, name, size and media type.
"""

from __future__ import annotations

import hmac
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from api.attachments import FIELD, AttachmentStore, TooLarge
from api.commands import Once
from api.routes.pages.forms import (
    CSRF_FIELD,
    MULTIPART,
    URLENCODED,
    Fields,
    FormRefused,
    Forms,
    FormsDep,
    Step,
    read_form,
    require_content_type,
    same_origin,
    show,
)
from api.routes.pages.portal import BASE, day, home_of
from api.schemas.casework import RectificationReportRequest
from domain.errors import DomainError, InvalidInput
from domain.events import Attachment
from projections.portal import PortalDecision, portal_decision

router = APIRouter(include_in_schema=False)
PATH = f"{BASE}/decisions/{{decision_id}}/report"
#: The most files, and the most other fields, the parser reads (the body's size is bounded
#: before): more files than the store takes are refused beside the field, more than this
#: with the whole body (400).
MAX_PARTS = 50


def store_of(request: Request) -> AttachmentStore:
    store: AttachmentStore = request.app.state.attachments
    return store


class BodyTooLarge(Exception):
    """The form's body is longer than the largest one the store takes."""


def report(attachments: list[Attachment]) -> Step[PortalDecision]:
    """The step, recording the report with ``attachments`` (already stored)."""

    def run(once: Once, view: PortalDecision, fields: Fields) -> object:
        body = fields.body(RectificationReportRequest)
        command = once.app.cases.submit_rectification_report
        decision_id = view.decision.decision_id
        on = day(body, view)
        return once(command, view.institution.id, decision_id, on, body.report, attachments)

    return Step(
        template="portal/report.html",
        names=("report", FIELD, "occurred_on"),
        view=lambda page, p: portal_decision(page.app, page.principal, p["iid"], p["decision_id"]),
        run=run,
        done=home_of,
        defaults=lambda page, view: {"occurred_on": view.portal.today},
    )


async def posted(
    forms: Forms, store: AttachmentStore
) -> tuple[Fields, list[tuple[str, bytes]], list[str]]:
    """The form's fields and files, once its size, origin and CSRF token are checked, and
    the names of the parts that are not what the form sends there (a file where text goes,
    text where the files go)."""
    request = forms.request
    if not same_origin(request):
        raise FormRefused("origin")
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > store.max_request_bytes:
        raise BodyTooLarge
    require_content_type(request, MULTIPART, URLENCODED)  # a form; which one, once in scope
    form = await read_form(request, max_files=MAX_PARTS, max_fields=MAX_PARTS)
    values: list[tuple[str, str | None]] = []
    files: list[tuple[str, bytes]] = []
    misplaced: list[str] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) != (name == FIELD):
            misplaced.append(name)
        elif isinstance(value, UploadFile):
            if value.filename:
                files.append((value.filename, await value.read(store.max_bytes + 1)))
        else:
            values.append((name, value))
    fields = Fields.of(values)
    if not hmac.compare_digest(fields.get(CSRF_FIELD), forms.token()):
        raise FormRefused("token")
    return fields, files, misplaced


@router.get(PATH, response_class=HTMLResponse)
def report_form(forms: FormsDep) -> Response:
    return show(report([]), forms)


@router.post(PATH, response_class=HTMLResponse)
async def submit_report(forms: FormsDep) -> Response:
    store = store_of(forms.request)
    step = report([])
    try:
        fields, files, misplaced = await posted(forms, store)
    except BodyTooLarge:
        tr = forms.page.tr
        detail = tr("portal.report.too_large", mb=store.max_request_bytes // (1024 * 1024))
        return forms.page.render(
            "error.html", status_code=413, message=tr("error.title"), detail=detail
        )
    try:
        view = step.view(forms.page, forms.request.path_params)
    except DomainError as exc:
        return forms.page.refused(exc)
    require_content_type(forms.request, MULTIPART)
    try:
        for name in misplaced:
            what = "files" if name == FIELD else "text"
            raise InvalidInput(f"{name} takes {what} only", field=name)
        step.check(fields)
        fields.body(RectificationReportRequest)  # the text refused before a file is kept
        attachments = store.put(files)
        sent = Fields({**fields.values, FIELD: tuple(a["sha256"] for a in attachments)})
        report(attachments).run(forms.once(sent), view, sent)
    except DomainError as exc:
        refusal = forms.refusal(exc)
        if isinstance(exc, TooLarge):
            refusal = replace(refusal, status=413)
        return forms.render(step, view, values=fields.values, refusal=refusal)
    return forms.done(step.done(view))
