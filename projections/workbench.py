"""What the regulator's workbench shows: the institution a step acts on and what the step
needs to show, read for a caller who may decide on it.

:func:`desk` reads the record (refusing what lies outside the caller's scope, and any
caller whose role may not decide) and copies what the forms show from the institution's
state: its filing, findings, cases, decisions, batches and appeals. Which steps are open
follows from that state (a case's step, a decision's service, a rectification's state);
what the rules require comes from the application's assessment. Nothing is judged here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import NotFound
from domain.institution import Institution
from domain.state import InstitutionState
from projections.queries import ScopeEntry


@dataclass(frozen=True)
class Target:
    """The institution a step acts on, as the step's heading shows it."""

    id: UUID
    name: str
    credit_code: str
    jurisdiction: str
    district: str
    status: str
    suspended: bool
    submitted_on: date
    scope: tuple[ScopeEntry, ...]
    test_sites: tuple[str, ...]


@dataclass(frozen=True)
class Desk:
    """The record a step works on, for a caller who may decide on it."""

    institution: Target
    state: InstitutionState
    #: The business date of the application's clock (the default date of every form).
    today: date
    #: The record's version the desk was read at.
    version: int


def parse_id(value: str) -> UUID:
    """An institution id from a page address; anything else is no institution (404)."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no institution {value!r}", field="iid") from None


def desk(app: OversightApplication, principal: Principal, iid: str) -> Desk:
    """The record ``iid`` for a step: NotFound if unknown, Forbidden if the caller may not
    read it or may not decide on it."""
    inst = app.records.institution(principal, parse_id(iid))
    principal.require("decide", inst.jurisdiction, inst.district, inst.id)
    return Desk(_target(inst), inst.state, app.ledger.today(), inst.version)


def _target(inst: Institution) -> Target:
    state = inst.state
    return Target(
        id=inst.id,
        name=state.name,
        credit_code=state.credit_code,
        jurisdiction=state.jurisdiction,
        district=state.district,
        status=state.status,
        suspended=state.suspended,
        submitted_on=state.submitted_on,
        scope=tuple(ScopeEntry(s.occupation, tuple(s.levels)) for s in state.scope),
        test_sites=tuple(state.test_sites),
    )
