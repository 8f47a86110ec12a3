"""The Application: one method per command (authorise → load → decide → save together).

Filing and token commands live here; findings to appeals in ``casework_app.py``. The
infrastructure every command uses (stamping, loading, atomic saves, idempotency) is
``LedgerApplication`` in ``ledger.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, cast
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.access import SYSTEM, Principal, Registry, Token, hash_token, registry_id, token_id
from domain.casework_app import CaseworkCommands
from domain.chain import ChainBreak, verify_chain
from domain.errors import Conflict, Forbidden, InvalidInput, VersionConflict
from domain.events import FilingSubmitted, ScopeLine
from domain.institution import FilingApplication, Institution, institution_id
from domain.ledger import (
    Clock,
    Context,
    IdempotencyRecord,
    LedgerApplication,
    StoredEvent,
    audit_entry,
)
from domain.supervision import SupervisionCommands

TOKEN_REGISTRY = "tokens"


class OversightApplication(SupervisionCommands, CaseworkCommands, LedgerApplication):
    name = "oversight"

    # --- institutions: queries ------------------------------------------------------------

    def institution_events(self, principal: Principal, iid: UUID) -> list[StoredEvent]:
        self.institution(principal, iid)
        return [audit_entry(e) for e in self.repository.event_store.get(iid)]

    def verify_institution(self, principal: Principal, iid: UUID) -> ChainBreak | None:
        self.institution(principal, iid)
        return self.verify_aggregate(iid)

    def verify_aggregate(self, aggregate_id: UUID) -> ChainBreak | None:
        events = list(self.repository.event_store.get(aggregate_id))
        return verify_chain([(get_topic(type(e)), dict(e.__dict__)) for e in events])

    def all_originators(self) -> Iterator[UUID]:
        """Every aggregate id in the store, in order of first appearance."""
        seen: set[UUID] = set()
        start = 1
        recorder = self.recorder
        while True:
            batch = recorder.select_notifications(start=start, limit=500)
            if not batch:
                return
            for n in batch:
                if n.originator_id not in seen:
                    seen.add(cast(UUID, n.originator_id))
                    yield cast(UUID, n.originator_id)
            start = batch[-1].id + 1

    # --- institutions: filing commands ----------------------------------------------------

    def submit_filing(self, ctx: Context, application: FilingApplication, on: date) -> UUID:
        self._not_future(on)
        application.validate()
        self.rulebook_for(application.jurisdiction, on)
        iid = institution_id(application.jurisdiction, application.credit_code)
        ctx.principal.require("apply", application.jurisdiction, application.district, iid)
        existing: Institution | None = self._find(Institution, iid)
        stamp = self.stamp(ctx)
        if existing is None:
            inst = Institution.submit(application, on, stamp)
            try:
                self._commit(ctx, {"institution_id": str(iid), "version": inst.version}, inst)
            except VersionConflict:
                raise Conflict(
                    f"credit code {application.credit_code} is already filed in"
                    f" {application.jurisdiction}",
                    existing=str(iid),
                    field="credit_code",
                ) from None
            return iid
        self._check_version(ctx, existing)
        existing.resubmit(application, on, stamp)
        self._commit(ctx, {"institution_id": str(iid), "version": existing.version}, existing)
        return iid

    def approve_filing(
        self, ctx: Context, iid: UUID, on: date, receipt_number: str | None = None
    ) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        rulebook = self.rulebook_for(inst.jurisdiction, on)
        rosters = self._check_caps(inst, [], inst.scope, rulebook)
        inst.approve(on, self.stamp(ctx), rulebook, receipt_number)
        changed = self._update_rosters(ctx, inst, rosters)
        return self._save_institution(ctx, inst, *changed)

    def reject_filing(self, ctx: Context, iid: UUID, on: date, reason: str) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        inst.reject(on, self.stamp(ctx), reason)
        return self._save_institution(ctx, inst)

    def change_details(self, ctx: Context, iid: UUID, on: date, changes: dict[str, Any]) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "apply")
        inst.change_details(on, self.stamp(ctx), changes)
        return self._save_institution(ctx, inst)

    def request_scope_change(
        self,
        ctx: Context,
        iid: UUID,
        on: date,
        scope: list[ScopeLine],
        test_sites: list[str],
        reason: str,
    ) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "apply")
        change_id = f"SC-{inst.version + 1}"
        inst.request_scope_change(on, self.stamp(ctx), change_id, scope, test_sites, reason)
        return self._save_institution(ctx, inst)

    def approve_scope_change(self, ctx: Context, iid: UUID, on: date, change_id: str) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        pending = inst.pending_scope_change
        if pending is None or pending["change_id"] != change_id:
            raise Conflict(f"no pending scope change {change_id}", field="change_id")
        rulebook = self.rulebook_for(inst.jurisdiction, on)
        rosters = self._check_caps(inst, inst.scope, pending["scope"], rulebook)
        inst.approve_scope_change(on, self.stamp(ctx), change_id, rulebook)
        changed = self._update_rosters(ctx, inst, rosters)
        return self._save_institution(ctx, inst, *changed)

    def reject_scope_change(
        self, ctx: Context, iid: UUID, on: date, change_id: str, reason: str
    ) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        inst.reject_scope_change(on, self.stamp(ctx), change_id, reason)
        return self._save_institution(ctx, inst)

    def request_renewal(self, ctx: Context, iid: UUID, on: date) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "apply")
        inst.request_renewal(on, self.stamp(ctx), self.rulebook_for(inst.jurisdiction, on))
        return self._save_institution(ctx, inst)

    def approve_renewal(self, ctx: Context, iid: UUID, on: date) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        inst.approve_renewal(on, self.stamp(ctx), self.rulebook_for(inst.jurisdiction, on))
        return self._save_institution(ctx, inst)

    def reject_renewal(self, ctx: Context, iid: UUID, on: date, reason: str) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        inst.reject_renewal(on, self.stamp(ctx), reason)
        return self._save_institution(ctx, inst)

    def cancel_filing(self, ctx: Context, iid: UUID, on: date, reason: str) -> int:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "apply")
        inst.cancel(on, self.stamp(ctx), reason)
        changed = self._update_rosters(ctx, inst, self._rosters_for(inst, inst.scope))
        return self._save_institution(ctx, inst, *changed)

    def advance_filing(self, iid: UUID, today: date, request_id: str) -> list[str]:
        """Record the expiry and lapse due by ``today`` (the deadline worker's command)."""
        ctx = Context(principal=Principal("deadline-worker", "system"), request_id=request_id)
        inst: Institution = self._get(Institution, iid)
        if inst.valid_until is None:
            return []
        rulebook = self.rulebook_for(inst.jurisdiction, min(today, inst.valid_until))
        recorded = inst.advance_to(today, self.stamp(ctx), rulebook)
        if recorded:
            changed = self._update_rosters(ctx, inst, self._rosters_for(inst, inst.scope))
            self._save_institution(ctx, inst, *changed)
        return recorded

    # --- caps -----------------------------------------------------------------------------

    # --- tokens ---------------------------------------------------------------------------

    def issue_token(
        self,
        secret: str,
        *,
        subject: str,
        role: str,
        jurisdiction: str | None = None,
        district: str | None = None,
        institution: UUID | None = None,
        note: str = "",
        request_id: str = "cli",
        valid_for: timedelta | None = None,
    ) -> Token:
        if jurisdiction is not None and jurisdiction not in self.catalogue.jurisdictions():
            raise InvalidInput(f"unknown jurisdiction {jurisdiction!r}", field="jurisdiction")
        stamp = self.stamp(Context(SYSTEM, request_id))
        token = Token.issue(
            secret,
            subject=subject,
            role=role,
            jurisdiction=jurisdiction,
            district=district,
            institution_id=institution,
            note=note,
            stamp=stamp,
            valid_for=valid_for,
        )
        registry: Registry | None = self._find(Registry, registry_id(TOKEN_REGISTRY))
        if registry is None:
            registry = Registry.open(TOKEN_REGISTRY, stamp)
        registry.add(token.id, stamp)
        self.save(token, registry)
        return token

    def tokens(self) -> list[Token]:
        registry: Registry | None = self._find(Registry, registry_id(TOKEN_REGISTRY))
        if registry is None:
            return []
        return [self._get(Token, UUID(t)) for t in registry.entries]

    def revoke_token(self, tid: UUID, reason: str, request_id: str = "cli") -> Token:
        token: Token = self._get(Token, tid)
        token.revoke(reason, self.stamp(Context(SYSTEM, request_id)))
        self.save(token)
        return token

    def authenticate_or_none(self, secret: str) -> Principal | None:
        try:
            return self.authenticate(secret)
        except Forbidden:
            return None

    def has_institutions(self) -> bool:
        topic = get_topic(FilingSubmitted)
        return bool(self.recorder.select_notifications(start=1, limit=1, topics=[topic]))

    def authenticate(self, secret: str) -> Principal:
        token: Token | None = self._find(Token, token_id(hash_token(secret)))
        if token is None or not token.accepts(secret, self.clock()):
            raise Forbidden("unknown, revoked or expired token")
        return token.principal()


__all__ = [
    "Clock",
    "Context",
    "IdempotencyRecord",
    "OversightApplication",
    "StoredEvent",
    "audit_entry",
]
