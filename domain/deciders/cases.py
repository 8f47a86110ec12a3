"""Deciders of a case's due process: opening, the notice of the intended decision, the
defence, and the decision.

A decision is refused without a notice, before the defence period ends (unless a defence
was submitted or waived), below what the rules require without a written reason, and for a
revocation by a body below the one the rules name. The requirement itself (level, article,
grounds) is the engine's, computed before the command and recorded with the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.deciders.common import NewEvent, new
from domain.deciders.evidence import finding_of
from domain.errors import Conflict, InvalidInput, NotFound, RuleRefusal
from domain.events import CaseDecided, CaseOpened, DefenceSubmitted, DefenceWaived, NoticeIssued
from domain.state import CaseState, DecisionState, InstitutionState

BODIES = ("district", "city", "province")
BODY_RANK = {"district": 0, "city": 1, "province": 2}


def case_of(state: InstitutionState, case_id: str) -> CaseState:
    try:
        return state.cases[case_id]
    except KeyError:
        raise NotFound(f"case {case_id} does not exist", field="case_id") from None


def decision_of(state: InstitutionState, decision_id: str) -> DecisionState:
    try:
        return state.decisions[decision_id]
    except KeyError:
        raise NotFound(f"decision {decision_id} does not exist", field="decision_id") from None


@dataclass(frozen=True)
class OpenCase:
    on: date
    case_id: str
    finding_ids: list[str]


def open_case(state: InstitutionState, command: OpenCase) -> list[NewEvent]:
    if not command.finding_ids:
        raise InvalidInput("a case needs at least one finding", field="finding_ids")
    for fid in command.finding_ids:
        finding = finding_of(state, fid)
        if finding.dismissed:
            raise Conflict(f"finding {fid} was dismissed", field="finding_ids")
        if finding.case_id is not None:
            raise Conflict(
                f"finding {fid} is already in case {finding.case_id}",
                existing=finding.case_id,
                field="finding_ids",
            )
    return [new(CaseOpened, command.on, case_id=command.case_id, finding_ids=command.finding_ids)]


@dataclass(frozen=True)
class IssueNotice:
    on: date
    case_id: str
    intended_level: int
    intended_actions: list[str]
    facts: str
    reasons: str
    legal_basis: list[str]
    defence_deadline: date
    requirement: dict[str, Any]


def issue_notice(state: InstitutionState, command: IssueNotice) -> list[NewEvent]:
    c = command
    case = case_of(state, c.case_id)
    if case.step != "opened":
        raise Conflict(f"case {c.case_id} already has a notice (step: {case.step})")
    if c.defence_deadline <= c.on:
        raise InvalidInput("the defence deadline must follow the notice", field="defence_days")
    for name, value in (("facts", c.facts), ("reasons", c.reasons)):
        if not value.strip():
            raise InvalidInput(f"a notice states its {name}", field=name)
    if not c.legal_basis:
        raise InvalidInput("a notice states its legal basis", field="legal_basis")
    return [
        new(
            NoticeIssued,
            c.on,
            case_id=c.case_id,
            intended_level=c.intended_level,
            intended_actions=c.intended_actions,
            facts=c.facts,
            reasons=c.reasons,
            legal_basis=c.legal_basis,
            defence_deadline=c.defence_deadline,
            requirement=c.requirement,
        )
    ]


@dataclass(frozen=True)
class SubmitDefence:
    on: date
    case_id: str
    statement: str
    evidence: list[dict[str, str]]


def submit_defence(state: InstitutionState, command: SubmitDefence) -> list[NewEvent]:
    case = case_of(state, command.case_id)
    if case.step != "noticed":
        raise Conflict(f"case {command.case_id} is not awaiting a defence (step: {case.step})")
    if case.waived:
        raise Conflict("the institution waived its defence")
    assert case.defence_deadline is not None
    if command.on > case.defence_deadline:
        raise RuleRefusal(
            f"the defence period ended on {case.defence_deadline}", field="occurred_on"
        )
    if not command.statement.strip():
        raise InvalidInput("a defence states something", field="statement")
    return [
        new(
            DefenceSubmitted,
            command.on,
            case_id=command.case_id,
            statement=command.statement,
            evidence=command.evidence,
        )
    ]


@dataclass(frozen=True)
class WaiveDefence:
    on: date
    case_id: str


def waive_defence(state: InstitutionState, command: WaiveDefence) -> list[NewEvent]:
    case = case_of(state, command.case_id)
    if case.step != "noticed" or case.waived:
        raise Conflict(f"case {command.case_id} cannot waive its defence now (step: {case.step})")
    return [new(DefenceWaived, command.on, case_id=command.case_id)]


# --- the decision -----------------------------------------------------------------------


@dataclass(frozen=True)
class DecideCase:
    on: date
    case_id: str
    decision_id: str
    level: int
    actions: list[str]
    articles: list[str]
    reasons: str
    deciding_body: str
    requirement: dict[str, Any]
    below_reason: str
    rectification_days: int | None
    ban_years: int | None
    ban_indefinite: bool
    revocation_authority: str
    revocation_article: str | None
    due_process_articles: list[str]
    known_version: int  # the institution's version the requirement was computed from


def decide_case(state: InstitutionState, command: DecideCase) -> list[NewEvent]:
    c = command
    _require_hearing(case_of(state, c.case_id), c)
    if not c.reasons.strip():
        raise InvalidInput("a decision states its reasons", field="reasons")
    if c.deciding_body not in BODIES:
        raise InvalidInput(
            f"deciding_body must be one of {', '.join(BODIES)}", field="deciding_body"
        )
    below = _below_requirement(c)
    _require_authority(c)
    if c.level == 2 and (c.rectification_days is None or c.rectification_days < 1):
        raise InvalidInput(
            "a rectification order sets its period in days", field="rectification_days"
        )
    return [
        new(
            CaseDecided,
            c.on,
            case_id=c.case_id,
            decision_id=c.decision_id,
            level=c.level,
            actions=c.actions,
            articles=c.articles,
            reasons=c.reasons,
            deciding_body=c.deciding_body,
            requirement=c.requirement,
            below_requirement=below,
            below_reason=c.below_reason,
            known_version=c.known_version,
            rectification_days=c.rectification_days,
            ban_years=c.ban_years,
            ban_indefinite=c.ban_indefinite,
        )
    ]


def _require_hearing(case: CaseState, c: DecideCase) -> None:
    """A notice was issued and the institution was heard, or its time to be heard ran out."""
    if case.step == "opened":
        raise RuleRefusal(
            "no decision without a notice of the intended decision (facts, reasons, basis)",
            field="case_id",
            articles=c.due_process_articles,
        )
    if case.step != "noticed":
        raise Conflict(f"case {c.case_id} is already decided")
    heard = case.defences > 0 or case.waived
    assert case.defence_deadline is not None
    if not heard and c.on <= case.defence_deadline:
        raise RuleRefusal(
            f"the defence period runs until {case.defence_deadline};"
            " decide after it, or once a defence is submitted or waived",
            field="occurred_on",
            articles=c.due_process_articles,
        )


def _below_requirement(c: DecideCase) -> bool:
    """Whether the decision is below the requirement; refused then without a reason."""
    required = int(c.requirement.get("level", 0))
    below = c.level < required
    if below and not c.below_reason.strip():
        raise RuleRefusal(
            f"the rules require level {required} ({c.requirement.get('article')});"
            " a lower decision needs a written reason",
            field="below_reason",
            articles=[str(c.requirement.get("article"))],
        )
    return below


def _require_authority(c: DecideCase) -> None:
    """A revocation is decided by the body the rules name, or one above it."""
    if (
        c.level == 3
        and c.revocation_authority != "any"
        and BODY_RANK[c.deciding_body] < BODY_RANK[c.revocation_authority]
    ):
        raise RuleRefusal(
            f"a revocation is decided by the {c.revocation_authority} body,"
            f" not the {c.deciding_body}",
            field="deciding_body",
            articles=[c.revocation_article] if c.revocation_article else [],
        )
