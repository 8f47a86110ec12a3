"""Random spot-check campaigns (双随机、一公开): open, draw, publish, verify.

The draw reads its pools from the register as it stands (institutions in scope, supervisors
free to go, the pairs barred by a conflict or by rotation), draws reproducibly from the
seed (``domain/campaign.py``), and records the draw with one assignment per target in one
transaction: a concurrent assignment to a target makes it retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.access import Registry, registry_id
from domain.assignment import Assignment, SupervisionLog, rotation_bar, supervision_log_id
from domain.base import Stamp
from domain.campaign import Campaign, DrawCheck, DrawPools, campaign_id, draw, verify_publication
from domain.commands.supervision import supervisor_registry
from domain.errors import Conflict, VersionConflict
from domain.events import FilingSubmitted, SupervisionLogOpened
from domain.institution import Institution
from domain.ledger import Context, Ledger
from domain.supervisor import SupervisionPolicy, Supervisor


@dataclass
class Pools:
    """What a draw draws from, with the aggregates its assignments are made from."""

    institutions: dict[str, Institution]
    institution_exclusions: list[dict[str, str]]
    supervisors: dict[str, Supervisor]
    supervisor_exclusions: list[dict[str, Any]]
    barred_pairs: list[dict[str, Any]]
    logs: dict[str, SupervisionLog]

    def recorded(self) -> DrawPools:
        return DrawPools(
            institutions=sorted(self.institutions),
            institution_exclusions=self.institution_exclusions,
            supervisors=sorted(self.supervisors),
            supervisor_exclusions=self.supervisor_exclusions,
            barred_pairs=self.barred_pairs,
        )


class CampaignCommands:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def open_campaign(
        self,
        ctx: Context,
        *,
        reference: str,
        title: str,
        jurisdiction: str,
        district: str | None,
        kind: str,
        matters: list[str],
        institution_kinds: list[str],
        occupations: list[str],
        supervisor_district: str | None,
        target_count: int,
        group_size: int,
        max_targets_per_supervisor: int,
        planned_on: date,
        on: date,
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        ctx.principal.require("decide", jurisdiction, district or "", None)
        policy = self.ledger.supervision_policy(jurisdiction, planned_on, "planned_on")
        existing = self.ledger.find(Campaign, campaign_id(jurisdiction, reference))
        if existing is not None:
            raise _already_open(reference, jurisdiction, existing.id)
        campaign = Campaign.open(
            reference=reference,
            title=title,
            jurisdiction=jurisdiction,
            district=district,
            kind=kind,
            matters=matters,
            institution_kinds=institution_kinds,
            occupations=occupations,
            supervisor_district=supervisor_district,
            target_count=target_count,
            group_size=group_size,
            max_targets_per_supervisor=max_targets_per_supervisor,
            planned_on=planned_on,
            on=on,
            stamp=self.ledger.stamp(ctx),
            policy=policy,
        )
        try:
            return self._save(ctx, campaign)
        except VersionConflict:
            raise _already_open(reference, jurisdiction, campaign.id) from None

    def _load_campaign(self, ctx: Context, cid: UUID) -> Campaign:
        campaign = self.ledger.get_for(ctx.principal, Campaign, cid)
        ctx.principal.require("decide", campaign.jurisdiction, campaign.district or "", None)
        self.ledger.check_version(ctx, campaign)
        return campaign

    def _save(self, ctx: Context, campaign: Campaign, *others: Any) -> dict[str, Any]:
        result = {"campaign_id": str(campaign.id), "version": campaign.version}
        self.ledger.commit(ctx, result, campaign, *others)
        return result

    def draw_campaign(
        self, ctx: Context, cid: UUID, *, seed: str, seed_source: str, on: date
    ) -> dict[str, Any]:
        """Draw targets and groups, record the draw and make one assignment per target,
        all in one transaction (a concurrent assignment to a target makes it retry)."""
        self.ledger.not_future(on)
        campaign = self._load_campaign(ctx, cid)
        campaign.require_drawable(on)
        policy = self.ledger.supervision_policy(
            campaign.jurisdiction, campaign.planned_on, "planned_on"
        )
        pools = self._pools(campaign, policy)
        recorded = pools.recorded()
        outcome = draw(campaign.spec(seed, recorded))
        stamp = self.ledger.stamp(ctx)
        changed: list[Any] = []
        targets: list[dict[str, Any]] = []
        for target in outcome.targets:
            inst = pools.institutions[target.institution]
            log = pools.logs.get(target.institution) or SupervisionLog.open(
                inst.id, inst.jurisdiction, stamp
            )
            assignment = self._assign(campaign, inst, log, target.supervisors, on, stamp, policy)
            changed.extend([assignment, log])
            targets.append(_target_entry(inst, assignment, target.supervisors, pools))
        campaign.record_draw(
            seed=seed, seed_source=seed_source, pools=recorded, targets=targets, on=on, stamp=stamp
        )
        return self._save(ctx, campaign, *changed)

    @staticmethod
    def _assign(
        campaign: Campaign,
        inst: Institution,
        log: SupervisionLog,
        supervisors: tuple[str, ...],
        on: date,
        stamp: Stamp,
        policy: SupervisionPolicy,
    ) -> Assignment:
        """The assignment of a drawn group to a drawn institution, logged for rotation."""
        assignment = Assignment.make(
            number=log.next_number,
            institution=inst.id,
            institution_name=inst.name,
            jurisdiction=inst.jurisdiction,
            district=inst.district,
            kind=campaign.kind,
            supervisors=list(supervisors),
            starts_on=campaign.planned_on,
            sessions=[],
            matters=campaign.matters,
            campaign=campaign.id,
            on=on,
            stamp=stamp,
            policy=policy,
        )
        log.add(assignment.id, campaign.planned_on, assignment.supervisors, stamp)
        return assignment

    def publish_campaign(self, ctx: Context, cid: UUID, *, on: date) -> dict[str, Any]:
        self.ledger.not_future(on)
        campaign = self._load_campaign(ctx, cid)
        campaign.publish(on, self.ledger.stamp(ctx))
        return self._save(ctx, campaign)

    def verify_campaign(self, cid: UUID) -> DrawCheck:
        """Re-run the recorded draw from the recorded event alone."""
        return verify_publication(self.ledger.get(Campaign, cid).publication())

    # --- the pools ------------------------------------------------------------------------

    def _pools(self, campaign: Campaign, policy: SupervisionPolicy) -> Pools:
        """The pools of a campaign as the register stands now (see ``domain/campaign.py``)."""
        on = campaign.planned_on
        institutions, institution_exclusions = self._institution_pool(campaign)
        supervisors, supervisor_exclusions = self._supervisor_pool(campaign, policy)
        logs = self._logs(institutions)
        barred = _conflict_bars(supervisors, institutions, on, policy)
        barred += _rotation_bars(supervisors, logs, on, policy)
        return Pools(
            institutions,
            institution_exclusions,
            supervisors,
            supervisor_exclusions,
            barred,
            logs,
        )

    def _institution_pool(
        self, campaign: Campaign
    ) -> tuple[dict[str, Institution], list[dict[str, str]]]:
        """The active institutions in the campaign's scope; the others in scope, and why not."""
        pool: dict[str, Institution] = {}
        excluded: list[dict[str, str]] = []
        for uid in self.ledger.originators(FilingSubmitted):  # every institution filed
            inst = self.ledger.get(Institution, uid)
            if not _in_scope(inst, campaign):
                continue
            if inst.status != "active":
                excluded.append({"institution": str(inst.id), "reason": f"filing {inst.status}"})
                continue
            pool[str(inst.id)] = inst
        return pool, excluded

    def _supervisor_pool(
        self, campaign: Campaign, policy: SupervisionPolicy
    ) -> tuple[dict[str, Supervisor], list[dict[str, Any]]]:
        """The external supervisors free to go on the planned date; the barred, and why."""
        name = supervisor_registry(campaign.jurisdiction)
        registry = self.ledger.find(Registry, registry_id(name))
        pool: dict[str, Supervisor] = {}
        excluded: list[dict[str, Any]] = []
        for entry in registry.entries if registry else []:
            sup = self.ledger.get(Supervisor, UUID(entry))
            if sup.kind != "external":
                continue
            if campaign.supervisor_district and sup.district != campaign.supervisor_district:
                continue
            bars = sup.bars(campaign.planned_on, policy)
            if bars:
                excluded.append(
                    {
                        "supervisor": entry,
                        "codes": [b.code for b in bars],
                        "reasons": [b.detail for b in bars],
                        "articles": sorted({a for b in bars for a in b.articles}),
                    }
                )
                continue
            pool[entry] = sup
        return pool, excluded

    def _logs(self, institutions: dict[str, Institution]) -> dict[str, SupervisionLog]:
        """The supervision logs the pooled institutions have (one scan, not one each)."""
        kept = set(self.ledger.originators(SupervisionLogOpened))
        logs: dict[str, SupervisionLog] = {}
        for key in institutions:
            log_id = supervision_log_id(UUID(key))
            if log_id in kept:
                logs[key] = self.ledger.get(SupervisionLog, log_id)
        return logs


