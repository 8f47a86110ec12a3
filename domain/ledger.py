"""The application's infrastructure: stamping, loading, saving atomically, idempotency.

``LedgerApplication`` is the base every group of commands builds on; the commands live in
``application.py`` (filings, tokens), ``casework_app.py`` (findings to appeals) and
``supervision.py``. Time comes from the injected ``clock``; business dates come with each
command. Every save is one transaction holding the changed aggregates and, when the request
carried an ``Idempotency-Key``, the record of its result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.utils import get_topic

from domain.access import Action, Principal
from domain.base import LedgerAggregate, Stamp
from domain.calendar import shanghai_date
from domain.errors import InvalidInput, NotFound, RuleRefusal, VersionConflict
from domain.events import IdempotentRequestRecorded, ScopeLine
from domain.institution import Institution
from domain.roster import OccupationRoster, cap_breaches, roster_id
from domain.rulebook import Catalogue, Rulebook

Clock = Callable[[], datetime]
IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:idempotency")


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


class LedgerApplication(Application[UUID]):
    name = "oversight"
    is_snapshotting_enabled = True

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock,
        catalogue: Catalogue,
        snapshot_interval: int = 50,
        default_defence_days: int = 10,
    ) -> None:
        # The library reads this class-level mapping; set per instance from the settings.
        self.snapshotting_intervals = {Institution: snapshot_interval}  # type: ignore[misc]
        super().__init__(env)
        self.clock = clock
        self.catalogue = catalogue
        self.default_defence_days = default_defence_days

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

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
        """Save the aggregates (and the idempotency record) in one transaction.

        If a concurrent twin (same Idempotency-Key) was recorded first, nothing is saved
        and ``result`` becomes the twin's stored result, which the command then returns.
        """
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
            stored = self.previous_result(ctx)
            if stored is not None:  # a concurrent twin of this request won; its result stands
                result.clear()
                result.update(stored)
                return
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

    def institution(
        self, principal: Principal, iid: UUID, version: int | None = None
    ) -> Institution:
        inst: Institution = self._get(Institution, iid, version)
        principal.require("read", inst.jurisdiction, inst.district, inst.id)
        return inst

    def _load_for(self, ctx: Context, iid: UUID, action: Action) -> Institution:
        inst: Institution = self._get(Institution, iid)
        ctx.principal.require(action, inst.jurisdiction, inst.district, inst.id)
        self._check_version(ctx, inst)
        return inst

    def _save_result(
        self, ctx: Context, inst: Institution, *others: Aggregate, **created: Any
    ) -> dict[str, Any]:
        """Save and return the command's result (what an idempotent replay returns)."""
        result = {"institution_id": str(inst.id), "version": inst.version, **created}
        self._commit(ctx, result, inst, *others)
        return result

    def _save_institution(self, ctx: Context, inst: Institution, *others: Aggregate) -> int:
        self._commit(ctx, {"institution_id": str(inst.id), "version": inst.version}, inst, *others)
        return inst.version

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
