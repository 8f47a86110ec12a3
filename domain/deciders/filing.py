"""Deciders of the filing lifecycle (rules-digest §1): submission, approval, details, scope,
renewal, expiry and lapse.

Each ``decide`` function takes the state and one command and returns the events to record,
or raises the refusal; none reads a clock or changes the state it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain.calendar import add_months, add_years
from domain.creditcode import credit_code_problem
from domain.deciders.common import NewEvent, new, require_reason, require_status
from domain.errors import Conflict, InvalidInput, RuleRefusal
from domain.events import (
    Contact,
    DetailsChanged,
    FilingApproved,
    FilingCancelled,
    FilingExpired,
    FilingLapsed,
    FilingRejected,
    FilingResubmitted,
    FilingSubmitted,
    RenewalApproved,
    RenewalRejected,
    RenewalRequested,
    ScopeChangeApproved,
    ScopeChangeRejected,
    ScopeChangeRequested,
    ScopeLine,
)
from domain.rulebook import Rulebook
from domain.state import OPEN_STATUSES, InstitutionState, PendingScopeChange

KINDS = ("employer", "social_org", "technical_school")
OCCUPATION_CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}(-\d{2})?$")
CHANGEABLE_DETAILS = ("name", "address", "district", "legal_representative", "contact")


@dataclass(frozen=True)
class FilingApplication:
    """What an applicant files: validated here, before any event exists."""

    credit_code: str
    name: str
    kind: str
    jurisdiction: str
    district: str
    address: str
    scope: list[ScopeLine]
    test_sites: list[str]
    legal_representative: str
    contact: Contact

    def validate(self) -> None:
        problem = credit_code_problem(self.credit_code)
        if problem:
            raise InvalidInput(f"credit_code {problem}", field="credit_code")
        if self.kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
        for name in ("name", "district", "address", "legal_representative"):
            if not str(getattr(self, name)).strip():
                raise InvalidInput(f"{name} must not be empty", field=name)
        validate_scope(self.scope, self.test_sites)

    def filed(self) -> dict[str, Any]:
        """The application's fields as a filing event records them."""
        return {
            "name": self.name,
            "kind": self.kind,
            "district": self.district,
            "address": self.address,
            "scope": normalise_scope(self.scope),
            "test_sites": sorted(set(self.test_sites)),
            "legal_representative": self.legal_representative,
            "contact": self.contact,
        }


def validate_scope(scope: list[ScopeLine], test_sites: list[str]) -> None:
    if not scope:
        raise InvalidInput("scope must name at least one occupation", field="scope")
    seen: set[str] = set()
    for i, line in enumerate(scope):
        if not OCCUPATION_CODE.match(line["occupation"]):
            raise InvalidInput(
                f"'{line['occupation']}' is not an occupation code like 4-07-05-04",
                field=f"scope.{i}.occupation",
            )
        if line["occupation"] in seen:
            raise InvalidInput(
                f"occupation {line['occupation']} appears twice", field=f"scope.{i}.occupation"
            )
        seen.add(line["occupation"])
        if not line["levels"] or any(lv not in (1, 2, 3, 4, 5) for lv in line["levels"]):
            raise InvalidInput("levels must be a non-empty set of 1-5", field=f"scope.{i}.levels")
    if not test_sites or any(not s.strip() for s in test_sites):
        raise InvalidInput("test_sites must name at least one site", field="test_sites")


def normalise_scope(scope: list[ScopeLine]) -> list[ScopeLine]:
    return sorted(
        ({"occupation": ln["occupation"], "levels": sorted(set(ln["levels"]))} for ln in scope),
        key=lambda ln: ln["occupation"],
    )


# --- submission, approval, rejection, cancellation --------------------------------------


@dataclass(frozen=True)
class Submit:
    application: FilingApplication
    on: date


def submit(command: Submit) -> NewEvent:
    """The first event of a record: nothing is known before it, so it reads no state."""
    application = command.application
    application.validate()
    return new(
        FilingSubmitted,
        command.on,
        credit_code=application.credit_code.upper(),
        jurisdiction=application.jurisdiction,
        **application.filed(),
    )


@dataclass(frozen=True)
class Resubmit:
    application: FilingApplication
    on: date


