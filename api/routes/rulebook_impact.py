"""/api/v1/rulebooks: what a rulebook version changes (``…/{id}/diff``) and what a draft
would change over the store (``…/impact``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import AppDep, PrincipalDep
from api.schemas.fields import BusinessDate, Code, Version
from domain.errors import InvalidInput, NotFound
from domain.rulebook import Rulebook
from domain.rulebook_diff import diff, named

router = APIRouter(prefix="/api/v1/rulebooks", tags=["rulebooks"])

#: A rulebook as ``ID`` or ``ID@VERSION``.
Named = Annotated[
    str, Query(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*(@[1-9][0-9]{0,8})?$")
]
#: The media types a draft may be sent as.
DRAFT_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")
DRAFT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the draft rulebook, as YAML (the same schema as domain/rulebooks/)",
        "content": {
            media: {"schema": {"type": "string", "maxLength": 1_048_576}} for media in DRAFT_TYPES
        },
    }
}
DRAFT_FILE = "draft.yaml"


def _ref(rulebook: Rulebook) -> dict[str, Any]:
    return {"id": rulebook.id, "version": rulebook.version, "content_hash": rulebook.content_hash}


@router.get(
    "/{rulebook_id}/diff",
    summary="What changes from another rulebook version to this one, article by article",
)
def rulebook_diff(
    rulebook_id: Code,
    against: Named,
    app: AppDep,
    principal: PrincipalDep,
    version: Version | None = None,
) -> dict[str, Any]:
    catalogue = app.ledger.catalogue
    try:
        new = catalogue.get(rulebook_id, version)
    except KeyError:
        raise NotFound(f"no rulebook {rulebook_id}", field="rulebook_id") from None
    try:
        old = named(catalogue, against)
    except (KeyError, ValueError):
        raise NotFound(f"no rulebook {against}", field="against") from None
    changes = diff(old, new)
    return {"old": _ref(old), "new": _ref(new), "changes": [c.as_dict() for c in changes]}


@router.post(
    "/impact",
    summary="Every institution of a draft's jurisdiction replayed under the draft",
    description=(
        "The draft (YAML) is validated first: a malformed one is refused with 422 naming its"
        " line and field. Then every institution of its jurisdiction (of the caller's"
        " district, for a regulator scoped to one) is replayed under the rulebooks in force"
        " and under the catalogue with the draft, on `as_of` (by default today, or the day"
        " the draft takes effect if later); each institution whose required level, actions,"
        " grounds, batch checks, credit rating or deadlines differ is listed with the events"
        " behind each difference, with totals by district and by article."
    ),
    openapi_extra=DRAFT_BODY,
)
async def rulebook_impact(
    request: Request,
    app: AppDep,
    principal: PrincipalDep,
    as_of: BusinessDate | None = None,
) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in DRAFT_TYPES:
        raise InvalidInput(
            f"send the draft as YAML ({', '.join(DRAFT_TYPES)}), not {media or 'nothing'}",
            field="body",
        )
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("the body holds no draft", field="body")

    def run() -> dict[str, Any]:
        plan = app.impact.plan(principal, raw, DRAFT_FILE, as_of)
        return app.impact.run(plan).as_dict()

    return await run_in_threadpool(run)
