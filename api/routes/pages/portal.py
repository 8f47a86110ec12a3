"""The institution's portal: its own file, and each of its steps as a form.

``/portal`` takes a signed-in institution to ``/portal/{its id}``: the filing with its
validity and renewal window, every deadline it must meet, the notices waiting for its
answer, its decisions, batches, files and documents (:func:`projections.portal.portal`).
Each step is a :class:`api.routes.pages.forms.Step` under ``/portal/{iid}/`` — file,
renew, change the scope or the details, report a batch, answer a notice, file an appeal —
through the same CSRF token, Idempotency-Key and refusals as the regulator's workbench;
the rectification report, which carries files, is :mod:`.portal_report`.

Only a token scoped to the institution reaches its portal: any other address answers 404,
as a record that does not exist would (:func:`projections.portal.own_id`). What a step is
allowed to do is the application's to decide: the links offered follow the record's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.attachments import AttachmentStore
from api.commands import Once
from api.i18n import Translator
from api.routes.pages.common import SignedIn, SignedInDep
from api.routes.pages.forms import Fields, Step, register
from api.schemas.casework import DefenceRequest, FileAppealRequest, ReportEvaluationRequest
from api.schemas.institutions import (
    ChangeDetailsRequest,
    Dated,
    ScopeChangeRequest,
    SubmitFilingRequest,
)
from domain.access import Principal
from domain.application import OversightApplication
from domain.commands.findings import BatchReport
from domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from domain.events import ScopeLine
from domain.state import OPEN_STATUSES, AttachmentState
from projections.portal import (
    OnPortal,
    Portal,
    PortalCase,
    PortalDecision,
    Unfiled,
    attachments_of,
    filed,
    portal,
    portal_case,
    portal_decision,
)

router = APIRouter(include_in_schema=False)
BASE = "/portal/{iid}"
KINDS = ("social_org", "employer", "technical_school")
#: Filing statuses after which the institution files again.
REFILE = ("rejected", "cancelled", "lapsed", "revoked")

View = Portal | Unfiled | OnPortal


def own(view: View) -> Portal | Unfiled:
    return view.portal if isinstance(view, OnPortal) else view


def home_of(view: View) -> str:
    """The portal's home, where every step goes back to."""
    found = own(view)
    iid = found.institution_id if isinstance(found, Unfiled) else found.file.id
    return f"/portal/{iid}"


def day(body: Dated, view: View) -> date:
    """The business date the form names, today by default."""
    return body.occurred_on or own(view).today


def today(page: SignedIn, view: View) -> Mapping[str, object]:
    return {"occurred_on": own(view).today}


def read_filed(page: SignedIn, p: Mapping[str, str]) -> Portal:
    return filed(page.app, page.principal, p["iid"])


# --- home ------------------------------------------------------------------------------


@router.get("/portal", response_class=HTMLResponse)
def portal_entry(page: SignedInDep) -> Response:
    """The signed-in institution's own portal; no portal for any other caller."""
    if page.principal.institution_id is None:
        return page.refused(NotFound("no portal for this caller"))
    return RedirectResponse(f"/portal/{page.principal.institution_id}", status_code=303)


@router.get("/portal/{iid}", response_class=HTMLResponse)
def portal_home(iid: str, page: SignedInDep) -> Response:
    try:
        view = portal(page.app, page.principal, iid)
    except DomainError as exc:
        return page.refused(exc)
    if isinstance(view, Unfiled):
        return page.render("portal/unfiled.html", view=view)
    return page.render("portal/home.html", view=view, steps=open_steps(view), refile=REFILE)


def open_steps(view: Portal) -> tuple[str, ...]:
    """The filing steps the record's state leaves open to the institution."""
    status, file = view.file.status, view.file
    steps = ["filing"] if status in REFILE else []
    if status in ("active", "expired") and file.renewal_requested_on is None:
        steps.append("renewal")
    if status == "active" and file.pending_scope is None:
        steps.append("scope")
    if status in OPEN_STATUSES:
        steps.append("details")
    return (*steps, "batch")


# --- the filing ------------------------------------------------------------------------