def resubmit(state: InstitutionState, command: Resubmit) -> list[NewEvent]:
    command.application.validate()
    if state.banned_on(command.on):
        decision = state.decisions.get(state.ban_decision or "")
        until = "indefinitely" if state.ban_indefinite else f"until {state.ban_until}"
        raise RuleRefusal(
            f"credit code {state.credit_code} is banned from filing in {state.jurisdiction}"
            f" {until} by decision {state.ban_decision}",
            field="credit_code",
            articles=[str(a) for a in (decision.articles if decision else ())],
        )
    if state.status in OPEN_STATUSES:
        raise Conflict(
            f"credit code {state.credit_code} already has {_a(state.status)} {state.status} filing"
            f" in {state.jurisdiction}",
            existing=str(state.id),
            field="credit_code",
        )
    return [new(FilingResubmitted, command.on, **command.application.filed())]


@dataclass(frozen=True)
class Approve:
    on: date
    rulebook: Rulebook
    receipt_number: str | None = None


def approve(state: InstitutionState, command: Approve) -> list[NewEvent]:
    require_status(state, "submitted", "approve a filing")
    on = command.on
    if on < state.submitted_on:
        raise InvalidInput("approval cannot precede the submission", field="occurred_on")
    number = command.receipt_number or (
        f"{state.jurisdiction.upper()}-{on.year}-{state.credit_code}-{state.approvals + 1}"
    )
    validity = command.rulebook.filing.validity_years
    return [
        new(
            FilingApproved,
            on,
            receipt_number=number,
            valid_from=on,
            valid_until=add_years(on, validity) - timedelta(days=1),
            rulebook=command.rulebook.ref,
        )
    ]


@dataclass(frozen=True)
class Reject:
    on: date
    reason: str


def reject(state: InstitutionState, command: Reject) -> list[NewEvent]:
    require_status(state, "submitted", "reject a filing")
    require_reason(command.reason)
    return [new(FilingRejected, command.on, reason=command.reason)]


@dataclass(frozen=True)
class Cancel:
    on: date
    reason: str


def cancel(state: InstitutionState, command: Cancel) -> list[NewEvent]:
    require_status(state, OPEN_STATUSES, "cancel a filing")
    require_reason(command.reason)
    return [new(FilingCancelled, command.on, reason=command.reason)]


# --- details and scope ------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeDetails:
    on: date
    changes: dict[str, Any]


