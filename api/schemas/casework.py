"""Bodies for findings, batches, complaints, cases, effects and appeals."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Out
from api.schemas.institutions import Body, Dated


class Evidence(Body):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, hex")
    name: str = Field(min_length=1, max_length=200)


class RecordFindingRequest(Body):
    rule_id: str = Field(examples=["hunan-2023/25.3"], description="rulebook/item in force")
    severity: Literal["minor", "serious"]
    occurred_on: date = Field(description="date of the conduct (business date)")
    source: Literal["inspection", "complaint", "self_report", "media", "audit", "supervision"]
    reference: str = Field(default="", max_length=200)
    facts: str = Field(min_length=1, max_length=8000)
    evidence: list[Evidence] = Field(default_factory=list)


class ReasonRequest(Dated):
    reason: str = Field(min_length=1, max_length=4000)


class ReportEvaluationRequest(Body):
    batch_id: str = Field(min_length=1, max_length=80)
    occupation: str = Field(pattern=r"^\d-\d{2}-\d{2}-\d{2}(-\d{2})?$")
    level: int = Field(ge=1, le=5)
    evaluated_on: date
    site: str = Field(min_length=1, max_length=200)
    territory: str | None = Field(default=None, description="jurisdiction where it was held")
    candidates: int = Field(ge=1)
    unqualified_candidates: int = Field(ge=0)
    passed: int = Field(ge=0)
    paper_set_id: str = Field(default="", max_length=80)


class ReceiveComplaintRequest(Dated):
    channel: Literal["phone", "letter", "online", "visit", "media", "referral"]
    summary: str = Field(min_length=1, max_length=4000)
    reference: str = Field(default="", max_length=200)


class VerifyComplaintRequest(Dated):
    substantiated: bool
    reason: str = Field(min_length=1, max_length=4000)
    finding_rule_id: str | None = Field(default=None, description="open a finding under it")
    finding_occurred_on: date | None = None


class OpenCaseRequest(Dated):
    finding_ids: list[str] = Field(min_length=1)


class IssueNoticeRequest(Dated):
    facts: str = Field(min_length=1, max_length=8000)
    reasons: str = Field(min_length=1, max_length=8000)
    intended_level: int | None = Field(default=None, ge=0, le=3)
    defence_days: int | None = Field(default=None, ge=1, le=90)


class DefenceRequest(Dated):
    statement: str = Field(min_length=1, max_length=8000)
    evidence: list[Evidence] = Field(default_factory=list)


class DecideCaseRequest(Dated):
    reasons: str = Field(min_length=1, max_length=8000)
    level: int | None = Field(default=None, ge=0, le=3, description="default: the requirement")
    below_reason: str = Field(default="", max_length=8000)
    deciding_body: Literal["district", "city", "province"] | None = None
    rectification_days: int | None = Field(default=None, ge=1, le=365)


class ServeRequest(Dated):
    void_batch_ids: list[str] = Field(default_factory=list)


class InterviewRequest(Dated):
    attendees: list[str] = Field(min_length=1)
    pledge: str = Field(default="", max_length=4000)


class RectificationReportRequest(Dated):
    report: str = Field(min_length=1, max_length=8000)


class AcceptRectificationRequest(Dated):
    remarks: str = Field(default="", max_length=4000)


class FileAppealRequest(Dated):
    kind: Literal["reconsideration", "review"]
    grounds: str = Field(min_length=1, max_length=8000)


class DecideAppealRequest(Dated):
    outcome: Literal["upheld", "varied", "annulled"]
    reasons: str = Field(min_length=1, max_length=8000)
    new_level: int | None = Field(default=None, ge=0, le=3)


class SessionRequest(Dated):
    text: str = Field(min_length=1, max_length=4000, description="problem, correction or reason")
    batch_id: str = Field(default="", max_length=80)


class AnnualAssessmentRequest(Dated):
    year: int = Field(ge=2000, le=2100)
    assessing_body: str = Field(min_length=1, max_length=200)
    passed: bool
    grade: str = Field(default="", max_length=40, examples=["优秀", "合格", "不合格"])
    scores: dict[str, float] = Field(
        default_factory=dict,
        description="0-100 by dimension (huangshi-2022/6: policy, pledges, disclosure, quality…)",
    )
    remarks: str = Field(default="", max_length=4000)


class CommandResult(Out):
    """What a command did: the record's new version and the ids it created."""

    institution_id: str
    version: int
    finding_id: str | None = None
    finding_ids: list[str] | None = None
    batch_id: str | None = None
    complaint_id: str | None = None
    case_id: str | None = None
    decision_id: str | None = None
    appeal_id: str | None = None
    assessment_id: str | None = None
    visit_id: str | None = None
    assignment_id: str | None = None

    @classmethod
    def of(cls, result: dict[str, Any]) -> CommandResult:
        return cls.build(result)