def _already_open(reference: str, jurisdiction: str, existing: UUID) -> Conflict:
    return Conflict(
        f"campaign {reference} already exists in {jurisdiction}",
        existing=str(existing),
        field="reference",
    )


def _in_scope(inst: Institution, campaign: Campaign) -> bool:
    if inst.jurisdiction != campaign.jurisdiction:
        return False
    if campaign.district is not None and inst.district != campaign.district:
        return False
    if campaign.institution_kinds and inst.kind not in campaign.institution_kinds:
        return False
    held = {line["occupation"] for line in inst.scope}
    return not campaign.occupations or bool(held & set(campaign.occupations))


def _conflict_bars(
    supervisors: dict[str, Supervisor],
    institutions: dict[str, Institution],
    on: date,
    policy: SupervisionPolicy,
) -> list[dict[str, Any]]:
    """The (supervisor, institution) pairs a declared conflict of interest bars."""
    barred: list[dict[str, Any]] = []
    for sid, sup in supervisors.items():
        for key in sorted(set(sup.conflicts) & set(institutions)):
            for bar in sup.bars_for(UUID(key), on, policy):
                if bar.code == "conflict":
                    barred.append({"supervisor": sid, "institution": key, **bar.as_dict()})
    return barred


def _rotation_bars(
    supervisors: dict[str, Supervisor],
    logs: dict[str, SupervisionLog],
    on: date,
    policy: SupervisionPolicy,
) -> list[dict[str, Any]]:
    """The pairs the rotation rule bars: too many consecutive times at one institution."""
    barred: list[dict[str, Any]] = []
    for key, log in logs.items():
        history = log.history()
        seen = {s for _, members in history for s in members}
        for sid in sorted(seen & set(supervisors)):
            rotation = rotation_bar(history, supervisors[sid], on, policy)
            if rotation is not None:
                barred.append({"supervisor": sid, "institution": key, **rotation.as_dict()})
    return barred


def _target_entry(
    inst: Institution, assignment: Assignment, supervisors: tuple[str, ...], pools: Pools
) -> dict[str, Any]:
    """A drawn target as the draw records it."""
    return {
        "institution": str(inst.id),
        "name": inst.name,
        "credit_code": inst.credit_code,
        "assignment_id": str(assignment.id),
        "supervisors": [
            {
                "id": s,
                "name": pools.supervisors[s].name,
                "card_number": pools.supervisors[s].card_number,
            }
            for s in supervisors
        ],
    }
