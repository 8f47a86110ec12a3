"""Filing commands: submit, approve or reject, change details or scope, renew, cancel, expire.

Each command: authorise and load through the ledger → let the ``Institution`` validate and
record → save it, with the occupation rosters it changes, in one transaction. Approvals and
scope changes are checked against the filing caps first (``rosters.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.access import Principal
from domain.commands.rosters import RosterKeeper
from domain.errors import Conflict, VersionConflict
from domain.events import ScopeLine
from domain.institution import FilingApplication, Institution, institution_id
from domain.ledger import Context, Ledger
from domain.roster import OccupationRoster


class FilingCommands:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.rosters = RosterKeeper(ledger)

    def _save(self, ctx: Context, inst: Institution, *rosters: OccupationRoster) -> int:
        return int(self.ledger.save_result(ctx, inst, *rosters)["version"])

    def submit_filing(self, ctx: Context, application: FilingApplication, on: date) -> UUID:
        """A first filing opens the record; a filing after rejection, cancellation, lapse
        or a ban continues the same one."""
        self.ledger.not_future(on)
        application.validate()
        self.ledger.filing_rulebook(application.jurisdiction, on)
        iid = institution_id(application.jurisdiction, application.credit_code)
        ctx.principal.require("apply", application.jurisdiction, application.district, iid)
        existing = self.ledger.find(Institution, iid)
        stamp = self.ledger.stamp(ctx)
        if existing is not None:
            self.ledger.check_version(ctx, existing)
            existing.resubmit(application, on, stamp)
            self._save(ctx, existing)
            return iid
        inst = Institution.submit(application, on, stamp)
        try:
            self._save(ctx, inst)
        except VersionConflict:
            raise Conflict(
                f"credit code {application.credit_code} is already filed in"
                f" {application.jurisdiction}",
                existing=str(iid),
                field="credit_code",
            ) from None
        return iid

    def approve_filing(
        self, ctx: Context, iid: UUID, on: date, receipt_number: str | None = None
    ) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        rulebook = self.ledger.filing_rulebook(inst.jurisdiction, on)
        # Caps bind approvals the rulebook governs; an approval before it took effect was
        # made under earlier rules and only joins the rosters.
        rosters = (
            self.rosters.check_caps(inst, [], inst.scope, rulebook)
            if on >= rulebook.effective_from
            else self.rosters.rosters_for(inst, inst.scope)
        )
        inst.approve(on, self.ledger.stamp(ctx), rulebook, receipt_number)
        return self._save(ctx, inst, *self.rosters.in_line(ctx, inst, rosters))

    def reject_filing(self, ctx: Context, iid: UUID, on: date, reason: str) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.reject(on, self.ledger.stamp(ctx), reason)
        return self._save(ctx, inst)

    def change_details(self, ctx: Context, iid: UUID, on: date, changes: dict[str, Any]) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "apply")
        inst.change_details(on, self.ledger.stamp(ctx), changes)
        return self._save(ctx, inst)

    def request_scope_change(
        self,
        ctx: Context,
        iid: UUID,
        on: date,
        scope: list[ScopeLine],
        test_sites: list[str],
        reason: str,
    ) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "apply")
        change_id = f"SC-{inst.version + 1}"
        inst.request_scope_change(on, self.ledger.stamp(ctx), change_id, scope, test_sites, reason)
        return self._save(ctx, inst)

    def approve_scope_change(self, ctx: Context, iid: UUID, on: date, change_id: str) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        pending = inst.pending_scope_change
        if pending is None or pending["change_id"] != change_id:
            raise Conflict(f"no pending scope change {change_id}", field="change_id")
        rulebook = self.ledger.rulebook_for(inst.jurisdiction, on)
        rosters = self.rosters.check_caps(inst, inst.scope, pending["scope"], rulebook)
        inst.approve_scope_change(on, self.ledger.stamp(ctx), change_id, rulebook)
        return self._save(ctx, inst, *self.rosters.in_line(ctx, inst, rosters))

    def reject_scope_change(
        self, ctx: Context, iid: UUID, on: date, change_id: str, reason: str
    ) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.reject_scope_change(on, self.ledger.stamp(ctx), change_id, reason)
        return self._save(ctx, inst)

    def request_renewal(self, ctx: Context, iid: UUID, on: date) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "apply")
        rulebook = self.ledger.filing_rulebook(inst.jurisdiction, on)
        inst.request_renewal(on, self.ledger.stamp(ctx), rulebook)
        return self._save(ctx, inst)

    def approve_renewal(self, ctx: Context, iid: UUID, on: date) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        rulebook = self.ledger.filing_rulebook(inst.jurisdiction, on)
        inst.approve_renewal(on, self.ledger.stamp(ctx), rulebook)
        return self._save(ctx, inst)

    def reject_renewal(self, ctx: Context, iid: UUID, on: date, reason: str) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.reject_renewal(on, self.ledger.stamp(ctx), reason)
        return self._save(ctx, inst)

    def cancel_filing(self, ctx: Context, iid: UUID, on: date, reason: str) -> int:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "apply")
        inst.cancel(on, self.ledger.stamp(ctx), reason)
        return self._save(ctx, inst, *self.rosters.in_line(ctx, inst))

    def advance_filing(self, iid: UUID, today: date, request_id: str) -> list[str]:
        """Record the expiry and lapse due by ``today`` (the deadline worker's command)."""
        ctx = Context(principal=Principal("deadline-worker", "system"), request_id=request_id)
        inst = self.ledger.get(Institution, iid)
        if inst.valid_until is None:
            return []
        rulebook = self.ledger.filing_rulebook(inst.jurisdiction, min(today, inst.valid_until))
        recorded = inst.advance_to(today, self.ledger.stamp(ctx), rulebook)
        if recorded:
            self._save(ctx, inst, *self.rosters.in_line(ctx, inst))
        return recorded
