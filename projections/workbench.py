"""What the regulator's workbench shows: the institution a step acts on and what the step
needs to show, read for a caller who may decide on it.

:func:`desk` reads the record (refusing what lies outside the caller's scope, and any
caller whose role may not decide) and copies what the forms show from the institution's
state: its filing, findings, cases, decisions, batches and appeals. :func:`open_steps`
lists the steps the record's state leaves open (a case's step, a decision's service and
effect, a rectification's state, an appeal without outcome). What the rules require is the
application's assessment (:func:`case_desk`). Nothing is judged here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import NotFound
from domain.institution import Institution
from domain.state import InstitutionState
from projections.institution_file import Ground, GroundEvent
from projections.queries import ScopeEntry
from projections.rulebook_items import RulebookItems, finding_items

L = TypeVar("L")

# --- the record ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The institution a step acts on, as the step's heading shows it."""

    id: UUID
    name: str
    credit_code: str
    jurisdiction: str
    district: str
    status: str
    suspended: bool
    submitted_on: date
    scope: tuple[ScopeEntry, ...]
    test_sites: tuple[str, ...]


@dataclass(frozen=True)
class FindingLine:
    finding_id: str
    rule_id: str
    severity: str
    occurred_on: date
    source: str
    case_id: str | None
    dismissed: bool
    decided: bool

    @property
    def open(self) -> bool:
        """Neither in a case, nor dismissed, nor decided."""
        return self.case_id is None and not self.dismissed and not self.decided


@dataclass(frozen=True)
class CaseLine:
    case_id: str
    #: opened | noticed | decided | served
    step: str
    opened_on: date
    finding_ids: tuple[str, ...]
    noticed_on: date | None
    intended_level: int | None
    defence_deadline: date | None
    defences: int
    waived: bool
    decision_id: str | None


@dataclass(frozen=True)
class DecisionLine:
    decision_id: str
    case_id: str
    level: int
    actions: tuple[str, ...]
    articles: tuple[str, ...]
    decided_on: date
    served_on: date | None
    below_requirement: bool
    rescinded: bool
    interview_held: bool
    #: ordered | reported | accepted | overdue | lifted; ``None`` without a rectification.
    rectification: str | None
    rectification_deadline: date | None
    rectification_reports: int


@dataclass(frozen=True)
class BatchLine:
    batch_id: str
    evaluated_on: date
    flags: int
    voided_by: str | None


@dataclass(frozen=True)
class AppealLine:
    appeal_id: str
    decision_id: str
    kind: str
    filed_on: date
    outcome: str | None


@dataclass(frozen=True)
class Desk:
    """The record a step works on, for a caller who may decide on it."""

    institution: Target
    #: The business date of the application's clock (the default date of every form).
    today: date
    #: The record's version the desk was read at.
    version: int
    findings: tuple[FindingLine, ...]
    cases: tuple[CaseLine, ...]
    decisions: tuple[DecisionLine, ...]
    batches: tuple[BatchLine, ...]
    appeals: tuple[AppealLine, ...]

    @property
    def desk(self) -> Desk:
        """Itself: every step's view has the record as ``desk``."""
        return self

    @property
    def open_findings(self) -> tuple[FindingLine, ...]:
        return tuple(f for f in self.findings if f.open)

    @property
    def batches_in_force(self) -> tuple[BatchLine, ...]:
        """The batches whose results no decision or stop has voided."""
        return tuple(b for b in self.batches if b.voided_by is None)

    def case(self, case_id: str) -> CaseLine:
        return _one(self.cases, "case_id", case_id, "case")

    def decision(self, decision_id: str) -> DecisionLine:
        return _one(self.decisions, "decision_id", decision_id, "decision")

    def appeal(self, appeal_id: str) -> AppealLine:
        return _one(self.appeals, "appeal_id", appeal_id, "appeal")

    def finding(self, finding_id: str) -> FindingLine:
        return _one(self.findings, "finding_id", finding_id, "finding")


def _one(lines: tuple[L, ...], key: str, value: str, what: str) -> L:
    found = next((line for line in lines if getattr(line, key) == value), None)
    if found is None:
        raise NotFound(f"{what} {value} does not exist", field=key)
    return found