def scope_lines(fields: Fields, name: str = "scope") -> list[ScopeLine]:
    """``4-03-02-01 3,4,5`` per line: an occupation code and its levels."""
    lines: list[ScopeLine] = []
    for line in fields.lines(name):
        occupation, _, levels = line.replace("：", " ").replace(":", " ").partition(" ")
        numbers = levels.replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
        try:
            chosen = sorted({int(n) for n in numbers if n.strip()})
        except ValueError:
            raise InvalidInput(f"levels of {occupation} are numbers 1-5", field=name) from None
        lines.append({"occupation": occupation.strip(), "levels": chosen})
    return lines


def scope_text(view: Portal) -> str:
    return "\n".join(f"{s.occupation} {','.join(map(str, s.levels))}" for s in view.file.scope)


def contact(fields: Fields) -> dict[str, str]:
    return {"name": fields.get("contact_name"), "phone": fields.get("contact_phone")}


def submit_filing(once: Once, view: Portal | Unfiled, fields: Fields) -> object:
    body = fields.body(
        SubmitFilingRequest,
        scope=scope_lines(fields),
        test_sites=fields.lines("test_sites"),
        contact=contact(fields),
    )
    try:
        return once(once.app.filing.submit_filing, body.application(), day(body, view))
    except Forbidden as exc:  # the credit code or jurisdiction of another record
        raise Forbidden(exc.detail, field="credit_code") from None


def filing_defaults(page: SignedIn, view: Portal | Unfiled) -> Mapping[str, object]:
    if isinstance(view, Unfiled):
        return {"occurred_on": view.today, "jurisdiction": page.principal.jurisdiction}
    inst = view.file
    return {
        "occurred_on": view.today,
        "credit_code": inst.credit_code,
        "jurisdiction": inst.jurisdiction,
        "name": inst.name,
        "kind": inst.kind,
        "district": inst.district,
        "address": inst.address,
        "scope": scope_text(view),
        "test_sites": "\n".join(inst.test_sites),
        "legal_representative": view.legal_representative,
        "contact_name": view.contact["name"],
        "contact_phone": view.contact["phone"],
    }


FILING = Step(
    template="portal/filing.html",
    names=(
        "credit_code",
        "jurisdiction",
        "name",
        "kind",
        "district",
        "address",
        "scope",
        "test_sites",
        "legal_representative",
        "contact",
        "occurred_on",
    ),
    view=lambda page, p: portal(page.app, page.principal, p["iid"]),
    run=submit_filing,
    done=home_of,
    defaults=filing_defaults,
    inputs=("contact_name", "contact_phone"),
)
register(router, f"{BASE}/filing", FILING)


def request_renewal(once: Once, view: Portal, fields: Fields) -> object:
    body = fields.body(Dated)
    return once(once.app.filing.request_renewal, view.file.id, day(body, view))


RENEWAL = Step(
    template="portal/renewal.html",
    names=("occurred_on",),
    view=read_filed,
    run=request_renewal,
    done=home_of,
    defaults=today,
)
register(router, f"{BASE}/renewal", RENEWAL)


def request_scope_change(once: Once, view: Portal, fields: Fields) -> object:
    body = fields.body(
        ScopeChangeRequest, scope=scope_lines(fields), test_sites=fields.lines("test_sites")
    )
    scope = [line.plain() for line in body.scope]
    command = once.app.filing.request_scope_change
    return once(command, view.file.id, day(body, view), scope, body.test_sites, body.reason)


SCOPE = Step(
    template="portal/scope.html",
    names=("scope", "test_sites", "reason", "occurred_on"),
    view=read_filed,
    run=request_scope_change,
    done=home_of,
    defaults=lambda page, view: {
        "occurred_on": view.today,
        "scope": scope_text(view),
        "test_sites": "\n".join(view.file.test_sites),
    },
)
register(router, f"{BASE}/scope", SCOPE)


def change_details(once: Once, view: Portal, fields: Fields) -> object:
    body = fields.body(ChangeDetailsRequest, contact=contact(fields))
    return once(once.app.filing.change_details, view.file.id, day(body, view), body.changes())


DETAILS = Step(
    template="portal/details.html",
    names=(
        "name",
        "address",
        "district",
        "legal_representative",
        "contact",
        "changes",
        "occurred_on",
    ),
    view=read_filed,
    run=change_details,
    done=home_of,
    defaults=lambda page, view: {
        "occurred_on": view.today,
        "name": view.file.name,
        "address": view.file.address,
        "district": view.file.district,
        "legal_representative": view.legal_representative,
        "contact_name": view.contact["name"],
        "contact_phone": view.contact["phone"],
    },
    inputs=("contact_name", "contact_phone"),
)
register(router, f"{BASE}/details", DETAILS)


