"""An institution's file as the dashboard shows it: one query, one typed, frozen view.

:func:`institution_file` is the only place the file page asks the application anything:
the record (which refuses what lies outside the caller's scope), its events with both
clocks and their authors, what the rules require at a date and why, whether the hash
chain holds, each decision explained and the credit rating's history
(:mod:`projections.review`). The view copies; what it holds was decided by the domain.

The file can be drawn as it stood at a point in time: ``as_of`` keeps the facts whose
business date is on or before it, ``known_at`` the events the store had recorded by then
(both: what the store knew at that instant about that date). Every part of the view
follows the same point: the particulars, the timeline, the requirement, the decisions and
their explanations, the rating, and the hash chain (checked over the events recorded by
``known_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from domain.access import Principal
from domain.application import OversightApplication, StoredEvent
from domain.calendar import shanghai_date
from domain.chain import ChainBreak
from domain.institution import Institution
from projections.queries import ScopeEntry
from projections.review import (
    AssessedFinding,
    Explanation,
    Ground,
    GroundEvent,
    RatingHistory,
    Requirement,
    RulebookRef,
    explanation,
    rating_history,
    requirement,
)

__all__ = [
    "ORDERS",
    "AssessedFinding",
    "Chain",
    "Decision",
    "DueFinding",
    "Ground",
    "GroundEvent",
    "InstitutionFile",
    "OpenCase",
    "Order",
    "Particulars",
    "Requirement",
    "RulebookRef",
    "TimelineEntry",
    "institution_file",
    "late_reason",
]

#: Personal contact details stay out of the file's timeline.
HIDDEN_FIELDS = frozenset({"contact", "legal_representative"})
#: The request id under which the demo histories are loaded (``bootstrap.demo``).
DEMO_REQUEST_ID = "demo-load"
#: An event recorded more than this many days after its business date says why.
LATE_AFTER_DAYS = 1
#: Events that by their kind record, afterwards, something that happened on their date.
AFTER_THE_FACT = frozenset(
    {
        "EvaluationReported",
        "ComplaintReceived",
        "ComplaintVerified",
        "AnnualAssessmentRecorded",
        "DefenceSubmitted",
        "DecisionServed",
        "InterviewHeld",
        "RectificationReportSubmitted",
        "AppealFiled",
        "AppealDecided",
    }
)

#: recorded: the order the store recorded the events; business: by business date.
Order = Literal["recorded", "business"]
ORDERS: tuple[Order, ...] = ("recorded", "business")


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
    #: Why it was recorded well after its business date (a code, see :func:`late_reason`);
    #: ``None`` when it was not.
    late_reason: str | None = None


@dataclass(frozen=True)
class DueFinding:
    """A finding the system is due to raise by itself (e.g. for inactivity)."""

    rule_id: str
    detail_zh: str
    detail_en: str
    occurred_on: date


@dataclass(frozen=True)
class UngovernedFinding:
    """An undecided finding about conduct before any rulebook of the jurisdiction: kept,
    nothing required, and why."""

    finding_id: str
    rule_id: str
    explanation_zh: str
    explanation_en: str


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
    #: The decision explained, as of the file's point in time.
    explanation: Explanation | None = None


@dataclass(frozen=True)
class Chain:
    """The hash chain over the events the store held at the file's ``known_at``."""

    #: How many events were checked.
    checked: int
    #: Where it first fails; ``None`` when it holds.
    broken: ChainBreak | None


@dataclass(frozen=True)
class InstitutionFile:
    institution: Particulars
    #: The date the requirement is computed for (the ``as_of`` asked for, else today).
    as_of: date
    #: The point in time asked for: a business date, an instant of the store (or none).
    asked_as_of: date | None
    known_at: datetime | None
    #: Every event at that point, in recording order.
    timeline: tuple[TimelineEntry, ...]
    #: ``None`` when no finding is undecided on ``as_of``.
    requirement: Requirement | None
    due_findings: tuple[DueFinding, ...]
    #: The cases not yet served.
    open_cases: tuple[OpenCase, ...]
    #: Every decision, newest first.
    decisions: tuple[Decision, ...]
    chain: Chain
    #: The credit rating on ``as_of`` and how it came to be (``None``: no rulebook covers it).
    rating: RatingHistory | None
    #: Undecided findings that no rulebook governs (conduct before the first one).
    ungoverned: tuple[UngovernedFinding, ...] = ()

    @property
    def broken(self) -> ChainBreak | None:
        """Where the hash chain first fails; ``None`` when it holds."""
        return self.chain.broken

    @property
    def then(self) -> bool:
        """The file is drawn as it stood at an earlier point, not as it stands."""
        return self.asked_as_of is not None or self.known_at is not None

    @property
    def grounds(self) -> tuple[tuple[AssessedFinding, Ground], ...]:
        """Every ground of every undecided finding, with its finding."""
        findings = self.requirement.findings if self.requirement else ()
        return tuple((f, g) for f in findings for g in f.grounds)

    def timeline_in(self, order: Order) -> tuple[TimelineEntry, ...]:
        """The timeline in recording order, or by business date (recording order within
        a day)."""
        if order == "business":
            return tuple(sorted(self.timeline, key=lambda e: (e.occurred_on, e.version)))
        return self.timeline


