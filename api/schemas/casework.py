"""Bodies for findings, batches, complaints, cases, effects and appeals."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Body, Out
from api.schemas.fields import (
    BusinessDate,
    Code,
    LongNote,
    LongText,
    Name,
    Note,
    Occupation,
    OptionalCode,
    Score,
    Sha256,
    SkillLevel,
    Text,
)
from api.schemas.institutions import Dated

#: Files cited by one finding or defence.
EVIDENCE = 100
#: People in an evaluation batch.
HEADCOUNT = 1_000_000


class Evidence(Body):
    sha256: Sha256 = Field(description="SHA-256 of the file, hex")
    name: Name


class RecordFindingRequest(Body):
    rule_id: Code = Field(examples=["hunan-2023/25.3"], description="rulebook/item in force")
    severity: Literal["minor", "serious"]
    occurred_on: BusinessDate = Field(description="date of the conduct (business date)")
    source: Literal["inspection", "complaint", "self_report", "media", "audit", "supervision"]
    reference: OptionalCode = ""
    facts: LongText
    evidence: list[Evidence] = Field(default_factory=list, max_length=EVIDENCE)


class ReasonRequest(Dated):
    reason: Text


class ReportEvaluationRequest(Body):
    batch_id: Code
    occupation: Occupation
    level: SkillLevel
    evaluated_on: BusinessDate
    site: Name
    territory: Code | None = Field(default=None, description="jurisdiction where it was held")
    candidates: int = Field(ge=1, le=HEADCOUNT)
    unqualified_candidates: int = Field(ge=0, le=HEADCOUNT)
    passed: int = Field(ge=0, le=HEADCOUNT)
    paper_set_id: OptionalCode = ""


class ReceiveComplaintRequest(Dated):
    channel: Literal["phone", "letter", "online", "visit", "media", "referral"]
    summary: Text
    reference: OptionalCode = ""


class VerifyComplaintRequest(Dated):
    substantiated: bool
    reason: Text
    finding_rule_id: Code | None = Field(default=None, description="open a finding under it")
    finding_occurred_on: BusinessDate | None = None


class OpenCaseRequest(Dated):
    finding_ids: list[Code] = Field(min_length=1, max_length=100)


class IssueNoticeRequest(Dated):
    facts: LongText
    reasons: LongText
    intended_level: int | None = Field(default=None, ge=0, le=3)
    defence_days: int | None = Field(default=None, ge=1, le=90)


class DefenceRequest(Dated):
    statement: LongText
    evidence: list[Evidence] = Field(default_factory=list, max_length=EVIDENCE)


class DecideCaseRequest(Dated):
    reasons: LongText
    level: int | None = Field(default=None, ge=0, le=3, description="default: the requirement")
    below_reason: LongNote = ""
    deciding_body: Literal["district", "city", "province"] | None = None
    rectification_days: int | None = Field(default=None, ge=1, le=365)


class ServeRequest(Dated):
    void_batch_ids: list[Code] = Field(default_factory=list, max_length=1000)


class InterviewRequest(Dated):
    attendees: list[Name] = Field(min_length=1, max_length=50)
    pledge: Note = ""


class RectificationReportRequest(Dated):
    report: LongText


class AcceptRectificationRequest(Dated):
    remarks: Note = ""


class FileAppealRequest(Dated):
    kind: Literal["reconsideration", "review"]
    grounds: LongText


class DecideAppealRequest(Dated):
    outcome: Literal["upheld", "varied", "annulled"]
    reasons: LongText
    new_level: int | None = Field(default=None, ge=0, le=3)


class SessionRequest(Dated):
    text: Text = Field(description="problem, correction or reason")
    batch_id: OptionalCode = ""


class AnnualAssessmentRequest(Dated):
    year: int = Field(ge=2000, le=2100)
    assessing_body: Name
    passed: bool
    grade: OptionalCode = Field(default="", examples=["优秀", "合格", "不合格"])
    scores: dict[Code, Score] = Field(
        default_factory=dict,
        max_length=50,
        description="0-100 by dimension (huangshi-2022/6: policy, pledges, disclosure, quality…)",
    )
    remarks: Note = ""


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
