"""The occupation rosters a filing decision changes, checked against the caps and saved with it."""

from __future__ import annotations

from domain.errors import RuleRefusal
from domain.events import ScopeLine
from domain.institution import Institution
from domain.ledger import Context, Ledger
from domain.roster import OccupationRoster, cap_breaches, roster_id
from domain.rulebook import Rulebook

Rosters = dict[str, OccupationRoster | None]


class RosterKeeper:
    """Reads the rosters of an institution's occupations and brings them in line with it."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def rosters_for(self, inst: Institution, *scopes: list[ScopeLine]) -> Rosters:
        occupations = sorted({line["occupation"] for scope in scopes for line in scope})
        return {
            occ: self.ledger.find(OccupationRoster, roster_id(inst.jurisdiction, occ))
            for occ in occupations
        }

    def check_caps(
        self,
        inst: Institution,
        current: list[ScopeLine],
        proposed: list[ScopeLine],
        rulebook: Rulebook,
    ) -> Rosters:
        """The rosters a change from ``current`` to ``proposed`` touches; refused with the
        articles when it would break a cap."""
        rosters = self.rosters_for(inst, current, proposed)
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

    def in_line(
        self, ctx: Context, inst: Institution, rosters: Rosters | None = None
    ) -> list[OccupationRoster]:
        """The rosters (by default those of the institution's scope) changed to match what
        the institution now holds; the caller saves them with the institution."""
        stamp = self.ledger.stamp(ctx)
        held = (
            {line["occupation"]: list(line["levels"]) for line in inst.scope}
            if inst.holds_scope()
            else {}
        )
        changed: list[OccupationRoster] = []
        targets = self.rosters_for(inst, inst.scope) if rosters is None else rosters
        for occupation, roster in targets.items():
            levels = held.get(occupation, [])
            if roster is None:
                if not levels:
                    continue
                roster = OccupationRoster.open(inst.jurisdiction, occupation, stamp)
            roster.set_holding(inst.id, inst.kind, levels, stamp)
            if roster.pending_events:
                changed.append(roster)
        return changed