def change_details(state: InstitutionState, command: ChangeDetails) -> list[NewEvent]:
    require_status(state, OPEN_STATUSES, "change details")
    changes = command.changes
    unknown = sorted(set(changes) - set(CHANGEABLE_DETAILS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a basic detail (scope changes are requested separately)",
            field=unknown[0],
        )
    effective = {k: v for k, v in changes.items() if getattr(state, k) != v}
    if not effective:
        raise InvalidInput("nothing would change", field="changes")
    for key, value in effective.items():
        if isinstance(value, str) and not value.strip():
            raise InvalidInput(f"{key} must not be empty", field=key)
    return [new(DetailsChanged, command.on, changes=effective)]


@dataclass(frozen=True)
class RequestScopeChange:
    on: date
    change_id: str
    scope: list[ScopeLine]
    test_sites: list[str]
    reason: str


def request_scope_change(state: InstitutionState, command: RequestScopeChange) -> list[NewEvent]:
    require_status(state, "active", "request a scope change")
    if state.pending_scope_change is not None:
        raise Conflict(
            "a scope change is already pending",
            existing=str(state.pending_scope_change.change_id),
        )
    validate_scope(command.scope, command.test_sites)
    scope = normalise_scope(command.scope)
    test_sites = sorted(set(command.test_sites))
    if scope == state.scope_lines() and test_sites == list(state.test_sites):
        raise InvalidInput("the requested scope equals the filed one", field="scope")
    return [
        new(
            ScopeChangeRequested,
            command.on,
            change_id=command.change_id,
            scope=scope,
            test_sites=test_sites,
            reason=command.reason,
        )
    ]


def _pending_change(state: InstitutionState, change_id: str) -> PendingScopeChange:
    pending = state.pending_scope_change
    if pending is None or pending.change_id != change_id:
        raise Conflict(f"no pending scope change {change_id}", field="change_id")
    return pending


@dataclass(frozen=True)
class ApproveScopeChange:
    on: date
    change_id: str
    rulebook: Rulebook


def approve_scope_change(state: InstitutionState, command: ApproveScopeChange) -> list[NewEvent]:
    _pending_change(state, command.change_id)
    require_status(state, "active", "approve a scope change")
    return [
        new(
            ScopeChangeApproved,
            command.on,
            change_id=command.change_id,
            rulebook=command.rulebook.ref,
        )
    ]


@dataclass(frozen=True)
class RejectScopeChange:
    on: date
    change_id: str
    reason: str


def reject_scope_change(state: InstitutionState, command: RejectScopeChange) -> list[NewEvent]:
    _pending_change(state, command.change_id)
    require_reason(command.reason)
    return [
        new(ScopeChangeRejected, command.on, change_id=command.change_id, reason=command.reason)
    ]


# --- validity: renewal, expiry, lapse ---------------------------------------------------


def renewal_window(state: InstitutionState, rulebook: Rulebook) -> tuple[date, date, date]:
    """(window opens, last valid day, lapse date) of the current validity."""
    if state.valid_until is None:
        raise Conflict("the filing has never been approved")
    end = state.valid_until + timedelta(days=1)
    return (
        add_months(end, -rulebook.filing.renewal_window_months),
        state.valid_until,
        add_months(end, rulebook.filing.lapse_after_months),
    )


@dataclass(frozen=True)
class RequestRenewal:
    on: date
    rulebook: Rulebook


def request_renewal(state: InstitutionState, command: RequestRenewal) -> list[NewEvent]:
    require_status(state, ("active", "expired"), "request a renewal")
    if state.renewal_requested_on is not None:
        raise Conflict(f"a renewal was already requested on {state.renewal_requested_on}")
    on, rules = command.on, command.rulebook.filing
    opens, last_day, lapses = renewal_window(state, command.rulebook)
    if on < opens:
        raise RuleRefusal(
            f"the renewal window opens on {opens} ({rules.renewal_window_months}"
            f" months before expiry on {last_day + timedelta(days=1)})",
            field="occurred_on",
            articles=rules.renewal_articles,
        )
    if on >= lapses:
        raise RuleRefusal(
            f"the filing was deemed abandoned on {lapses}: file anew",
            field="occurred_on",
            articles=rules.renewal_articles,
        )
    return [new(RenewalRequested, on, late=on > last_day)]


@dataclass(frozen=True)
class ApproveRenewal:
    on: date
    rulebook: Rulebook


def approve_renewal(state: InstitutionState, command: ApproveRenewal) -> list[NewEvent]:
    if state.renewal_requested_on is None:
        raise Conflict("no renewal has been requested")
    if command.on < state.renewal_requested_on:
        raise InvalidInput("approval cannot precede the request", field="occurred_on")
    assert state.valid_until is not None
    new_until = add_years(
        state.valid_until + timedelta(days=1), command.rulebook.filing.validity_years
    ) - timedelta(days=1)
    return [new(RenewalApproved, command.on, valid_until=new_until)]


@dataclass(frozen=True)
class RejectRenewal:
    on: date
    reason: str


def reject_renewal(state: InstitutionState, command: RejectRenewal) -> list[NewEvent]:
    if state.renewal_requested_on is None:
        raise Conflict("no renewal has been requested")
    require_reason(command.reason)
    return [new(RenewalRejected, command.on, reason=command.reason)]


@dataclass(frozen=True)
class AdvanceTo:
    today: date
    rulebook: Rulebook


def advance_to(state: InstitutionState, command: AdvanceTo) -> list[NewEvent]:
    """The expiry and lapse that are due by ``today``, in that order.

    Deciding again for the same or an earlier day decides nothing: each transition is
    checked against the state, which the events already recorded have changed.
    """
    if state.valid_until is None or state.status not in ("active", "expired"):
        return []
    _, last_day, lapses = renewal_window(state, command.rulebook)
    today, status = command.today, state.status
    decided: list[NewEvent] = []
    if status == "active" and today > last_day:
        # A renewal still under assessment does not stop the expiry; it stops the lapse.
        decided.append(new(FilingExpired, last_day + timedelta(days=1), valid_until=last_day))
        status = "expired"
    if status == "expired" and today >= lapses and state.renewal_requested_on is None:
        decided.append(
            new(
                FilingLapsed,
                lapses,
                expired_on=last_day + timedelta(days=1),
                articles=list(command.rulebook.filing.renewal_articles),
            )
        )
    return decided


def _a(word: str) -> str:
    """The English indefinite article for ``word``: "an active", "a submitted"."""
    return "an" if word[:1] in "aeiou" else "a"
