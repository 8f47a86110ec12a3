"""Who holds an occupation in a jurisdiction: the index behind the filing caps.

One ``OccupationRoster`` per (jurisdiction, occupation), saved in the same transaction
as the filing decision that changes it, so two concurrent approvals can never both
take the last place under a cap (chengdu-2024/8, huangshi-2022/12).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import LedgerAggregate, Stamp
from domain.events import RosterHoldingSet, RosterOpened, ScopeLine
from domain.rulebook import CapRule, Rulebook

ROSTER_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:occupation-roster")


def roster_id(jurisdiction: str, occupation: str) -> UUID:
    return uuid5(ROSTER_NAMESPACE, f"{jurisdiction}:{occupation}")


class OccupationRoster(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.jurisdiction: str = ""
        self.occupation: str = ""
        self.holders: dict[str, dict[str, object]] = {}

    @classmethod
    def open(cls, jurisdiction: str, occupation: str, stamp: Stamp) -> OccupationRoster:
        return cls._start(
            RosterOpened,
            id=roster_id(jurisdiction, occupation),
            stamp=stamp,
            occurred_on=stamp.today,
            jurisdiction=jurisdiction,
            occupation=occupation,
        )

    def _on_RosterOpened(self, e: RosterOpened) -> None:
        self.jurisdiction = e.jurisdiction
        self.occupation = e.occupation
        self.holders = {}

    def set_holding(self, institution_id: UUID, kind: str, levels: list[int], stamp: Stamp) -> None:
        current = self.holders.get(str(institution_id))
        if current is None and not levels:
            return
        if current is not None and current["kind"] == kind and current["levels"] == levels:
            return
        self._record(
            RosterHoldingSet,
            stamp=stamp,
            occurred_on=stamp.today,
            institution_id=str(institution_id),
            kind=kind,
            levels=sorted(levels),
        )

    def _on_RosterHoldingSet(self, e: RosterHoldingSet) -> None:
        if e.levels:
            self.holders[e.institution_id] = {"kind": e.kind, "levels": list(e.levels)}
        else:
            self.holders.pop(e.institution_id, None)

    def other_holders(self, institution_id: UUID, kind: str) -> dict[str, list[int]]:
        return {
            iid: [int(x) for x in h["levels"]]  # type: ignore[attr-defined]
            for iid, h in self.holders.items()
            if iid != str(institution_id) and h["kind"] == kind
        }


@dataclass(frozen=True)
class CapBreach:
    article: str
    detail_zh: str
    detail_en: str


def cap_breaches(
    rulebook: Rulebook,
    *,
    institution_id: UUID,
    kind: str,
    current: list[ScopeLine],
    proposed: list[ScopeLine],
    rosters: Mapping[str, OccupationRoster | None],
    has_evaluated: bool,
) -> list[CapBreach]:
    """Every cap of the rulebook that ``proposed`` would break (empty: allowed)."""
    breaches: list[CapBreach] = []
    held = {line["occupation"]: set(line["levels"]) for line in current}
    wanted = {line["occupation"]: set(line["levels"]) for line in proposed}
    for cap in rulebook.filing.caps:
        if cap.kind == "no_scope_growth_before_first_evaluation":
            if current and not has_evaluated and _grows(held, wanted):
                breaches.append(
                    CapBreach(
                        cap.article,
                        "尚未开展评价活动，不得增加职业(工种)或等级",
                        "no evaluation run yet: occupations or levels may not be added",
                    )
                )
        elif kind == "social_org":
            breaches.extend(_social_org_breaches(cap, institution_id, held, wanted, rosters))
    return breaches


def _grows(held: Mapping[str, set[int]], wanted: Mapping[str, set[int]]) -> bool:
    return any(not levels <= held.get(occ, set()) for occ, levels in wanted.items())


def _social_org_breaches(
    cap: CapRule,
    institution_id: UUID,
    held: Mapping[str, set[int]],
    wanted: Mapping[str, set[int]],
    rosters: Mapping[str, OccupationRoster | None],
) -> list[CapBreach]:
    """A social org's caps: occupations it files, holders per occupation and per level."""
    breaches: list[CapBreach] = []
    if cap.kind == "occupations_per_social_org" and len(wanted) > cap.limit:
        breaches.append(
            CapBreach(
                cap.article,
                f"社会培训评价组织备案职业不超过{cap.limit}个，申请{len(wanted)}个",
                f"a social org files at most {cap.limit} occupations; {len(wanted)} asked",
            )
        )
    for occupation, levels in sorted(wanted.items()):
        roster = rosters.get(occupation)
        others = roster.other_holders(institution_id, "social_org") if roster else {}
        if (
            cap.kind == "social_orgs_per_occupation"
            and occupation not in held
            and len(others) >= cap.limit
        ):
            breaches.append(
                CapBreach(
                    cap.article,
                    f"职业{occupation}已有{len(others)}家社评组织，不超过{cap.limit}家",
                    f"occupation {occupation} already has {len(others)} social orgs;"
                    f" the cap is {cap.limit}",
                )
            )
        if cap.kind == "social_orgs_per_occupation_level":
            new_levels = sorted(levels - held.get(occupation, set()))
            breaches.extend(_level_breaches(cap, occupation, new_levels, others))
    return breaches


def _level_breaches(
    cap: CapRule, occupation: str, new_levels: list[int], others: Mapping[str, list[int]]
) -> list[CapBreach]:
    breaches: list[CapBreach] = []
    for level in new_levels:
        count = sum(1 for lv in others.values() if level in lv)
        if count >= cap.limit:
            breaches.append(
                CapBreach(
                    cap.article,
                    f"职业{occupation}第{level}级已有{count}家社评组织备案，不再新增",
                    f"occupation {occupation} level {level} already has {count}"
                    f" social orgs; no new one (cap {cap.limit})",
                )
            )
    return breaches
