"""Filings for the read-model tests, made through the application's commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domain.access import Principal
from domain.application import Context, OversightApplication
from domain.creditcode import make_credit_code
from domain.events import FilingSubmitted
from domain.institution import FilingApplication, Institution
from projections.queries import RegisterEntry

ADMIN = Context(Principal("root", "admin"), "req-projections")
ON = date(2024, 3, 1)
#: The register's event topics, as the store records them.
SUBMITTED_TOPIC = f"{FilingSubmitted.__module__}:{FilingSubmitted.__qualname__}"

DISTRICTS = {"chengdu": "锦江区", "hunan": "长沙市", "huangshi": "黄石港区"}


def credit_code(n: int) -> str:
    return make_credit_code(f"91510100MA6C{n:05d}")


def application(
    n: int,
    *,
    jurisdiction: str = "chengdu",
    district: str | None = None,
    name: str | None = None,
    occupations: Sequence[str] = ("4-07-05-04",),
    kind: str = "employer",
) -> FilingApplication:
    return FilingApplication(
        credit_code=credit_code(n),
        name=name or f"评价机构{n:04d}",
        kind=kind,
        jurisdiction=jurisdiction,
        district=district or DISTRICTS[jurisdiction],
        address="某路1号",
        scope=[{"occupation": occ, "levels": [5, 4, 3]} for occ in occupations],
        test_sites=["第一考点"],
        legal_representative="王某",
        contact={"name": "李某", "phone": "000-00000000"},
    )


def submit(app: OversightApplication, n: int, on: date = ON, **kwargs: Any) -> UUID:
    return app.filing.submit_filing(ADMIN, application(n, **kwargs), on)


def file_approved(app: OversightApplication, n: int, on: date = ON, **kwargs: Any) -> UUID:
    iid = submit(app, n, on, **kwargs)
    app.filing.approve_filing(ADMIN, iid, on)
    return iid


def file_many(app: OversightApplication, count: int, start: int = 0) -> list[UUID]:
    """``count`` approved filings spread over three jurisdictions and a few occupations."""
    jurisdictions = ("chengdu", "hunan", "huangshi")
    occupations = ("4-07-05-04", "4-03-02-01", "6-29-01-01", "4-10-01-02")
    return [
        file_approved(
            app,
            n,
            jurisdiction=jurisdictions[n % 3],
            occupations=(occupations[n % 4],),
        )
        for n in range(start, start + count)
    ]


def expected_entry(app: OversightApplication, iid: UUID) -> dict[str, Any]:
    """What the register must show for an institution: its aggregate's filing facts."""
    inst: Institution = app.records.institution(ADMIN.principal, iid)
    last = list(app.store.repository.event_store.get(iid))[-1]
    return {
        "id": inst.id,
        "credit_code": inst.credit_code,
        "name": inst.name,
        "kind": inst.kind,
        "jurisdiction": inst.jurisdiction,
        "district": inst.district,
        "status": inst.status,
        "receipt_number": inst.receipt_number,
        "valid_from": inst.valid_from,
        "valid_until": inst.valid_until,
        "occupations": [(ln["occupation"], tuple(ln["levels"])) for ln in inst.scope],
        "test_sites": list(inst.test_sites),
        "pending_change_id": (inst.pending_scope_change or {}).get("change_id"),
        "renewal_requested_on": inst.renewal_requested_on,
        "version": inst.version,
        "submitted_on": inst.submitted_on,
        "last_event_at": getattr(last, "timestamp", None),
    }


def shown(entry: RegisterEntry) -> dict[str, Any]:
    """The same facts as the register shows them."""
    return {
        "id": entry.id,
        "credit_code": entry.credit_code,
        "name": entry.name,
        "kind": entry.kind,
        "jurisdiction": entry.jurisdiction,
        "district": entry.district,
        "status": entry.status,
        "receipt_number": entry.receipt_number,
        "valid_from": entry.valid_from,
        "valid_until": entry.valid_until,
        "occupations": [(s.occupation, s.levels) for s in entry.occupations],
        "test_sites": list(entry.test_sites),
        "pending_change_id": (
            entry.pending_scope_change.change_id if entry.pending_scope_change else None
        ),
        "renewal_requested_on": entry.renewal_requested_on,
        "version": entry.version,
        "submitted_on": entry.submitted_on,
        "last_event_at": entry.last_event_at,
    }
