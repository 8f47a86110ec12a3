"""An institution's file as the dashboard shows it: one query, one typed, frozen view.

:func:`institution_file` is the only place the file page asks the application anything:
the record (which refuses what lies outside the caller's scope), its events with both
clocks and their authors, what the rules require at a date and why, and whether the hash
chain holds. The view copies; what it holds was decided by the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.access import Principal
from domain.application import OversightApplication, StoredEvent
from domain.calendar import shanghai_date
from domain.chain import ChainBreak
from domain.institution import Institution
from projections.queries import ScopeEntry

#: Personal contact details stay out of the file's timeline.
HIDDEN_FIELDS = frozenset({"contact", "legal_representative"})


@dataclass(frozen=True)
class Particulars:
    """The institution's filing as it stands."""

    id: UUID
    name: str
    credit_code: str
    kind: str
    jurisdiction: str
    district: str
    address: str
    status: str
    suspended: bool
    ban_until: date | None
    ban_indefinite: bool
    receipt_number: str | None
    valid_from: date | None
    valid_until: date | None
    submitted_on: date
    renewal_requested_on: date | None
    scope: tuple[ScopeEntry, ...]
    test_sites: tuple[str, ...]
    #: The scope a pending scope change asks for.
    pending_scope: tuple[ScopeEntry, ...] | None


@dataclass(frozen=True)
class TimelineEntry:
    """One recorded event: both clocks, who recorded it in which role, what it says."""

    version: int
    #: The event's class name (``FilingSubmitted``).
    name: str
    #: The business date.
    occurred_on: date
    #: When the store recorded it.
    recorded_at: datetime
    #: Whole days between the business date and the day it was recorded (Beijing time).
    recorded_later: int
    actor: str
    role: str
    request_id: str
    #: The event's own fields, personal contact details left out.
    data: Mapping[str, Any]


@dataclass(frozen=True)
class GroundEvent:
    """An event a ground rests on."""

    version: int
    type: str
    occurred_on: date


@dataclass(frozen=True)
class Ground:
    """One reason the rules give for a level: the article, why, and the events behind it."""

    article: str
    level: int
    explanation_zh: str
    explanation_en: str
    events: tuple[GroundEvent, ...]


@dataclass(frozen=True)
class AssessedFinding:
    """What the rules require for one undecided finding, and why."""

    finding_id: str
    rule_id: str
    #: The item whose level is required.
    article: str
    level: int
    grounds: tuple[Ground, ...]


@dataclass(frozen=True)
class RulebookRef:
    id: str
    version: int
    hash: str


@dataclass(frozen=True)
class Requirement:
    """What the rules require for the undecided findings together (the heaviest of them)."""

    level: int
    article: str
    actions: tuple[str, ...]
    rulebook: RulebookRef
    findings: tuple[AssessedFinding, ...]


@dataclass(frozen=True)
class DueFinding:
    """A finding the system is due to raise by itself (e.g. for inactivity)."""

    rule_id: str
    detail_zh: str
    detail_en: str
    occurred_on: date


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    #: opened | noticed | decided
    step: str
    opened_on: date
    defence_deadline: date | None
    intended_level: int | None
    finding_ids: tuple[str, ...]
    decision_id: str | None


@dataclass(frozen=True)
class Rectification:
    #: ordered | reported | accepted | overdue | lifted
    state: str
    deadline: date | None
    reports: int


@dataclass(frozen=True)
class Decision:
    decision_id: str
    level: int
    actions: tuple[str, ...]
    articles: tuple[str, ...]
    decided_on: date
    served_on: date | None
    rectification: Rectification | None
    below_requirement: bool
    rescinded: bool


@dataclass(frozen=True)
class InstitutionFile:
    institution: Particulars
    #: The date the requirement is computed for.
    as_of: date
    #: Every event, oldest first.
    timeline: tuple[TimelineEntry, ...]
    #: ``None`` when no finding is undecided on ``as_of``.
    requirement: Requirement | None
    due_findings: tuple[DueFinding, ...]
    #: The cases not yet served.
    open_cases: tuple[OpenCase, ...]
    #: Every decision, newest first.
    decisions: tuple[Decision, ...]
    #: Where the hash chain first fails; ``None`` when it holds.
    broken: ChainBreak | None

    @property
    def grounds(self) -> tuple[tuple[AssessedFinding, Ground], ...]:
        """Every ground of every undecided finding, with its finding."""
        findings = self.requirement.findings if self.requirement else ()
        return tuple((f, g) for f in findings for g in f.grounds)


