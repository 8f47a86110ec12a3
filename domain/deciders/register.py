"""Deciders of the register brought in from before this system: a filing with its original
approval, and an earlier sanction, each marked imported with its source row.

The filing goes through the filing deciders (the application checked, the validity of the
rulebook named); only the event classes differ, so that every reader sees an ordinary
filing and the file says where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.deciders import filing
from domain.deciders.common import NewEvent, new
from domain.errors import Conflict
from domain.events import (
    FilingApprovalImported,
    FilingApproved,
    FilingImported,
    FilingSubmitted,
    LedgerEvent,
    SanctionImported,
    SourceRow,
)
from domain.rulebook import Rulebook
from domain.state import InstitutionState

IMPORTED: dict[type[LedgerEvent], type[LedgerEvent]] = {
    FilingSubmitted: FilingImported,
    FilingApproved: FilingApprovalImported,
}


@dataclass(frozen=True)
class ImportFiling:
    application: filing.FilingApplication
    submitted_on: date
    approved_on: date
    rulebook: Rulebook  # whose validity the approval gets
    receipt_number: str | None
    source: SourceRow


def _imported(event: NewEvent, source: SourceRow) -> NewEvent:
    fields = {**event.fields, "imported_from": source}
    return NewEvent(IMPORTED[event.type], event.occurred_on, fields)


def submit_imported(command: ImportFiling) -> NewEvent:
    """The first event of an imported record: the filing as submitted on its real date."""
    submitted = filing.submit(filing.Submit(command.application, command.submitted_on))
    return _imported(submitted, command.source)


def approve_imported(state: InstitutionState, command: ImportFiling) -> list[NewEvent]:
    """Its original approval, with the validity of the rulebook named."""
    approve = filing.Approve(command.approved_on, command.rulebook, command.receipt_number)
    return [_imported(e, command.source) for e in filing.approve(state, approve)]


@dataclass(frozen=True)
class ImportSanction:
    sanction_id: str
    kind: str
    level: int
    items: tuple[str, ...]  # cited, "hunan-2023/25.3"
    decided_on: date
    effect_on: date
    accepted_on: date | None
    reference: str
    summary: str
    source: SourceRow


def import_sanction(state: InstitutionState, command: ImportSanction) -> list[NewEvent]:
    """An earlier sanction; the same row (its id comes from the row's key) only once."""
    if command.sanction_id in state.imported_sanctions:
        raise Conflict(
            f"sanction {command.sanction_id} was already imported", existing=command.sanction_id
        )
    c = command
    return [
        new(
            SanctionImported,
            c.decided_on,
            sanction_id=c.sanction_id,
            kind=c.kind,
            level=c.level,
            items=list(c.items),
            effect_on=c.effect_on,
            accepted_on=c.accepted_on,
            reference=c.reference,
            summary=c.summary,
            imported_from=c.source,
        )
    ]