def parse_id(value: str) -> UUID:
    """An institution id from a page address; anything else is no institution (404)."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no institution {value!r}", field="iid") from None


def desk(app: OversightApplication, principal: Principal, iid: str) -> Desk:
    """The record ``iid`` for a step: NotFound if unknown, Forbidden if the caller may not
    read it or may not decide on it."""
    inst = app.records.institution(principal, parse_id(iid))
    principal.require("decide", inst.jurisdiction, inst.district, inst.id)
    return _desk(inst, app.ledger.today())


def _desk(inst: Institution, today: date) -> Desk:
    state = inst.state
    return Desk(
        institution=_target(inst.id, state),
        today=today,
        version=inst.version,
        findings=tuple(
            FindingLine(
                fid,
                f.rule_id,
                f.severity,
                f.occurred_on,
                f.source,
                f.case_id,
                f.dismissed,
                f.decided,
            )
            for fid, f in state.findings.items()
        ),
        cases=tuple(
            CaseLine(
                cid,
                c.step,
                c.opened_on,
                tuple(c.finding_ids),
                c.noticed_on,
                c.intended_level,
                c.defence_deadline,
                c.defences,
                c.waived,
                c.decision_id,
            )
            for cid, c in state.cases.items()
        ),
        decisions=tuple(_decision(did, d) for did, d in state.decisions.items()),
        batches=tuple(
            BatchLine(bid, b.evaluated_on, b.flags, b.voided_by) for bid, b in state.batches.items()
        ),
        appeals=tuple(
            AppealLine(aid, a.decision_id, a.kind, a.filed_on, a.outcome)
            for aid, a in state.appeals.items()
        ),
    )


def _target(iid: UUID, state: InstitutionState) -> Target:
    return Target(
        id=iid,
        name=state.name,
        credit_code=state.credit_code,
        jurisdiction=state.jurisdiction,
        district=state.district,
        status=state.status,
        suspended=state.suspended,
        submitted_on=state.submitted_on,
        scope=tuple(ScopeEntry(s.occupation, tuple(s.levels)) for s in state.scope),
        test_sites=tuple(state.test_sites),
    )


def _decision(decision_id: str, d: Any) -> DecisionLine:
    rect = d.rectification
    return DecisionLine(
        decision_id=decision_id,
        case_id=d.case_id,
        level=d.level,
        actions=tuple(d.actions),
        articles=tuple(d.articles),
        decided_on=d.decided_on,
        served_on=d.served_on,
        below_requirement=d.below_requirement,
        rescinded=d.rescinded,
        interview_held=d.interview_held,
        rectification=rect.state if rect else None,
        rectification_deadline=rect.deadline if rect else None,
        rectification_reports=rect.reports if rect else 0,
    )


# --- which steps are open --------------------------------------------------------------


@dataclass(frozen=True)
class OpenStep:
    """A step the record's state leaves open: its kind, its address, what it acts on."""

    kind: str
    path: str
    ref: str = ""


def open_steps(desk: Desk) -> tuple[OpenStep, ...]:
    """The steps the record's state leaves open, in the order of the procedure."""
    base = f"/institutions/{desk.institution.id}/workbench"
    steps: list[OpenStep] = []
    if desk.institution.status == "submitted":
        steps.append(OpenStep("review", f"{base}/review"))
    steps.append(OpenStep("finding", f"{base}/finding"))
    steps.append(OpenStep("officer", f"{base}/officer"))
    if desk.open_findings:
        steps.append(OpenStep("case", f"{base}/case"))
    for case in desk.cases:
        steps += case_steps(base, case)
    for decision in desk.decisions:
        steps += decision_steps(base, decision)
    steps += [
        OpenStep("appeal", f"{base}/appeals/{a.appeal_id}/outcome", a.appeal_id)
        for a in desk.appeals
        if a.outcome is None
    ]
    return tuple(steps)


#: The steps a case's step leaves open.
CASE_STEPS: Mapping[str, tuple[str, ...]] = {
    "opened": ("notice",),
    "noticed": ("defence", "decision"),
    "decided": ("service",),
}


def case_steps(base: str, case: CaseLine) -> list[OpenStep]:
    kinds = CASE_STEPS.get(case.step, ())
    if case.waived or case.defences:
        kinds = tuple(k for k in kinds if k != "defence")
    return [OpenStep(k, f"{base}/cases/{case.case_id}/{k}", case.case_id) for k in kinds]


