"""/api/v1/institutions: the filing register and its lifecycle commands."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.command_route import CommandRoute
from api.commands import Once, OnceDep, RecordView, on
from api.deps import AppDep, PrincipalDep
from api.schemas.fields import BusinessDate, Code, Cursor, Instant, Name, Version
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
from domain.application import OversightApplication
from domain.institution import Institution
from domain.records import Records
from projections import Projections
from projections.queries import allowed_scope
from projections.queries import list_institutions as list_register

router = APIRouter(prefix="/api/v1/institutions", tags=["institutions"], route_class=CommandRoute)


def _institution_out(app: OversightApplication, inst: Institution) -> InstitutionOut:
    on_day = inst.valid_until or inst.submitted_on
    return InstitutionOut.of(inst, app.ledger.catalogue.in_force(inst.jurisdiction, on_day))


INSTITUTION = RecordView(
    "institution_id", "/api/v1/institutions", Records.institution, _institution_out
)


def _left(once: Once, iid: UUID) -> InstitutionOut:
    """The file a filing command left: as it stands, or at the version a replay recorded."""
    return INSTITUTION.current(once.app, once.principal, once.response, iid, once.replayed_version)


@router.post("", status_code=201, summary="Submit a filing (备案申请)")
def submit_filing(body: SubmitFilingRequest, app: AppDep, once: OnceDep) -> InstitutionOut:
    outcome = once(app.filing.submit_filing, body.application(), on(app, body))
    out = _left(once, UUID(outcome["institution_id"]) if isinstance(outcome, dict) else outcome)
    once.response.headers["Location"] = f"/api/v1/institutions/{out.id}"
    return out


@router.get("", summary="The register: filter, page with the cursor")
def list_institutions(
    request: Request,
    principal: PrincipalDep,
    jurisdiction: Code | None = None,
    district: Name | None = None,
    status: Code | None = None,
    occupation: Annotated[Code | None, Query(examples=["4-03-02-01"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor | None = None,
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
    version: Version | None = None,
    as_of: Annotated[
        BusinessDate | None, Query(description="business date: facts up to it")
    ] = None,
    known_at: Annotated[
        Instant | None, Query(description="instant: what the store knew then")
    ] = None,
) -> InstitutionOut:
    if as_of is not None or known_at is not None:
        inst = app.records.institution_at(principal, iid, as_of=as_of, known_at=known_at)
        return INSTITUTION.of(app, response, inst)
    return INSTITUTION.current(app, principal, response, iid, version)


@router.get("/{iid}/events", summary="The audit trail: every event with both clocks and its author")
def get_events(iid: UUID, app: AppDep, principal: PrincipalDep) -> list[EventOut]:
    return [EventOut.of(e) for e in app.records.institution_events(principal, iid)]


@router.get("/{iid}/integrity", summary="Check this institution's hash chain")
def get_integrity(iid: UUID, app: AppDep, principal: PrincipalDep) -> IntegrityOut:
    broken = app.records.verify_institution(principal, iid)
    count = len(app.records.institution_events(principal, iid))
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
    iid: UUID, body: ApproveFilingRequest, app: AppDep, once: OnceDep
) -> InstitutionOut:
    once(app.filing.approve_filing, iid, on(app, body), body.receipt_number)
    return _left(once, iid)


@router.post("/{iid}/rejection", summary="Reject the filing")
def reject_filing(iid: UUID, body: ReasonedRequest, app: AppDep, once: OnceDep) -> InstitutionOut:
    once(app.filing.reject_filing, iid, on(app, body), body.reason)
    return _left(once, iid)


@router.post("/{iid}/details", summary="Change basic details (chengdu-2024/12)")
def change_details(
    iid: UUID, body: ChangeDetailsRequest, app: AppDep, once: OnceDep
) -> InstitutionOut:
    once(app.filing.change_details, iid, on(app, body), body.changes())
    return _left(once, iid)


@router.post("/{iid}/scope-changes", summary="Request a change of occupations, levels or sites")
def request_scope_change(
    iid: UUID, body: ScopeChangeRequest, app: AppDep, once: OnceDep
) -> InstitutionOut:
    scope = [line.plain() for line in body.scope]
    once(app.filing.request_scope_change, iid, on(app, body), scope, body.test_sites, body.reason)
    return _left(once, iid)


@router.post("/{iid}/scope-changes/{change_id}/approval", summary="Approve a scope change")
def approve_scope_change(
    iid: UUID, change_id: Code, body: Dated, app: AppDep, once: OnceDep
) -> InstitutionOut:
    once(app.filing.approve_scope_change, iid, on(app, body), change_id)
    return _left(once, iid)


@router.post("/{iid}/scope-changes/{change_id}/rejection", summary="Reject a scope change")
def reject_scope_change(
    iid: UUID, change_id: Code, body: ReasonedRequest, app: AppDep, once: OnceDep
) -> InstitutionOut:
    once(app.filing.reject_scope_change, iid, on(app, body), change_id, body.reason)
    return _left(once, iid)


@router.post("/{iid}/renewal", summary="Request renewal (in the 3 months before expiry)")
def request_renewal(iid: UUID, body: Dated, app: AppDep, once: OnceDep) -> InstitutionOut:
    once(app.filing.request_renewal, iid, on(app, body))
    return _left(once, iid)


@router.post("/{iid}/renewal/approval", summary="Approve the renewal (+3 years)")
def approve_renewal(iid: UUID, body: Dated, app: AppDep, once: OnceDep) -> InstitutionOut:
    once(app.filing.approve_renewal, iid, on(app, body))
    return _left(once, iid)


@router.post("/{iid}/renewal/rejection", summary="Reject the renewal")
def reject_renewal(iid: UUID, body: ReasonedRequest, app: AppDep, once: OnceDep) -> InstitutionOut:
    once(app.filing.reject_renewal, iid, on(app, body), body.reason)
    return _left(once, iid)


@router.post("/{iid}/cancellation", summary="Cancel the filing voluntarily (注销, chengdu-2024/15)")
def cancel_filing(iid: UUID, body: ReasonedRequest, app: AppDep, once: OnceDep) -> InstitutionOut:
    once(app.filing.cancel_filing, iid, on(app, body), body.reason)
    return _left(once, iid)
