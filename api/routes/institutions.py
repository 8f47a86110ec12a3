"""/api/v1/institutions: the filing register and its lifecycle commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.deps import AppDep, ContextDep, PrincipalDep
from api.schemas.institutions import (
    ApproveFilingRequest,
    ChangeDetailsRequest,
    Dated,
    EventOut,
    InstitutionOut,
    IntegrityOut,
    ReasonedRequest,
    RegisterItem,
    RegisterPage,
    ScopeChangeRequest,
    SubmitFilingRequest,
)
from domain.application import Context, OversightApplication
from domain.errors import DomainError
from domain.institution import FilingApplication, Institution
from projections import Projections
from projections.queries import allowed_scope
from projections.queries import list_institutions as list_register

router = APIRouter(prefix="/api/v1/institutions", tags=["institutions"])


def _view(app: OversightApplication, inst: Institution, response: Response) -> InstitutionOut:
    response.headers["ETag"] = f'"{inst.version}"'
    on = inst.valid_until or inst.submitted_on
    return InstitutionOut.of(inst, app.catalogue.in_force(inst.jurisdiction, on))


def _run(
    app: OversightApplication,
    ctx: Context,
    response: Response,
    command: Callable[[], Any],
    iid: UUID | None = None,
) -> InstitutionOut:
    """Run a command once per Idempotency-Key and answer with the record it left."""
    result = app.previous_result(ctx)
    if result is None:
        try:
            outcome = command()
        except DomainError:  # refused, because a concurrent twin was recorded meanwhile?
            result = app.previous_result(ctx)
            if result is None:
                raise
    if result is None:
        target = UUID(str(outcome)) if isinstance(outcome, UUID) else iid
        assert target is not None
        inst = app.institution(ctx.principal, target)
    else:
        response.headers["Idempotent-Replay"] = "true"
        inst = app.institution(
            ctx.principal, UUID(result["institution_id"]), version=int(result["version"])
        )
    return _view(app, inst, response)


def _on(app: OversightApplication, body: Dated) -> date:
    return body.occurred_on or app.today()


@router.post("", status_code=201, summary="Submit a filing (备案申请)")
def submit_filing(
    body: SubmitFilingRequest, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    application = FilingApplication(
        credit_code=body.credit_code,
        name=body.name,
        kind=body.kind,
        jurisdiction=body.jurisdiction,
        district=body.district,
        address=body.address,
        scope=[line.plain() for line in body.scope],
        test_sites=body.test_sites,
        legal_representative=body.legal_representative,
        contact={"name": body.contact.name, "phone": body.contact.phone},
    )
    out = _run(app, ctx, response, lambda: app.submit_filing(ctx, application, _on(app, body)))
    response.headers["Location"] = f"/api/v1/institutions/{out.id}"
    return out


@router.get("", summary="The register: filter, page with the cursor")
def list_institutions(
    request: Request,
    principal: PrincipalDep,
    jurisdiction: str | None = None,
    district: str | None = None,
    status: str | None = None,
    occupation: Annotated[str | None, Query(examples=["4-03-02-01"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> RegisterPage:
    projections: Projections = request.app.state.projections
    page = list_register(
        projections.store,
        jurisdiction=jurisdiction,
        district=district,
        status=status,
        occupation=occupation,
        limit=limit,
        cursor=cursor,
        **allowed_scope(principal),
    )
    return RegisterPage(
        items=[RegisterItem.of(entry) for entry in page.items],
        next_cursor=page.next_cursor,
        position=projections.register.position(),
    )


@router.get(
    "/{iid}",
    summary="One institution's file: now, at a version, as of a date or as known at an instant",
)
def get_institution(
    iid: UUID,
    app: AppDep,
    principal: PrincipalDep,
    response: Response,
    version: Annotated[int | None, Query(ge=1)] = None,
    as_of: Annotated[date | None, Query(description="business date: facts up to it")] = None,
    known_at: Annotated[
        datetime | None, Query(description="instant: what the store knew then")
    ] = None,
) -> InstitutionOut:
    if as_of is not None or known_at is not None:
        inst = app.institution_at(principal, iid, as_of=as_of, known_at=known_at)
        return _view(app, inst, response)
    return _view(app, app.institution(principal, iid, version), response)


@router.get("/{iid}/events", summary="The audit trail: every event with both clocks and its author")
def get_events(iid: UUID, app: AppDep, principal: PrincipalDep) -> list[EventOut]:
    return [EventOut.of(e) for e in app.institution_events(principal, iid)]


@router.get("/{iid}/integrity", summary="Check this institution's hash chain")
def get_integrity(iid: UUID, app: AppDep, principal: PrincipalDep) -> IntegrityOut:
    broken = app.verify_institution(principal, iid)
    count = len(app.institution_events(principal, iid))
    if broken is None:
        return IntegrityOut(institution_id=iid, intact=True, events=count)
    return IntegrityOut(
        institution_id=iid,
        intact=False,
        events=count,
        first_break_at=broken.position,
        reason=broken.reason,
    )


@router.post("/{iid}/approval", summary="Approve the filing (出具备案回执)")
def approve_filing(
    iid: UUID, body: ApproveFilingRequest, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(
        app,
        ctx,
        response,
        lambda: app.approve_filing(ctx, iid, _on(app, body), body.receipt_number),
        iid,
    )


@router.post("/{iid}/rejection", summary="Reject the filing")
def reject_filing(
    iid: UUID, body: ReasonedRequest, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(
        app, ctx, response, lambda: app.reject_filing(ctx, iid, _on(app, body), body.reason), iid
    )


@router.post("/{iid}/details", summary="Change basic details (chengdu-2024/12)")
def change_details(
    iid: UUID, body: ChangeDetailsRequest, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(
        app,
        ctx,
        response,
        lambda: app.change_details(ctx, iid, _on(app, body), body.changes()),
        iid,
    )


@router.post("/{iid}/scope-changes", summary="Request a change of occupations, levels or sites")
def request_scope_change(
    iid: UUID, body: ScopeChangeRequest, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(
        app,
        ctx,
        response,
        lambda: app.request_scope_change(
            ctx,
            iid,
            _on(app, body),
            [line.plain() for line in body.scope],
            body.test_sites,
            body.reason,
        ),
        iid,
    )


@router.post("/{iid}/scope-changes/{change_id}/approval", summary="Approve a scope change")
def approve_scope_change(
    iid: UUID, change_id: str, body: Dated, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(
        app,
        ctx,
        response,
        lambda: app.approve_scope_change(ctx, iid, _on(app, body), change_id),
        iid,
    )


@router.post("/{iid}/scope-changes/{change_id}/rejection", summary="Reject a scope change")
def reject_scope_change(
    iid: UUID,
    change_id: str,
    body: ReasonedRequest,
    app: AppDep,
    ctx: ContextDep,
    response: Response,
) -> InstitutionOut:
    return _run(
        app,
        ctx,
        response,
        lambda: app.reject_scope_change(ctx, iid, _on(app, body), change_id, body.reason),
        iid,
    )


@router.post("/{iid}/renewal", summary="Request renewal (in the 3 months before expiry)")
def request_renewal(
    iid: UUID, body: Dated, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(app, ctx, response, lambda: app.request_renewal(ctx, iid, _on(app, body)), iid)


@router.post("/{iid}/renewal/approval", summary="Approve the renewal (+3 years)")
def approve_renewal(
    iid: UUID, body: Dated, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(app, ctx, response, lambda: app.approve_renewal(ctx, iid, _on(app, body)), iid)


@router.post("/{iid}/renewal/rejection", summary="Reject the renewal")
def reject_renewal(
    iid: UUID, body: ReasonedRequest, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(
        app, ctx, response, lambda: app.reject_renewal(ctx, iid, _on(app, body), body.reason), iid
    )


@router.post("/{iid}/cancellation", summary="Cancel the filing voluntarily (注销, chengdu-2024/15)")
def cancel_filing(
    iid: UUID, body: ReasonedRequest, app: AppDep, ctx: ContextDep, response: Response
) -> InstitutionOut:
    return _run(
        app, ctx, response, lambda: app.cancel_filing(ctx, iid, _on(app, body), body.reason), iid
    )
