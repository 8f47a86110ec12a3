"""/api/v1/rulebooks: the catalogue of rulebooks (articles, items, derived rules)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import AppDep, PrincipalDep
from api.schemas.fields import Code, Version
from domain.errors import NotFound

router = APIRouter(prefix="/api/v1/rulebooks", tags=["rulebooks"])


@router.get("", summary="Every rulebook version: id, version, content hash, dates")
def list_rulebooks(app: AppDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "version": r.version,
            "content_hash": r.content_hash,
            "title_zh": r.title_zh,
            "title_en": r.title_en,
            "jurisdiction": r.jurisdiction,
            "issued_on": r.issued_on,
            "effective_from": r.effective_from,
            "effective_until": r.effective_until,
            "items": sum(len(a.items) for a in r.articles),
            "derived_rules": len(r.derived_rules),
        }
        for r in app.ledger.catalogue
    ]


@router.get("/{rulebook_id}", summary="One rulebook: articles, items, derived rules")
def get_rulebook(
    rulebook_id: Code,
    app: AppDep,
    principal: PrincipalDep,
    version: Version | None = None,
) -> dict[str, Any]:
    try:
        rulebook = app.ledger.catalogue.get(rulebook_id, version)
    except KeyError:
        raise NotFound(f"no rulebook {rulebook_id}", field="rulebook_id") from None
    result: dict[str, Any] = rulebook.model_dump(mode="json")
    return result