# --- evaluation batches ----------------------------------------------------------------


def report_batch(once: Once, view: Portal, fields: Fields) -> object:
    body = fields.body(ReportEvaluationRequest)
    return once(once.app.findings.report_evaluation, view.file.id, BatchReport(**body.model_dump()))


BATCH = Step(
    template="portal/batch.html",
    names=(
        "batch_id",
        "occupation",
        "level",
        "evaluated_on",
        "site",
        "territory",
        "candidates",
        "unqualified_candidates",
        "passed",
        "paper_set_id",
    ),
    view=read_filed,
    run=report_batch,
    done=lambda view: f"{home_of(view)}#batches",
    defaults=lambda page, view: {
        "evaluated_on": view.today,
        "unqualified_candidates": 0,
        "occupation": view.file.scope[0].occupation if view.file.scope else "",
        "site": view.file.test_sites[0] if view.file.test_sites else "",
    },
)
register(router, f"{BASE}/batches", BATCH)


# --- notices and decisions -------------------------------------------------------------


def answer_notice(once: Once, view: PortalCase, fields: Fields) -> object:
    iid, case_id = view.institution.id, view.case.case_id
    if fields.choice("answer", ("defence", "waiver")) == "waiver":
        waiver = fields.body(Dated)
        return once(once.app.cases.waive_defence, iid, case_id, day(waiver, view))
    body = fields.body(DefenceRequest)
    command = once.app.cases.submit_defence
    return once(command, iid, case_id, day(body, view), body.statement, [])


ANSWER = Step(
    template="portal/answer.html",
    names=("answer", "statement", "occurred_on"),
    view=lambda page, p: portal_case(page.app, page.principal, p["iid"], p["case_id"]),
    run=answer_notice,
    done=home_of,
    defaults=lambda page, view: {"occurred_on": view.portal.today, "answer": "defence"},
)
register(router, f"{BASE}/cases/{{case_id}}/answer", ANSWER)


def file_appeal(once: Once, view: PortalDecision, fields: Fields) -> object:
    body = fields.body(FileAppealRequest)
    command = once.app.cases.file_appeal
    decision_id = view.decision.decision_id
    return once(command, view.institution.id, decision_id, day(body, view), body.kind, body.grounds)


APPEAL = Step(
    template="portal/appeal.html",
    names=("kind", "grounds", "occurred_on"),
    view=lambda page, p: portal_decision(page.app, page.principal, p["iid"], p["decision_id"]),
    run=file_appeal,
    done=home_of,
    defaults=lambda page, view: {"occurred_on": view.portal.today, "kind": "reconsideration"},
)
register(router, f"{BASE}/decisions/{{decision_id}}/appeal", APPEAL)


# --- links from other pages ------------------------------------------------------------


def file_attachments(
    request: Request, principal: Principal | None, iid: object
) -> tuple[AttachmentState, ...]:
    """The files recorded in the institution's file, for a caller who may read it."""
    if principal is None:
        return ()
    try:
        return attachments_of(request.app.state.oversight, principal, UUID(str(iid)))
    except (DomainError, ValueError):
        return ()


def install_links(templates: Jinja2Templates) -> None:
    """The templates' globals that link the file to the files sent with reports."""
    templates.env.globals["file_attachments"] = file_attachments
    templates.env.globals["filing_jurisdictions"] = filing_jurisdictions
    templates.env.globals["filing_kinds"] = filing_kinds
    templates.env.globals["attachment_limits"] = attachment_limits


def filing_jurisdictions(request: Request, tr: Translator) -> list[tuple[str, str]]:
    """The jurisdictions a filing may name, as a select's options."""
    app: OversightApplication = request.app.state.oversight
    return [(j, tr.jurisdiction(j)) for j in app.ledger.catalogue.jurisdictions()]


def filing_kinds(tr: Translator) -> list[tuple[str, str]]:
    return [(k, tr.kind(k)) for k in KINDS]


def attachment_limits(request: Request) -> AttachmentStore:
    store: AttachmentStore = request.app.state.attachments
    return store
