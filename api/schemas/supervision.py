"""Bodies for /api/v1/supervisors, /api/v1/assignments, /api/v1/visits, /api/v1/campaigns."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.base import Body, Out
from api.schemas.fields import BusinessDate, Code, LongNote, LongText, Name, Note, Text
from api.schemas.institutions import Dated
from domain.assignment import Assignment, SupervisionVisit
from domain.campaign import Campaign, DrawCheck
from domain.events import SessionRoster, VisitFinding
from domain.supervisor import Bar, SupervisionPolicy, Supervisor

#: Card numbers of the people of one session, items of one list of matters or checks.
PEOPLE = 100
ITEMS = 100

# --- requests ------------------------------------------------------------------------------


class CertifySupervisorRequest(Dated):
    jurisdiction: Code = Field(examples=["hunan"])
    district: Name | None = Field(
        default=None, description="recommending district; none: jurisdiction"
    )
    kind: Literal["external", "internal"] = Field(description="外督 or 内督")
    institution_id: UUID | None = Field(
        default=None, description="internal supervisors: the certifying institution"
    )
    name: Name
    subject: Code = Field(description="login of the card holder (token subject)")
    card_number: Code = Field(examples=["HN-WD-2024-0001"])


class AnnualReviewRequest(Dated):
    year: int = Field(ge=2000, le=2100)
    passed: bool
    remarks: Note = ""


class SuspendRequest(Dated):
    reason: Text
    articles: list[Code] = Field(
        default_factory=list,
        max_length=ITEMS,
        description="items of a rulebook in force, e.g. hunan-2023/30.3, zhengzhou-2014/20.2",
    )
    until: BusinessDate | None = Field(default=None, description="last day; none: until lifted")


class DecertifyRequest(Dated):
    reason: Text
    articles: list[Code] = Field(min_length=1, max_length=ITEMS, examples=[["hunan-2023/30.5"]])


class DeclareConflictRequest(Dated):
    institution_id: UUID
    relation: Text = Field(examples=["曾任该机构考评员"])


class SessionIn(Body):
    session_id: Code
    examiners: list[Code] = Field(
        default_factory=list, max_length=PEOPLE, description="card numbers"
    )
    internal_supervisors: list[Code] = Field(
        default_factory=list, max_length=PEOPLE, description="card numbers"
    )

    def plain(self) -> SessionRoster:
        return {
            "session_id": self.session_id,
            "examiners": list(self.examiners),
            "internal_supervisors": list(self.internal_supervisors),
        }


class AssignSupervisionRequest(Dated):
    institution_id: UUID
    kind: Literal["daily", "special"]
    supervisors: list[UUID] = Field(min_length=1, max_length=20)
    starts_on: BusinessDate | None = Field(default=None, description="defaults to occurred_on")
    sessions: list[SessionIn] = Field(default_factory=list, max_length=ITEMS)
    matters: list[Text] = Field(default_factory=list, max_length=ITEMS, description="督导事项")


class FindingIn(Body):
    rule_id: Code = Field(examples=["hunan-2023/25.9"])
    severity: Literal["minor", "serious"]
    occurred_on: BusinessDate = Field(description="date of the conduct")
    facts: LongText

    def plain(self) -> VisitFinding:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "occurred_on": self.occurred_on,
            "facts": self.facts,
        }


class RecordVisitRequest(Dated):
    assignment_id: UUID
    mode: Literal["on_site", "data_comparison", "remote_video"]
    supervisors: list[UUID] = Field(min_length=1, max_length=20)
    sessions: list[SessionIn] = Field(
        default_factory=list, max_length=ITEMS, description="sessions observed"
    )
    checked: list[Text] = Field(
        min_length=1, max_length=ITEMS, description="what was checked (hunan-2023/15)"
    )
    findings: list[FindingIn] = Field(default_factory=list, max_length=ITEMS)
    summary: LongNote = ""


class OpenCampaignRequest(Dated):
    reference: str = Field(
        max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["HN-2024-Q2"]
    )
    title: Name
    jurisdiction: Code
    district: Name | None = None
    kind: Literal["daily", "special"]
    matters: list[Text] = Field(min_length=1, max_length=ITEMS)
    institution_kinds: list[Literal["employer", "social_org", "technical_school"]] = Field(
        default_factory=list, max_length=3
    )
    occupations: list[Code] = Field(default_factory=list, max_length=1000)
    supervisor_district: Name | None = None
    target_count: int = Field(ge=1, le=10_000)
    group_size: int = Field(ge=1, le=20)
    max_targets_per_supervisor: int = Field(default=1, ge=1, le=100)
    planned_on: BusinessDate


class DrawRequest(Dated):
    seed: Name | None = Field(
        default=None, description="leave out to have one generated from a cryptographic source"
    )


# --- responses -----------------------------------------------------------------------------


class BarOut(Out):
    code: str
    detail: str
    articles: list[str]

    @classmethod
    def of(cls, bar: Bar) -> BarOut:
        return cls.build(bar)


class SupervisorOut(Out):
    id: UUID
    version: int
    jurisdiction: str
    district: str | None
    kind: str
    institution_id: str | None
    name: str
    subject: str
    card_number: str
    certified_on: date
    card_valid_until: date | None
    card_articles: list[str]
    terms: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    suspension: dict[str, Any] | None
    decertified: dict[str, Any] | None
    conflicts: list[dict[str, Any]]
    assignable_on: date = Field(description="the day the bars below were computed for")
    bars: list[BarOut] = Field(description="why no assignment is possible that day")

    @classmethod
    def of(cls, sup: Supervisor, policy: SupervisionPolicy, today: date) -> SupervisorOut:
        return cls.build(
            sup,
            reviews=sorted((dict(r) for r in sup.reviews), key=lambda r: int(r["year"])),
            conflicts=[{"institution_id": k, **v} for k, v in sorted(sup.conflicts.items())],
            assignable_on=today,
            bars=sup.bars(today, policy),
        )


class AssignmentOut(Out):
    id: UUID
    version: int
    number: int
    institution_id: str
    institution_name: str
    jurisdiction: str
    district: str
    kind: str
    supervisors: list[str]
    made_on: date
    starts_on: date
    sessions: list[dict[str, Any]]
    matters: list[str]
    campaign_id: str | None
    withdrawn: dict[str, Any] | None
    visits: list[dict[str, Any]]

    @classmethod
    def of(cls, a: Assignment) -> AssignmentOut:
        return cls.build(a)


class VisitFindingOut(BaseModel):
    finding_id: str | None = Field(description="the finding in the institution's file")
    rule_id: str
    severity: str
    occurred_on: date
    facts: str


class VisitOut(Out):
    id: UUID
    version: int
    assignment_id: str
    institution_id: str
    jurisdiction: str
    district: str
    kind: str
    mode: str
    visited_on: date
    supervisors: list[str]
    sessions: list[dict[str, Any]]
    checked: list[str]
    findings: list[VisitFindingOut]
    summary: str

    @classmethod
    def of(cls, v: SupervisionVisit) -> VisitOut:
        ids: list[str | None] = [*v.finding_ids] or [None] * len(v.findings)
        return cls.build(
            v,
            findings=[{"finding_id": fid, **f} for fid, f in zip(ids, v.findings, strict=True)],
        )


class CampaignOut(Out):
    id: UUID
    version: int
    reference: str
    title: str
    jurisdiction: str
    district: str | None
    kind: str
    matters: list[str]
    institution_kinds: list[str]
    occupations: list[str]
    supervisor_district: str | None
    target_count: int
    group_size: int
    max_targets_per_supervisor: int
    planned_on: date
    opened_on: date
    drawn_on: date | None
    published_on: date | None
    draw: dict[str, Any] | None = Field(
        description="the recorded draw: seed, pools, exclusions with reasons, targets"
    )

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        return cls.build(c, draw=c.drawn)


class DrawnTargetOut(BaseModel):
    institution: str
    supervisors: list[str]


class VerificationOut(Out):
    campaign_id: UUID
    algorithm: str
    seed: str
    matches: bool
    differences: list[str]
    recomputed: list[DrawnTargetOut]

    @classmethod
    def of(cls, cid: UUID, published: dict[str, Any], check: DrawCheck) -> VerificationOut:
        return cls.build(
            check,
            campaign_id=cid,
            algorithm=str(published["algorithm"]),
            seed=str(published["seed"]),
            recomputed=check.recomputed.targets,
        )


class OpinionRequest(Dated):
    """The opinion letter (质量督导意见书) that closes a special supervision."""

    opinions: list[Text] = Field(min_length=1, max_length=ITEMS)
    report_days: int = Field(default=30, ge=1, le=180, description="days to the report")
