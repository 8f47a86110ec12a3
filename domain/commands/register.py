"""Bringing in the register a regulator kept before this system (``oversight
import-register``): institutions with their original approval, and earlier sanctions.

Each row is one transaction: its events (marked imported, with the source row) and the
rosters an approval changes are saved together or not at all. A row already brought in
(the same credit code and cells: the same key) is skipped, so a second run imports nothing
twice. A dry run decides every row the same way and saves nothing; the records it would
create stay in memory so that later rows (a sanction of an institution of the file) are
judged as a real run would judge them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from domain.commands.rosters import RosterKeeper
from domain.deciders.register import ImportFiling, ImportSanction
from domain.errors import DomainError
from domain.events import FilingImported, SourceRow
from domain.institution import Institution, institution_id
from domain.ledger import Context, Ledger
from domain.register_rows import (
    SANCTION_LEVELS,
    InstitutionRow,
    RecordKind,
    RowRefused,
    SanctionRow,
    kind_of,
    read_row,
)
from domain.roster import OccupationRoster

Action = Literal["imported", "would import", "already imported", "refused"]


@dataclass(frozen=True)
class RowOutcome:
    source: SourceRow
    kind: RecordKind | None
    action: Action
    field: str | None = None
    reason: str = ""
    institution_id: UUID | None = None
    events: tuple[str, ...] = ()

    def line(self) -> str:
        where = f"{self.source['file']}:{self.source['sheet']}:{self.source['row']}"
        if self.action == "refused":
            return f"{where}: refused ({self.field or 'row'}): {self.reason}"
        what = ", ".join(self.events) if self.events else self.reason
        return f"{where}: {self.action} {self.kind} {what}".rstrip()


@dataclass
class _Run:
    dry_run: bool
    #: Records this run created or changed, unsaved (a dry run only).
    pending: dict[UUID, Institution] = field(default_factory=dict)


class RegisterCommands:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.rosters = RosterKeeper(ledger)

    def bring_in(
        self, ctx: Context, rows: Iterable[SourceRow], *, dry_run: bool = False
    ) -> Iterator[RowOutcome]:
        """Each row's outcome, in the order given; institutions should come before their
        sanctions (the reader puts every institution row first)."""
        run = _Run(dry_run)
        for source in rows:
            try:
                kind = kind_of(source["cells"], source["sheet"])
            except RowRefused as exc:
                yield RowOutcome(source, None, "refused", exc.field, exc.detail)
                continue
            try:
                row = read_row(source, kind)
                if isinstance(row, InstitutionRow):
                    yield self._institution(ctx, run, row)
                else:
                    yield self._sanction(ctx, run, row)
            except DomainError as exc:
                yield RowOutcome(source, kind, "refused", exc.field, exc.detail)

    def _load(self, run: _Run, iid: UUID) -> Institution | None:
        return run.pending.get(iid) or self.ledger.find(Institution, iid)

    def _done(
        self,
        ctx: Context,
        run: _Run,
        row: InstitutionRow | SanctionRow,
        inst: Institution,
        *rosters: OccupationRoster,
        since: int = 0,
    ) -> RowOutcome:
        """Save what the row recorded (its events: those pending from ``since`` on)."""
        events = tuple(type(e).__name__ for e in inst.pending_events[since:])
        kind: RecordKind = "institution" if isinstance(row, InstitutionRow) else "sanction"
        if run.dry_run:
            run.pending[inst.id] = inst
            return RowOutcome(row.source, kind, "would import", None, "", inst.id, events)
        self.ledger.save_result(ctx, inst, *rosters)
        return RowOutcome(row.source, kind, "imported", None, "", inst.id, events)

    def _institution(self, ctx: Context, run: _Run, row: InstitutionRow) -> RowOutcome:
        application = row.application
        jurisdiction = application.jurisdiction
        if self.ledger.catalogue.earliest(jurisdiction) is None:
            known = ", ".join(self.ledger.catalogue.jurisdictions())
            raise RowRefused(
                f"unknown jurisdiction {jurisdiction!r} (known: {known})", field="jurisdiction"
            )
        iid = institution_id(jurisdiction, application.credit_code)
        existing = self._load(run, iid)
        if existing is not None:
            return self._already(row, existing)
        self.ledger.not_future(row.approved_on, "approved_on")
        rulebook = self.ledger.filing_rulebook(jurisdiction, row.approved_on, "approved_on")
        command = ImportFiling(
            application,
            row.submitted_on,
            row.approved_on,
            rulebook,
            row.receipt_number,
            row.source,
        )
        inst = Institution.import_filing(command, self.ledger.stamp(ctx))
        # An approval the rulebook governs was bound by its caps; an earlier one only
        # joins the rosters.
        rosters = (
            self.rosters.check_caps(inst, [], inst.scope, rulebook)
            if row.approved_on >= rulebook.effective_from
            else self.rosters.rosters_for(inst, inst.scope)
        )
        return self._done(ctx, run, row, inst, *self.rosters.in_line(ctx, inst, rosters))

    def _already(self, row: InstitutionRow, existing: Institution) -> RowOutcome:
        """The institution is on the register already: from this very row, or otherwise."""
        first = self._first_event(existing)
        if isinstance(first, FilingImported) and first.imported_from["key"] == row.source["key"]:
            return RowOutcome(row.source, "institution", "already imported", None, "", existing.id)
        came = (
            f"from row {first.imported_from['row']} of {first.imported_from['file']}"
            if isinstance(first, FilingImported)
            else "through this system"
        )
        raise RowRefused(
            f"credit code {row.application.credit_code} is already on the register of"
            f" {row.application.jurisdiction} ({came}); a correction is a change of its"
            " details, not a second import",
            field="credit_code",
        )

    def _first_event(self, inst: Institution) -> object:
        recorded = self.ledger.events(inst.id)
        if recorded:
            return recorded[0]
        return inst.pending_events[0] if inst.pending_events else None

    def _sanction(self, ctx: Context, run: _Run, row: SanctionRow) -> RowOutcome:
        iid = institution_id(row.jurisdiction, row.credit_code)
        inst = self._load(run, iid)
        if inst is None:
            raise RowRefused(
                f"no institution with credit code {row.credit_code} in {row.jurisdiction}"
                " (on the register or in an institution row of this file)",
                field="credit_code",
            )
        if row.sanction_id in inst.state.imported_sanctions:
            return RowOutcome(row.source, "sanction", "already imported", None, "", iid)
        for column, day in (
            ("decided_on", row.decided_on),
            ("effect_on", row.effect_on),
            ("accepted_on", row.accepted_on),
        ):
            if day is not None:
                self.ledger.not_future(day, column)
        rulebook = self.ledger.rulebook_looking_back(row.jurisdiction, row.decided_on, "decided_on")
        items = []
        for item in row.items:
            if rulebook.item(item) is None:
                raise RowRefused(
                    f"{item} is not an item of {rulebook.ref}, the rulebook the items are read"
                    f" in for {row.decided_on}",
                    field="items",
                )
            items.append(rulebook.cite(item))
        command = ImportSanction(
            row.sanction_id,
            row.kind,
            SANCTION_LEVELS[row.kind],
            tuple(items),
            row.decided_on,
            row.effect_on,
            row.accepted_on,
            row.reference,
            row.summary,
            row.source,
        )
        since = len(inst.pending_events)
        inst.import_sanction(command, self.ledger.stamp(ctx))
        return self._done(ctx, run, row, inst, since=since)
