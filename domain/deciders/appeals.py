"""Deciders of appeals (reconsideration 复议, review 诉讼) against a served decision.

An annulment or a variation compensates the old decision's effects when folded (its
suspension and rectification stop applying, a revocation's ban is lifted); a variation
then applies the new level's effects as a served decision would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.deciders.cases import decision_of
from domain.deciders.common import NewEvent, new, require_reason
from domain.deciders.effects import effects
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import AppealDecided, AppealFiled
from domain.state import InstitutionState

APPEAL_KINDS = ("reconsideration", "review")
APPEAL_OUTCOMES = ("upheld", "varied", "annulled")


@dataclass(frozen=True)
class FileAppeal:
    on: date
    appeal_id: str
    decision_id: str
    kind: str
    grounds: str


def file_appeal(state: InstitutionState, command: FileAppeal) -> list[NewEvent]:
    c = command
    decision = decision_of(state, c.decision_id)
    if decision.served_on is None:
        raise Conflict(f"decision {c.decision_id} has not been served")
    if c.kind not in APPEAL_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(APPEAL_KINDS)}", field="kind")
    if any(a.decision_id == c.decision_id and a.outcome is None for a in state.appeals.values()):
        raise Conflict(f"an appeal against {c.decision_id} is pending")
    require_reason(c.grounds)
    return [
        new(
            AppealFiled,
            c.on,
            appeal_id=c.appeal_id,
            decision_id=c.decision_id,
            kind=c.kind,
            grounds=c.grounds,
        )
    ]


@dataclass(frozen=True)
class DecideAppeal:
    on: date
    appeal_id: str
    outcome: str
    new_level: int | None
    new_actions: list[str]
    reasons: str


def decide_appeal(state: InstitutionState, command: DecideAppeal) -> list[NewEvent]:
    c = command
    appeal = state.appeals.get(c.appeal_id)
    if appeal is None:
        raise NotFound(f"appeal {c.appeal_id} does not exist", field="appeal_id")
    if appeal.outcome is not None:
        raise Conflict(f"appeal {c.appeal_id} was already decided")
    if c.outcome not in APPEAL_OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(APPEAL_OUTCOMES)}", field="outcome")
    if c.outcome == "varied" and c.new_level is None:
        raise InvalidInput("a varied decision names its new level", field="new_level")
    require_reason(c.reasons)
    varied = c.outcome == "varied"
    decided = new(
        AppealDecided,
        c.on,
        appeal_id=c.appeal_id,
        decision_id=appeal.decision_id,
        outcome=c.outcome,
        new_level=c.new_level if varied else None,
        new_actions=c.new_actions if varied else [],
        reasons=c.reasons,
    )
    if not varied or c.new_level is None:
        return [decided]
    return [
        decided,
        *effects(
            c.on,
            appeal.decision_id,
            state.decisions[appeal.decision_id],
            level=c.new_level,
            actions=c.new_actions,
            public_announcement=False,
            abnormal_activity_list=False,
            void_batch_ids=[],
        ),
    ]
