"""Officers: who is in charge of a file and of each work item, and each officer's queue.

``POST /institutions/{iid}/officers`` assigns (or reassigns, with a reason) the officer of
the file or of one item, with ``If-Match`` and ``Idempotency-Key`` as every command;
``GET /worklist`` is the worklist as the read model holds it, ``?mine=true`` (or
``?officer=NAME``) only the items of one officer: the "assigned to me" queue.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from api.command_route import CommandRoute
from api.commands import OnceDep, on
from api.deps import AppDep, PrincipalDep
from api.schemas.fields import BusinessDate, Code, Name
from api.schemas.officers import AssignOfficerRequest, OfficerLine, OfficerResult
from domain.errors import InvalidInput
from projections import Projections
from projections.queries import allowed_scope
from projections.worklist_queries import WorklistItems, worklist

router = APIRouter(prefix="/api/v1", tags=["officers"], route_class=CommandRoute)


@router.post(
    "/institutions/{iid}/officers",
    summary="Assign the officer of the file or of a work item (a reassignment gives a reason)",
)
def assign_officer(
    iid: UUID, body: AssignOfficerRequest, app: AppDep, once: OnceDep
) -> OfficerResult:
    result = once(
        app.officers.assign_officer,
        iid,
        on(app, body),
        item_kind=body.item_kind,
        item_id=body.item_id,
        officer=body.officer,
        reason=body.reason,
    )
    return OfficerResult.model_validate(result)


@router.get("/institutions/{iid}/officers", summary="The officers of the file and its items")
def officers(iid: UUID, app: AppDep, principal: PrincipalDep) -> list[OfficerLine]:
    state = app.records.institution(principal, iid).state
    lines = []
    for key, officer in sorted(state.officers.items()):
        kind, _, item = key.partition(":")
        lines.append(OfficerLine(item_kind=kind, item_id=item, officer=officer))
    return lines


@router.get("/worklist", summary="What must be acted on; ?mine=true: assigned to me")
def get_worklist(
    request: Request,
    app: AppDep,
    principal: PrincipalDep,
    mine: Annotated[bool, Query(description="only the items assigned to the caller")] = False,
    officer: Annotated[Code | None, Query(description="only this officer's items")] = None,
    as_of: Annotated[BusinessDate | None, Query(description="flags against; default today")] = None,
    jurisdiction: Code | None = None,
    district: Name | None = None,
    due_within_days: Annotated[int, Query(ge=0, le=366)] = 7,
    include_closed: bool = False,
) -> WorklistItems:
    if mine and officer is not None and officer != principal.subject:
        raise InvalidInput("name an officer or ask for your own items, not both", field="officer")
    projections: Projections = request.app.state.projections
    today: date = as_of or app.ledger.today()
    return worklist(
        projections.store,
        as_of=today,
        jurisdiction=jurisdiction,
        district=district,
        officer=principal.subject if mine else officer,
        due_within_days=due_within_days,
        include_closed=include_closed,
        **allowed_scope(principal),
    )
