"""The Application: one method per command (authorise → load → decide → save together).

Time comes from the injected ``clock`` (the instant an event is recorded); business dates
come with each command. Every save is one transaction holding the changed aggregates and,
when the request carried an ``Idempotency-Key``, the record of its result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.utils import get_topic

from domain.access import SYSTEM, Principal, Registry, Token, hash_token, registry_id, token_id
from domain.base import LedgerAggregate, Stamp
from domain.calendar import shanghai_date
from domain.chain import ChainBreak, verify_chain
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleRefusal, VersionConflict
from domain.events import FilingSubmitted, IdempotentRequestRecorded, LedgerCreated, ScopeLine
from domain.institution import FilingApplication, Institution, institution_id
from domain.roster import OccupationRoster, cap_breaches, roster_id
from domain.rulebook import Catalogue, Rulebook

Clock = Callable[[], datetime]
IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:idempotency")
TOKEN_REGISTRY = "tokens"


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class IdempotencyRecord(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.fingerprint: str = ""
        self.result: dict[str, Any] = {}

    def _on_IdempotentRequestRecorded(self, e: IdempotentRequestRecorded) -> None:
        self.fingerprint = e.fingerprint
        self.result = dict(e.result)


@dataclass(frozen=True)
class Context:
    """The caller of a command: who, under which request, with which preconditions."""

    principal: Principal
    request_id: str
    idempotency_key: str | None = None
    fingerprint: str = ""
    expected_version: int | None = None


@dataclass(frozen=True)
class StoredEvent:
    """One recorded event as the audit trail shows it."""

    originator_id: UUID
    version: int
    topic: str
    name: str
    recorded_at: datetime
    occurred_on: date
    actor: str
    role: str
    request_id: str
    data: dict[str, Any] = field(default_factory=dict)


BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "occurred_on",
        "actor",
        "role",
        "request_id",
        "prev_hash",
        "chain_hash",
    }
)


class OversightApplication(Application[UUID]):
    name = "oversight"
    is_snapshotting_enabled = True

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock,
        catalogue: Catalogue,
        snapshot_interval: int = 50,
    ) -> None:
        # The library reads this class-level mapping; set per instance from the settings.
        self.snapshotting_intervals = {Institution: snapshot_interval}  # type: ignore[misc]
        super().__init__(env)
        self.clock = clock
        self.catalogue = catalogue

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- infrastructure helpers -----------------------------------------------------------

    def stamp(self, ctx: Context) -> Stamp:
        return Stamp(
            actor=ctx.principal.subject,
            role=ctx.principal.role,
            request_id=ctx.request_id,
            recorded_at=self.clock(),
        )

    def _get(self, cls: type[Any], aggregate_id: UUID, version: int | None = None) -> Any:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} does not exist") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__.lower()} {aggregate_id} does not exist")
        return aggregate

    def _find(self, cls: type[Any], aggregate_id: UUID) -> Any:
        try:
            return self._get(cls, aggregate_id)
        except NotFound:
            return None

    def previous_result(self, ctx: Context) -> dict[str, Any] | None:
        """The stored result of a request already made with this Idempotency-Key."""
        if not ctx.idempotency_key:
            return None
        record = self._find(IdempotencyRecord, self._idempotency_id(ctx))
        if record is None:
            return None
        if record.fingerprint != ctx.fingerprint:
            raise InvalidInput(
                "this Idempotency-Key was used for a different request",
                field="Idempotency-Key",
            )
        return cast(dict[str, Any], record.result)

    def _idempotency_id(self, ctx: Context) -> UUID:
        return uuid5(IDEMPOTENCY_NAMESPACE, f"{ctx.principal.subject}:{ctx.idempotency_key}")

    def _commit(self, ctx: Context, result: dict[str, Any], *aggregates: Aggregate) -> None:
        """Save the aggregates (and the idempotency record) in one transaction."""
        to_save: list[Aggregate] = list(aggregates)
        if ctx.idempotency_key:
            to_save.append(
                IdempotencyRecord._start(
                    IdempotentRequestRecorded,
                    id=self._idempotency_id(ctx),
                    stamp=self.stamp(ctx),
                    occurred_on=self.stamp(ctx).today,
                    fingerprint=ctx.fingerprint,
                    result=result,
                )
            )
        try:
            self.save(*to_save)
        except IntegrityError:
            if ctx.idempotency_key and self.previous_result(ctx) is not None:
                return  # a concurrent twin of this request won; its result stands
            raise VersionConflict(
                "the record changed while this command ran; reload and retry"
            ) from None

    @staticmethod
    def _check_version(ctx: Context, aggregate: Aggregate) -> None:
        if ctx.expected_version is not None and ctx.expected_version != aggregate.version:
            raise VersionConflict(
                f"If-Match names version {ctx.expected_version};"
                f" the record is at version {aggregate.version}",
                existing=str(aggregate.id),
                field="If-Match",
            )

    # --- rulebooks ------------------------------------------------------------------------

    def rulebook_for(
        self, jurisdiction: str, on: date, field_name: str = "occurred_on"
    ) -> Rulebook:
        rulebook = self.catalogue.in_force(jurisdiction, on)
        if rulebook is None:
            known = ", ".join(self.catalogue.jurisdictions())
            if jurisdiction not in self.catalogue.jurisdictions():
                raise InvalidInput(
                    f"unknown jurisdiction {jurisdiction!r} (known: {known})", field="jurisdiction"
                )
            raise RuleRefusal(
                f"no rulebook of {jurisdiction} is in force on {on}", field=field_name
            )
        return rulebook

    def today(self) -> date:
        """The business date (Asia/Shanghai) of the application's clock."""
        return shanghai_date(self.clock())

    def _not_future(self, on: date, field_name: str = "occurred_on") -> None:
        if on > self.today():
            raise InvalidInput(f"{on} is in the future", field=field_name)

    # --- institutions: queries ------------------------------------------------------------

    def institution(
        self, principal: Principal, iid: UUID, version: int | None = None
    ) -> Institution:
        inst: Institution = self._get(Institution, iid, version)
        principal.require("read", inst.jurisdiction, inst.district, inst.id)
        return inst

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

    def _load_for(self, ctx: Context, iid: UUID, action: str) -> Institution:
        inst: Institution = self._get(Institution, iid)
        ctx.principal.require(action, inst.jurisdiction, inst.district, inst.id)  # type: ignore[arg-type]
        self._check_version(ctx, inst)
        return inst

    def _save_institution(self, ctx: Context, inst: Institution, *others: Aggregate) -> int:
        self._commit(ctx, {"institution_id": str(inst.id), "version": inst.version}, inst, *others)
        return inst.version

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

    def _rosters_for(
        self, inst: Institution, *scopes: list[ScopeLine]
    ) -> dict[str, OccupationRoster | None]:
        occupations = sorted({line["occupation"] for scope in scopes for line in scope})
        return {
            occ: self._find(OccupationRoster, roster_id(inst.jurisdiction, occ))
            for occ in occupations
        }

    def _check_caps(
        self,
        inst: Institution,
        current: list[ScopeLine],
        proposed: list[ScopeLine],
        rulebook: Rulebook,
    ) -> dict[str, OccupationRoster | None]:
        rosters = self._rosters_for(inst, current, proposed)
        breaches = cap_breaches(
            rulebook,
            institution_id=inst.id,
            kind=inst.kind,
            current=current,
            proposed=proposed,
            rosters=rosters,
            has_evaluated=inst.evaluations_reported > 0,
        )
        if breaches:
            raise RuleRefusal(
                "; ".join(f"{b.article}: {b.detail_en} ({b.detail_zh})" for b in breaches),
                field="scope",
                articles=sorted({b.article for b in breaches}),
            )
        return rosters

    def _update_rosters(
        self, ctx: Context, inst: Institution, rosters: dict[str, OccupationRoster | None]
    ) -> list[OccupationRoster]:
        """Bring the rosters in line with what the institution now holds."""
        stamp = self.stamp(ctx)
        held = (
            {line["occupation"]: list(line["levels"]) for line in inst.scope}
            if inst.holds_scope()
            else {}
        )
        changed: list[OccupationRoster] = []
        for occupation, roster in rosters.items():
            levels = held.get(occupation, [])
            if roster is None:
                if not levels:
                    continue
                roster = OccupationRoster.open(inst.jurisdiction, occupation, stamp)
            roster.set_holding(inst.id, inst.kind, levels, stamp)
            if roster.pending_events:
                changed.append(roster)
        return changed

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
        if token is None or token.revoked:
            raise Forbidden("unknown or revoked token")
        return token.principal()


def audit_entry(event: DomainEventProtocol[Any]) -> StoredEvent:
    data = {k: v for k, v in event.__dict__.items() if k not in BASE_FIELDS}
    e = cast(Any, event)
    return StoredEvent(
        originator_id=e.originator_id,
        version=e.originator_version,
        topic=get_topic(type(event)),
        name=type(event).__name__,
        recorded_at=e.timestamp,
        occurred_on=e.occurred_on,
        actor=e.actor,
        role=e.role,
        request_id=e.request_id,
        data=data,
    )


__all__ = [
    "Context",
    "LedgerCreated",
    "OversightApplication",
    "StoredEvent",
    "audit_entry",
]