def institution_file(
    app: OversightApplication, principal: Principal, institution_id: UUID, as_of: date | None
) -> InstitutionFile:
    """The file of ``institution_id`` as ``principal`` may read it, assessed on ``as_of``.

    ``as_of`` defaults to the application's today. Raises what the application raises:
    ``NotFound`` for an unknown institution, ``Forbidden`` outside the caller's scope.
    """
    on = as_of or app.ledger.today()
    inst = app.records.institution(principal, institution_id)
    events = app.records.institution_events(principal, institution_id)
    assessment = app.records.assessment(principal, institution_id, on)
    broken = app.records.verify_institution(principal, institution_id)
    decisions = sorted(inst.decisions.items(), key=lambda d: d[1]["decided_on"], reverse=True)
    return InstitutionFile(
        institution=_particulars(inst),
        as_of=on,
        timeline=tuple(_timeline_entry(e) for e in events),
        requirement=_requirement(assessment.get("requirement")),
        due_findings=tuple(_due(d) for d in assessment.get("due_system_findings", ())),
        open_cases=tuple(
            _open_case(cid, c) for cid, c in inst.cases.items() if c.get("step") != "served"
        ),
        decisions=tuple(_decision(did, d) for did, d in decisions),
        broken=broken,
    )


def _scope(lines: Any) -> tuple[ScopeEntry, ...]:
    return tuple(
        ScopeEntry(str(line["occupation"]), tuple(int(v) for v in line.get("levels", ())))
        for line in lines or ()
    )


def _particulars(inst: Institution) -> Particulars:
    pending = inst.pending_scope_change
    return Particulars(
        id=inst.id,
        name=inst.name,
        credit_code=inst.credit_code,
        kind=inst.kind,
        jurisdiction=inst.jurisdiction,
        district=inst.district,
        address=inst.address,
        status=inst.status,
        suspended=inst.suspended,
        ban_until=inst.ban_until,
        ban_indefinite=inst.ban_indefinite,
        receipt_number=inst.receipt_number,
        valid_from=inst.valid_from,
        valid_until=inst.valid_until,
        submitted_on=inst.submitted_on,
        renewal_requested_on=inst.renewal_requested_on,
        scope=_scope(inst.scope),
        test_sites=tuple(inst.test_sites),
        pending_scope=_scope(pending["scope"]) if pending else None,
    )


def _timeline_entry(e: StoredEvent) -> TimelineEntry:
    return TimelineEntry(
        version=e.version,
        name=e.name,
        occurred_on=e.occurred_on,
        recorded_at=e.recorded_at,
        recorded_later=(shanghai_date(e.recorded_at) - e.occurred_on).days,
        actor=e.actor,
        role=e.role,
        request_id=e.request_id,
        data={k: v for k, v in e.data.items() if k not in HIDDEN_FIELDS},
    )


def _ground(g: Mapping[str, Any]) -> Ground:
    return Ground(
        article=g["article"],
        level=g["level"],
        explanation_zh=g["explanation_zh"],
        explanation_en=g["explanation_en"],
        events=tuple(
            GroundEvent(r["version"], str(r["type"]), r["occurred_on"]) for r in g.get("events", ())
        ),
    )


def _assessed(f: Mapping[str, Any]) -> AssessedFinding:
    return AssessedFinding(
        finding_id=f["finding_id"],
        rule_id=f["rule_id"],
        article=f["article"],
        level=f["level"],
        grounds=tuple(_ground(g) for g in f.get("grounds", ())),
    )


def _requirement(r: Mapping[str, Any] | None) -> Requirement | None:
    if not r:
        return None
    book = r["rulebook"]
    return Requirement(
        level=r["level"],
        article=r["article"],
        actions=tuple(r["actions"]),
        rulebook=RulebookRef(book["id"], book["version"], book["hash"]),
        findings=tuple(_assessed(f) for f in r.get("findings", ())),
    )


def _due(d: Mapping[str, Any]) -> DueFinding:
    return DueFinding(d["rule_id"], d["detail_zh"], d["detail_en"], d["occurred_on"])


def _open_case(case_id: str, c: Mapping[str, Any]) -> OpenCase:
    return OpenCase(
        case_id=case_id,
        step=c["step"],
        opened_on=c["opened_on"],
        defence_deadline=c.get("defence_deadline"),
        intended_level=c.get("intended_level"),
        finding_ids=tuple(c.get("finding_ids", ())),
        decision_id=c.get("decision_id"),
    )


def _decision(decision_id: str, d: Mapping[str, Any]) -> Decision:
    rect = d.get("rectification")
    return Decision(
        decision_id=decision_id,
        level=d["level"],
        actions=tuple(d.get("actions", ())),
        articles=tuple(d.get("articles", ())),
        decided_on=d["decided_on"],
        served_on=d.get("served_on"),
        rectification=(
            Rectification(str(rect.get("state", "")), rect.get("deadline"), rect.get("reports", 0))
            if rect
            else None
        ),
        below_requirement=bool(d.get("below_requirement")),
        rescinded=bool(d.get("rescinded")),
    )
