"""Every event of the ledger: frozen, past tense, with a business date and an author.

Each event carries two clocks: ``occurred_on`` (the business date: the conduct, the
decision, the approval) and ``timestamp`` (the instant the store recorded it). Each also
carries who caused it (``actor``, ``role``, ``request_id``) and its link in the aggregate's
hash chain (``prev_hash``, ``chain_hash``).

These classes are a published schema: their module and name are stored with every event.
Never rename or move one without registering its old topic; change a shape with
``class_version`` and an upcaster.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from eventsourcing.domain import Aggregate


class ScopeLine(TypedDict):
    occupation: str  # national occupation classification code, e.g. "4-07-05-04"
    levels: list[int]  # 1 (一级/高级技师) … 5 (五级/初级工)


class Contact(TypedDict):
    name: str
    phone: str


class LedgerEvent(Aggregate.Event):
    """Base of every event: both clocks, the author, the chain link."""

    occurred_on: date
    actor: str
    role: str
    request_id: str
    prev_hash: str
    chain_hash: str

    def apply(self, aggregate: Any) -> None:
        aggregate.when(self)


class LedgerCreated(Aggregate.Created, LedgerEvent):
    """Base of the events that start an aggregate's history."""


# --- institution: filing lifecycle (rules-digest §1) -------------------------------------


class FilingSubmitted(LedgerCreated):
    credit_code: str
    name: str
    kind: str  # employer | social_org | technical_school
    jurisdiction: str
    district: str
    address: str
    scope: list[ScopeLine]
    test_sites: list[str]
    legal_representative: str
    contact: Contact


class FilingResubmitted(LedgerEvent):
    """A new application on an existing record (after rejection, cancellation, lapse or ban)."""

    name: str
    kind: str
    district: str
    address: str
    scope: list[ScopeLine]
    test_sites: list[str]
    legal_representative: str
    contact: Contact


class FilingApproved(LedgerEvent):
    receipt_number: str
    valid_from: date
    valid_until: date  # last day of validity
    rulebook: str  # rulebook ref used for the checks


class FilingRejected(LedgerEvent):
    reason: str


class DetailsChanged(LedgerEvent):
    changes: dict[str, Any]  # field -> new value; only name, address, district, contacts


class ScopeChangeRequested(LedgerEvent):
    change_id: str
    scope: list[ScopeLine]  # the whole scope asked for
    test_sites: list[str]
    reason: str


class ScopeChangeApproved(LedgerEvent):
    change_id: str
    rulebook: str


class ScopeChangeRejected(LedgerEvent):
    change_id: str
    reason: str


class RenewalRequested(LedgerEvent):
    late: bool  # after expiry, inside the grace period before lapse


class RenewalApproved(LedgerEvent):
    valid_until: date  # new last day of validity


class RenewalRejected(LedgerEvent):
    reason: str


class FilingExpired(LedgerEvent):
    valid_until: date


class FilingLapsed(LedgerEvent):
    expired_on: date
    articles: list[str]


class FilingCancelled(LedgerEvent):
    reason: str


# --- index and access aggregates ---------------------------------------------------------


class RosterOpened(LedgerCreated):
    jurisdiction: str
    occupation: str


class RosterHoldingSet(LedgerEvent):
    institution_id: str
    kind: str
    levels: list[int]  # empty: the institution no longer holds the occupation


class TokenIssued(LedgerCreated):
    token_hash: str
    subject: str
    role: str
    jurisdiction: str | None
    district: str | None
    institution_id: str | None
    note: str


class TokenRevoked(LedgerEvent):
    reason: str


class RegistryOpened(LedgerCreated):
    name: str


class RegistryEntryAdded(LedgerEvent):
    entry_id: str


class IdempotentRequestRecorded(LedgerCreated):
    fingerprint: str
    result: dict[str, Any]
