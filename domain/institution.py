"""The Institution aggregate: one evaluation institution's file in one jurisdiction.

The id is derived from (jurisdiction, credit code), so one credit code has one record per
jurisdiction whatever happens to its filings; a new application after a rejection,
cancellation or lapse continues the same history, which is what escalation needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import LedgerAggregate, Stamp
from domain.calendar import add_months, add_years
from domain.casework import CaseworkMixin, OpinionsMixin
from domain.creditcode import credit_code_problem
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

INSTITUTION_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:institution")
KINDS = ("employer", "social_org", "technical_school")
OCCUPATION_CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}(-\d{2})?$")
CHANGEABLE_DETAILS = ("name", "address", "district", "legal_representative", "contact")

Status = Literal["submitted", "active", "rejected", "expired", "lapsed", "cancelled", "revoked"]
OPEN_STATUSES: tuple[Status, ...] = ("submitted", "active", "expired")


def institution_id(jurisdiction: str, credit_code: str) -> UUID:
    return uuid5(INSTITUTION_NAMESPACE, f"{jurisdiction}:{credit_code.upper()}")


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


class Institution(CaseworkMixin, OpinionsMixin, LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.credit_code: str = ""
        self.name: str = ""
        self.kind: str = ""
        self.jurisdiction: str = ""
        self.district: str = ""
        self.address: str = ""
        self.scope: list[ScopeLine] = []
        self.test_sites: list[str] = []
        self.legal_representative: str = ""
        self.contact: Contact = {"name": "", "phone": ""}
        self.status: Status = "submitted"
        self.submitted_on: date = date.min
        self.receipt_number: str | None = None
        self.valid_from: date | None = None
        self.valid_until: date | None = None
        self.approvals: int = 0
        self.renewal_requested_on: date | None = None
        self.pending_scope_change: dict[str, Any] | None = None
        self.evaluations_reported: int = 0
        self._init_casework()

    # --- filing ---------------------------------------------------------------------------

    @classmethod
    def submit(cls, application: FilingApplication, on: date, stamp: Stamp) -> Institution:
        application.validate()
        return cls._start(
            FilingSubmitted,
            id=institution_id(application.jurisdiction, application.credit_code),
            stamp=stamp,
            occurred_on=on,
            credit_code=application.credit_code.upper(),
            name=application.name,
            kind=application.kind,
            jurisdiction=application.jurisdiction,
            district=application.district,
            address=application.address,
            scope=normalise_scope(application.scope),
            test_sites=sorted(set(application.test_sites)),
            legal_representative=application.legal_representative,
            contact=application.contact,
        )

    def _on_FilingSubmitted(self, e: FilingSubmitted) -> None:
        self.credit_code = e.credit_code
        self.jurisdiction = e.jurisdiction
        self.receipt_number = None
        self.valid_from = None
        self.valid_until = None
        self.approvals = 0
        self.evaluations_reported = 0
        self._take_application(e)

    def resubmit(self, application: FilingApplication, on: date, stamp: Stamp) -> None:
        application.validate()
        if self.banned_on(on):
            decision = self.decisions.get(self.ban_decision or "", {})
            until = "indefinitely" if self.ban_indefinite else f"until {self.ban_until}"
            raise RuleRefusal(
                f"credit code {self.credit_code} is banned from filing in {self.jurisdiction}"
                f" {until} by decision {self.ban_decision}",
                field="credit_code",
                articles=[str(a) for a in decision.get("articles", [])],
            )
        if self.status in OPEN_STATUSES:
            raise Conflict(
                f"credit code {self.credit_code} already has a {self.status} filing"
                f" in {self.jurisdiction}",
                existing=str(self.id),
                field="credit_code",
            )
        self._record(
            FilingResubmitted,
            stamp=stamp,
            occurred_on=on,
            name=application.name,
            kind=application.kind,
            district=application.district,
            address=application.address,
            scope=normalise_scope(application.scope),
            test_sites=sorted(set(application.test_sites)),
            legal_representative=application.legal_representative,
            contact=application.contact,
        )

    def _on_FilingResubmitted(self, e: FilingResubmitted) -> None:
        self._take_application(e)

    def _take_application(self, e: FilingSubmitted | FilingResubmitted) -> None:
        self.name = e.name
        self.kind = e.kind
        self.district = e.district
        self.address = e.address
        self.scope = [dict(line) for line in e.scope]  # type: ignore[misc]
        self.test_sites = list(e.test_sites)
        self.legal_representative = e.legal_representative
        self.contact = e.contact
        self.status = "submitted"
        self.submitted_on = e.occurred_on
        self.renewal_requested_on = None
        self.pending_scope_change = None

    def approve(
        self, on: date, stamp: Stamp, rulebook: Rulebook, receipt_number: str | None = None
    ) -> None:
        self._require_status("submitted", "approve a filing")
        if on < self.submitted_on:
            raise InvalidInput("approval cannot precede the submission", field="occurred_on")
        number = receipt_number or (
            f"{self.jurisdiction.upper()}-{on.year}-{self.credit_code}-{self.approvals + 1}"
        )
        self._record(
            FilingApproved,
            stamp=stamp,
            occurred_on=on,
            receipt_number=number,
            valid_from=on,
            valid_until=add_years(on, rulebook.filing.validity_years) - timedelta(days=1),
            rulebook=rulebook.ref,
        )

    def _on_FilingApproved(self, e: FilingApproved) -> None:
        self.status = "active"
        self.receipt_number = e.receipt_number
        self.valid_from = e.valid_from
        self.valid_until = e.valid_until
        self.approvals += 1

    def reject(self, on: date, stamp: Stamp, reason: str) -> None:
        self._require_status("submitted", "reject a filing")
        _require_reason(reason)
        self._record(FilingRejected, stamp=stamp, occurred_on=on, reason=reason)

    def _on_FilingRejected(self, e: FilingRejected) -> None:
        self.status = "rejected"

    def cancel(self, on: date, stamp: Stamp, reason: str) -> None:
        self._require_status(("submitted", "active", "expired"), "cancel a filing")
        _require_reason(reason)
        self._record(FilingCancelled, stamp=stamp, occurred_on=on, reason=reason)

    def _on_FilingCancelled(self, e: FilingCancelled) -> None:
        self.status = "cancelled"
        self.pending_scope_change = None
        self.renewal_requested_on = None

    # --- details and scope ----------------------------------------------------------------

    def change_details(self, on: date, stamp: Stamp, changes: dict[str, Any]) -> None:
        self._require_status(("submitted", "active", "expired"), "change details")
        unknown = sorted(set(changes) - set(CHANGEABLE_DETAILS))
        if unknown:
            raise InvalidInput(
                f"{unknown[0]} is not a basic detail (scope changes are requested separately)",
                field=unknown[0],
            )
        effective = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not effective:
            raise InvalidInput("nothing would change", field="changes")
        for key, value in effective.items():
            if isinstance(value, str) and not value.strip():
                raise InvalidInput(f"{key} must not be empty", field=key)
        self._record(DetailsChanged, stamp=stamp, occurred_on=on, changes=effective)

    def _on_DetailsChanged(self, e: DetailsChanged) -> None:
        for key, value in e.changes.items():
            setattr(self, key, value)

    def request_scope_change(
        self,
        on: date,
        stamp: Stamp,
        change_id: str,
        scope: list[ScopeLine],
        test_sites: list[str],
        reason: str,
    ) -> None:
        self._require_status("active", "request a scope change")
        if self.pending_scope_change is not None:
            raise Conflict(
                "a scope change is already pending",
                existing=str(self.pending_scope_change["change_id"]),
            )
        validate_scope(scope, test_sites)
        scope = normalise_scope(scope)
        if scope == self.scope and sorted(set(test_sites)) == self.test_sites:
            raise InvalidInput("the requested scope equals the filed one", field="scope")
        self._record(
            ScopeChangeRequested,
            stamp=stamp,
            occurred_on=on,
            change_id=change_id,
            scope=scope,
            test_sites=sorted(set(test_sites)),
            reason=reason,
        )

    def _on_ScopeChangeRequested(self, e: ScopeChangeRequested) -> None:
        self.pending_scope_change = {
            "change_id": e.change_id,
            "scope": [dict(line) for line in e.scope],
            "test_sites": list(e.test_sites),
            "requested_on": e.occurred_on,
            "reason": e.reason,
        }

    def _require_pending_change(self, change_id: str) -> dict[str, Any]:
        pending = self.pending_scope_change
        if pending is None or pending["change_id"] != change_id:
            raise Conflict(f"no pending scope change {change_id}", field="change_id")
        return pending

    def approve_scope_change(
        self, on: date, stamp: Stamp, change_id: str, rulebook: Rulebook
    ) -> None:
        self._require_pending_change(change_id)
        self._require_status("active", "approve a scope change")
        self._record(
            ScopeChangeApproved,
            stamp=stamp,
            occurred_on=on,
            change_id=change_id,
            rulebook=rulebook.ref,
        )

    def _on_ScopeChangeApproved(self, e: ScopeChangeApproved) -> None:
        assert self.pending_scope_change is not None
        self.scope = self.pending_scope_change["scope"]
        self.test_sites = self.pending_scope_change["test_sites"]
        self.pending_scope_change = None

    def reject_scope_change(self, on: date, stamp: Stamp, change_id: str, reason: str) -> None:
        self._require_pending_change(change_id)
        _require_reason(reason)
        self._record(
            ScopeChangeRejected, stamp=stamp, occurred_on=on, change_id=change_id, reason=reason
        )

    def _on_ScopeChangeRejected(self, e: ScopeChangeRejected) -> None:
        self.pending_scope_change = None

    # --- validity: renewal, expiry, lapse -------------------------------------------------

    def renewal_window(self, rulebook: Rulebook) -> tuple[date, date, date]:
        """(window opens, last valid day, lapse date) of the current validity."""
        if self.valid_until is None:
            raise Conflict("the filing has never been approved")
        end = self.valid_until + timedelta(days=1)
        return (
            add_months(end, -rulebook.filing.renewal_window_months),
            self.valid_until,
            add_months(end, rulebook.filing.lapse_after_months),
        )

    def request_renewal(self, on: date, stamp: Stamp, rulebook: Rulebook) -> None:
        self._require_status(("active", "expired"), "request a renewal")
        if self.renewal_requested_on is not None:
            raise Conflict(f"a renewal was already requested on {self.renewal_requested_on}")
        opens, last_day, lapses = self.renewal_window(rulebook)
        articles = rulebook.filing.renewal_articles
        if on < opens:
            raise RuleRefusal(
                f"the renewal window opens on {opens} ({rulebook.filing.renewal_window_months}"
                f" months before expiry on {last_day + timedelta(days=1)})",
                field="occurred_on",
                articles=articles,
            )
        if on >= lapses:
            raise RuleRefusal(
                f"the filing was deemed abandoned on {lapses}: file anew",
                field="occurred_on",
                articles=articles,
            )
        self._record(RenewalRequested, stamp=stamp, occurred_on=on, late=on > last_day)

    def _on_RenewalRequested(self, e: RenewalRequested) -> None:
        self.renewal_requested_on = e.occurred_on

    def approve_renewal(self, on: date, stamp: Stamp, rulebook: Rulebook) -> None:
        if self.renewal_requested_on is None:
            raise Conflict("no renewal has been requested")
        if on < self.renewal_requested_on:
            raise InvalidInput("approval cannot precede the request", field="occurred_on")
        assert self.valid_until is not None
        new_until = add_years(
            self.valid_until + timedelta(days=1), rulebook.filing.validity_years
        ) - timedelta(days=1)
        self._record(RenewalApproved, stamp=stamp, occurred_on=on, valid_until=new_until)

    def _on_RenewalApproved(self, e: RenewalApproved) -> None:
        self.valid_until = e.valid_until
        self.renewal_requested_on = None
        self.status = "active"

    def reject_renewal(self, on: date, stamp: Stamp, reason: str) -> None:
        if self.renewal_requested_on is None:
            raise Conflict("no renewal has been requested")
        _require_reason(reason)
        self._record(RenewalRejected, stamp=stamp, occurred_on=on, reason=reason)

    def _on_RenewalRejected(self, e: RenewalRejected) -> None:
        self.renewal_requested_on = None

    def advance_to(self, today: date, stamp: Stamp, rulebook: Rulebook) -> list[str]:
        """Record the expiry and lapse that are due by ``today``; names of events recorded.

        Running it again for the same or an earlier day records nothing: each transition
        is checked against the current state, which history has already changed.
        """
        recorded: list[str] = []
        if self.valid_until is None or self.status not in ("active", "expired"):
            return recorded
        _, last_day, lapses = self.renewal_window(rulebook)
        if self.status == "active" and today > last_day:
            # A renewal still under assessment does not stop the expiry; it stops the lapse.
            self._record(
                FilingExpired,
                stamp=stamp,
                occurred_on=last_day + timedelta(days=1),
                valid_until=last_day,
            )
            recorded.append("FilingExpired")
        if self.status == "expired" and today >= lapses and self.renewal_requested_on is None:
            self._record(
                FilingLapsed,
                stamp=stamp,
                occurred_on=lapses,
                expired_on=last_day + timedelta(days=1),
                articles=list(rulebook.filing.renewal_articles),
            )
            recorded.append("FilingLapsed")
        return recorded

    def _on_FilingExpired(self, e: FilingExpired) -> None:
        self.status = "expired"

    def _on_FilingLapsed(self, e: FilingLapsed) -> None:
        self.status = "lapsed"
        self.pending_scope_change = None

    # --- helpers --------------------------------------------------------------------------

    def holds_scope(self) -> bool:
        """Whether this record occupies places under the filing caps."""
        return self.status in ("active", "expired")

    def _require_status(self, allowed: str | tuple[str, ...], action: str) -> None:
        allowed_t = (allowed,) if isinstance(allowed, str) else allowed
        if self.status not in allowed_t:
            raise Conflict(
                f"cannot {action}: the filing is {self.status} (needs {' or '.join(allowed_t)})",
                existing=str(self.id),
            )


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidInput("a reason is required", field="reason")