def decision_steps(base: str, decision: DecisionLine) -> list[OpenStep]:
    if decision.rescinded or decision.served_on is None:
        return []
    path = f"{base}/decisions/{decision.decision_id}"
    steps = []
    if "interview" in decision.actions and not decision.interview_held:
        steps.append(OpenStep("interview", f"{path}/interview", decision.decision_id))
    if decision.rectification == "reported":
        steps.append(OpenStep("rectification", f"{path}/rectification", decision.decision_id))
    return steps


# --- what the steps show ---------------------------------------------------------------


@dataclass(frozen=True)
class Required:
    """What the rules require for a case's findings together, as the application computed."""

    on: date
    level: int
    article: str
    actions: tuple[str, ...]
    ban_years: int | None
    ban_indefinite: bool
    rulebook: str
    rulebook_choice_zh: str
    rulebook_choice_en: str
    grounds: tuple[Ground, ...]


@dataclass(frozen=True)
class StepView:
    """What a step shows: the record, and what the step itself needs (in subclasses)."""

    desk: Desk

    @property
    def institution(self) -> Target:
        return self.desk.institution


@dataclass(frozen=True)
class CaseDesk(StepView):
    """A case's step: the record, the case, its findings, what the rules require."""

    case: CaseLine
    findings: tuple[FindingLine, ...]
    required: Required
    decision: DecisionLine | None


def case_desk(
    app: OversightApplication, principal: Principal, iid: str, case_id: str, on: date | None
) -> CaseDesk:
    """A case with what the rules require for it on ``on`` (default today)."""
    record = desk(app, principal, iid)
    case = record.case(case_id)
    day = on or record.today
    found = app.records.case_requirement(principal, record.institution.id, case_id, day)
    return CaseDesk(
        record,
        case,
        tuple(record.finding(f) for f in case.finding_ids),
        _required(found, day),
        record.decision(case.decision_id) if case.decision_id else None,
    )


def _required(found: Mapping[str, Any], on: date) -> Required:
    rulebook = found.get("rulebook") or {}
    return Required(
        on=on,
        level=int(found["level"]),
        article=str(found["article"]),
        actions=tuple(found.get("actions", ())),
        ban_years=found.get("ban_years"),
        ban_indefinite=bool(found.get("ban_indefinite")),
        rulebook=f"{rulebook.get('id', '')} v{rulebook.get('version', '')}"
        f" · {str(rulebook.get('hash', ''))[:12]}",
        rulebook_choice_zh=str(found.get("rulebook_choice_zh", "")),
        rulebook_choice_en=str(found.get("rulebook_choice_en", "")),
        grounds=tuple(
            Ground(
                str(g["article"]),
                int(g["level"]),
                str(g.get("explanation_zh", "")),
                str(g.get("explanation_en", "")),
                tuple(
                    GroundEvent(int(e["version"]), str(e["type"]), e["occurred_on"])
                    for e in g.get("events", ())
                ),
            )
            for g in found.get("grounds", ())
        ),
    )


@dataclass(frozen=True)
class FindingDesk(StepView):
    """The finding step: the record and the items of the rulebook in force on ``items.on``."""

    items: RulebookItems


def finding_desk(
    app: OversightApplication, principal: Principal, iid: str, on: date | None
) -> FindingDesk:
    record = desk(app, principal, iid)
    day = on or record.today
    return FindingDesk(record, finding_items(app, record.institution.jurisdiction, day))


@dataclass(frozen=True)
class DecisionDesk(StepView):
    """A served decision's effect, or an appeal against a decision."""

    decision: DecisionLine
    appeal: AppealLine | None = None


def decision_desk(
    app: OversightApplication, principal: Principal, iid: str, decision_id: str
) -> DecisionDesk:
    record = desk(app, principal, iid)
    return DecisionDesk(record, record.decision(decision_id))


def appeal_desk(
    app: OversightApplication, principal: Principal, iid: str, appeal_id: str
) -> DecisionDesk:
    record = desk(app, principal, iid)
    appeal = record.appeal(appeal_id)
    return DecisionDesk(record, record.decision(appeal.decision_id), appeal)