def institution_file(
    app: OversightApplication,
    principal: Principal,
    institution_id: UUID,
    as_of: date | None,
    *,
    known_at: datetime | None = None,
) -> InstitutionFile:
    """The file of ``institution_id`` as ``principal`` may read it, as of business date
    ``as_of`` and as the store knew it at ``known_at`` (each: as it stands when ``None``).

    The requirement and the rating are computed for ``as_of``, else the application's
    today. Raises what the application raises: ``NotFound`` for an unknown institution
    (or one not yet recorded at ``known_at``), ``Forbidden`` outside the caller's scope.
    """
    on = as_of or app.ledger.today()
    records = app.records.sharing()  # the history read once for every part of the file
    if as_of is None and known_at is None:
        inst = records.institution(principal, institution_id)
    else:
        inst = records.institution_at(principal, institution_id, as_of=as_of, known_at=known_at)
    events = records.institution_events(principal, institution_id, as_of=as_of, known_at=known_at)
    assessment = records.assessment(
        principal, institution_id, on, known_at=known_at, as_it_stood=as_of is not None
    )
    known = (
        events
        if as_of is None
        else records.institution_events(principal, institution_id, known_at=known_at)
    )
    broken = records.verify_institution(principal, institution_id, known_at=known_at, full=False)
    decisions = sorted(inst.decisions.items(), key=lambda d: d[1]["decided_on"], reverse=True)

    def explained(decision_id: str) -> Explanation:
        return explanation(
            app,
            principal,
            institution_id,
            decision_id,
            as_of=as_of,
            known_at=known_at,
            records=records,
        )

    return InstitutionFile(
        institution=_particulars(inst),
        as_of=on,
        asked_as_of=as_of,
        known_at=known_at,
        timeline=tuple(_timeline_entry(e) for e in events),
        requirement=requirement(assessment.get("requirement")),
        due_findings=tuple(_due(d) for d in assessment.get("due_system_findings", ())),
        ungoverned=tuple(
            UngovernedFinding(
                f["finding_id"], f["rule_id"], f["rulebook_choice_zh"], f["rulebook_choice_en"]
            )
            for f in assessment.get("findings", ())
            if f.get("governed") is False
        ),
        open_cases=tuple(
            _open_case(cid, c) for cid, c in inst.cases.items() if c.get("step") != "served"
        ),
        decisions=tuple(_decision(did, d, explained(did)) for did, d in decisions),
        chain=Chain(len(known), broken),
        rating=rating_history(
            app,
            principal,
            institution_id,
            on,
            known_at=known_at,
            as_it_stood=as_of is not None,
            records=records,
        ),
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


def late_reason(e: StoredEvent) -> str | None:
    """Why ``e`` was recorded well after its business date, from what the event itself says
    (who recorded it, its kind, a finding's source); ``None`` when it was not late.

    ``demo`` (loaded with the demo histories), ``system`` (recorded by the system: a
    deadline that had passed, a check of reported data), ``finding.<source>`` (conduct found
    later, by an inspection, a supervision visit, a complaint…), ``event.<Kind>`` (an event
    that records afterwards what happened on its date: a batch reported, a service
    returned, an appeal body's outcome), else ``entered_later``.
    """
    if (shanghai_date(e.recorded_at) - e.occurred_on).days <= LATE_AFTER_DAYS:
        return None
    if e.request_id == DEMO_REQUEST_ID:
        return "demo"
    if e.role == "system":
        return "system"
    if e.name == "FindingRecorded":
        return f"finding.{e.data.get('source', '')}"
    if e.name in AFTER_THE_FACT:
        return f"event.{e.name}"
    return "entered_later"


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
        late_reason=late_reason(e),
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


def _decision(
    decision_id: str, d: Mapping[str, Any], explained: Explanation | None = None
) -> Decision:
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
        explanation=explained,
    )
