"""Request and response bodies for /api/v1/institutions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.base import Body as Body  # also importable from here, as before
from api.schemas.base import Out
from api.schemas.fields import (
    Address,
    BusinessDate,
    Code,
    Name,
    Occupation,
    Phone,
    SkillLevel,
    Text,
)
from domain.application import StoredEvent
from domain.events import ScopeLine
from domain.institution import FilingApplication, Institution
from domain.rulebook import Rulebook
from projections.queries import RegisterEntry


class ScopeLineIn(Body):
    occupation: Occupation
    levels: list[SkillLevel] = Field(min_length=1, max_length=5, examples=[[3, 4, 5]])

    def plain(self) -> ScopeLine:
        return {"occupation": self.occupation, "levels": sorted(set(self.levels))}


class ContactIn(Body):
    name: Name
    phone: Phone


class Dated(Body):
    occurred_on: BusinessDate | None = Field(
        default=None,
        description="Business date (Asia/Shanghai). Defaults to the day it is recorded.",
    )


#: How many occupations a filing may hold, and how many test sites.
SCOPE_LINES = 200
TEST_SITES = 100


class SubmitFilingRequest(Dated):
    credit_code: Code = Field(description="统一社会信用代码 (GB 32100-2015)")
    name: Name
    kind: Literal["employer", "social_org", "technical_school"]
    jurisdiction: Code = Field(examples=["chengdu"])
    district: Name
    address: Address
    scope: list[ScopeLineIn] = Field(min_length=1, max_length=SCOPE_LINES)
    test_sites: list[Name] = Field(min_length=1, max_length=TEST_SITES)
    legal_representative: Name
    contact: ContactIn

    def application(self) -> FilingApplication:
        """What the body files, as the domain takes it."""
        return FilingApplication(
            credit_code=self.credit_code,
            name=self.name,
            kind=self.kind,
            jurisdiction=self.jurisdiction,
            district=self.district,
            address=self.address,
            scope=[line.plain() for line in self.scope],
            test_sites=self.test_sites,
            legal_representative=self.legal_representative,
            contact={"name": self.contact.name, "phone": self.contact.phone},
        )


class ApproveFilingRequest(Dated):
    receipt_number: Code | None = None


class ReasonedRequest(Dated):
    reason: Text


class ChangeDetailsRequest(Dated):
    name: Name | None = None
    address: Address | None = None
    district: Name | None = None
    legal_representative: Name | None = None
    contact: ContactIn | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude={"occurred_on"})


class ScopeChangeRequest(Dated):
    scope: list[ScopeLineIn] = Field(min_length=1, max_length=SCOPE_LINES)
    test_sites: list[Name] = Field(min_length=1, max_length=TEST_SITES)
    reason: Text


class RenewalWindow(BaseModel):
    opens_on: date
    last_valid_day: date
    lapses_on: date


class InstitutionOut(Out):
    id: UUID
    version: int
    credit_code: str
    name: str
    kind: str
    jurisdiction: str
    district: str
    address: str
    status: str
    scope: list[dict[str, Any]]
    test_sites: list[str]
    legal_representative: str
    contact: dict[str, str]
    submitted_on: date
    receipt_number: str | None
    valid_from: date | None
    valid_until: date | None
    renewal_requested_on: date | None
    renewal_window: RenewalWindow | None
    pending_scope_change: dict[str, Any] | None

    @classmethod
    def of(cls, inst: Institution, rulebook: Rulebook | None) -> InstitutionOut:
        window = None
        if rulebook is not None and inst.valid_until is not None:
            opens, last, lapses = inst.renewal_window(rulebook)
            window = RenewalWindow(opens_on=opens, last_valid_day=last, lapses_on=lapses)
        return cls.build(inst, renewal_window=window)


class EventOut(Out):
    version: int
    type: str
    occurred_on: date = Field(description="business date")
    recorded_at: datetime = Field(description="when the store recorded it")
    actor: str
    role: str
    request_id: str
    data: dict[str, Any]

    @classmethod
    def of(cls, e: StoredEvent) -> EventOut:
        return cls.build(e, type=e.name)


class IntegrityOut(BaseModel):
    institution_id: UUID
    intact: bool
    events: int
    first_break_at: int | None = None
    reason: str | None = None


class RegisterItem(Out):
    """One row of the register (a read model: it may lag the record by a moment)."""

    id: UUID
    credit_code: str
    name: str
    kind: str
    jurisdiction: str
    district: str
    status: str
    suspended: bool
    receipt_number: str | None
    valid_from: date | None
    valid_until: date | None
    renewal_requested_on: date | None
    ban_until: date | None
    ban_indefinite: bool
    scope: list[dict[str, Any]]
    test_sites: list[str]
    version: int

    @classmethod
    def of(cls, entry: RegisterEntry) -> RegisterItem:
        return cls.build(
            entry,
            suspended=bool(entry.suspended_by),
            scope=[
                {"occupation": s.occupation, "levels": list(s.levels)} for s in entry.occupations
            ],
        )


class RegisterPage(BaseModel):
    items: list[RegisterItem]
    next_cursor: str | None = Field(description="pass back as ?cursor= for the next page")
    position: int = Field(description="the register's position in the event log")
