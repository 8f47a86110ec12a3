"""Deciders of what the file learns: findings, evaluation batches, complaints and annual
assessments.

Judgement (what the rules require of a finding) is made by the engine before a finding is
recorded and arrives here as data; these deciders check the record itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.deciders.common import NewEvent, new, require_reason
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import (
    AnnualAssessmentRecorded,
    BatchFlagged,
    ComplaintReceived,
    ComplaintVerified,
    EvaluationReported,
    FindingDismissed,
    FindingRecorded,
)
from domain.state import FindingState, InstitutionState

SEVERITIES = ("minor", "serious")
SOURCES = ("inspection", "complaint", "self_report", "media", "audit", "system", "supervision")
HEX = "0123456789abcdef"


def finding_of(state: InstitutionState, finding_id: str) -> FindingState:
    try:
        return state.findings[finding_id]
    except KeyError:
        raise NotFound(f"finding {finding_id} does not exist", field="finding_id") from None


# --- findings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFinding:
    on: date
    finding_id: str
    rule_id: str
    severity: str
    source: str
    reference: str
    facts: str
    evidence: list[dict[str, str]]
    assessment: dict[str, Any]


def record_finding(state: InstitutionState, command: RecordFinding) -> list[NewEvent]:
    if command.severity not in SEVERITIES:
        raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
    if command.source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}", field="source")
    if command.finding_id in state.findings:
        raise Conflict(f"finding {command.finding_id} already exists", existing=command.finding_id)
    for i, item in enumerate(command.evidence):
        digest = item.get("sha256", "")
        if len(digest) != 64 or any(c not in HEX for c in digest):
            raise InvalidInput(
                "sha256 must be 64 lowercase hex characters", field=f"evidence.{i}.sha256"
            )
    return [
        new(
            FindingRecorded,
            command.on,
            finding_id=command.finding_id,
            rule_id=command.rule_id,
            severity=command.severity,
            source=command.source,
            reference=command.reference,
            facts=command.facts,
            evidence=command.evidence,
            assessment=command.assessment,
        )
    ]


@dataclass(frozen=True)
class DismissFinding:
    on: date
    finding_id: str
    reason: str


def dismiss_finding(state: InstitutionState, command: DismissFinding) -> list[NewEvent]:
    finding = finding_of(state, command.finding_id)
    if finding.decided or finding.case_id:
        raise Conflict(f"finding {command.finding_id} is already in case {finding.case_id}")
    if finding.dismissed:
        raise Conflict(f"finding {command.finding_id} is already dismissed")
    require_reason(command.reason)
    return [
        new(
            FindingDismissed,
            command.on,
            finding_id=command.finding_id,
            reason=command.reason,
        )
    ]


# --- evaluation batches -----------------------------------------------------------------


@dataclass(frozen=True)
class ReportEvaluation:
    on: date
    batch_id: str
    occupation: str
    level: int
    site: str
    territory: str
    candidates: int
    unqualified_candidates: int
    passed: int
    paper_set_id: str
    flags: list[dict[str, str]]
    #: Failed checks with no item to raise a finding under: each becomes ``BatchFlagged``.
    notes: tuple[dict[str, str], ...] = ()


def report_evaluation(state: InstitutionState, command: ReportEvaluation) -> list[NewEvent]:
    c = command
    if c.batch_id in state.batches:
        raise Conflict(f"batch {c.batch_id} was already reported", existing=c.batch_id)
    if c.candidates < 1:
        raise InvalidInput("a batch has at least one candidate", field="candidates")
    if not 0 <= c.unqualified_candidates <= c.candidates:
        raise InvalidInput(
            "unqualified candidates must be between 0 and the candidates",
            field="unqualified_candidates",
        )
    if not 0 <= c.passed <= c.candidates:
        raise InvalidInput("passed must be between 0 and the candidates", field="passed")
    if c.level not in (1, 2, 3, 4, 5):
        raise InvalidInput("level must be 1-5", field="level")
    return [
        new(
            EvaluationReported,
            c.on,
            batch_id=c.batch_id,
            occupation=c.occupation,
            level=c.level,
            site=c.site,
            territory=c.territory,
            candidates=c.candidates,
            unqualified_candidates=c.unqualified_candidates,
            passed=c.passed,
            paper_set_id=c.paper_set_id,
            flags=c.flags,
        ),
        *(new(BatchFlagged, c.on, batch_id=c.batch_id, **note) for note in c.notes),
    ]


# --- complaints -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiveComplaint:
    on: date
    complaint_id: str
    channel: str
    summary: str
    reference: str


def receive_complaint(state: InstitutionState, command: ReceiveComplaint) -> list[NewEvent]:
    if command.complaint_id in state.complaints:
        raise Conflict(
            f"complaint {command.complaint_id} already exists", existing=command.complaint_id
        )
    if not command.summary.strip():
        raise InvalidInput("summary must not be empty", field="summary")
    return [
        new(
            ComplaintReceived,
            command.on,
            complaint_id=command.complaint_id,
            channel=command.channel,
            summary=command.summary,
            reference=command.reference,
        )
    ]


@dataclass(frozen=True)
class VerifyComplaint:
    on: date
    complaint_id: str
    substantiated: bool
    reason: str


def verify_complaint(state: InstitutionState, command: VerifyComplaint) -> list[NewEvent]:
    complaint = state.complaints.get(command.complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {command.complaint_id} does not exist", field="complaint_id")
    if complaint.substantiated is not None:
        raise Conflict(f"complaint {command.complaint_id} is already verified")
    if command.on < complaint.received_on:
        raise InvalidInput("verification cannot precede receipt", field="occurred_on")
    require_reason(command.reason)
    return [
        new(
            ComplaintVerified,
            command.on,
            complaint_id=command.complaint_id,
            substantiated=command.substantiated,
            reason=command.reason,
        )
    ]


# --- annual assessment ------------------------------------------------------------------


@dataclass(frozen=True)
class RecordAnnualAssessment:
    on: date
    assessment_id: str
    year: int
    assessing_body: str
    passed: bool
    grade: str
    scores: dict[str, float]
    remarks: str
    dimensions: tuple[str, ...]
    published: bool = False
    articles: tuple[str, ...] = field(default=())


def record_annual_assessment(
    state: InstitutionState, command: RecordAnnualAssessment
) -> list[NewEvent]:
    c = command
    if any(a.year == c.year for a in state.annual_assessments.values()):
        raise Conflict(f"the {c.year} assessment is already recorded", field="year")
    if c.year > c.on.year:
        raise InvalidInput("an assessment cannot be of a year not yet begun", field="year")
    unknown = sorted(set(c.scores) - set(c.dimensions)) if c.dimensions else []
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a dimension ({', '.join(c.dimensions)})", field="scores"
        )
    for name, value in c.scores.items():
        if not 0 <= value <= 100:
            raise InvalidInput("scores are 0-100", field=f"scores.{name}")
    if not c.assessing_body.strip():
        raise InvalidInput("name the assessing body", field="assessing_body")
    return [
        new(
            AnnualAssessmentRecorded,
            c.on,
            assessment_id=c.assessment_id,
            year=c.year,
            assessing_body=c.assessing_body,
            passed=c.passed,
            grade=c.grade,
            scores=c.scores,
            remarks=c.remarks,
            published=c.published,
            articles=list(c.articles),
        )
    ]
