"""Deciders of who is in charge: the officer of the whole file and of each work item.

A work item is a finding, a case, a rectification (keyed by its decision) or an appeal;
``file`` is the institution's file as a whole (its filing dates: renewal, expiry, lapse,
and any item that has no officer of its own). The first assignment records
``OfficerAssigned``; a later one to somebody else records ``OfficerReassigned`` with from,
to and the reason, which a reassignment must give. An officer is named by the subject of
a regulator's token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.deciders.common import NewEvent, new
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import OfficerAssigned, OfficerReassigned
from domain.state import InstitutionState, officer_key

#: The kinds of work item an officer is assigned to.
ITEM_KINDS = ("file", "finding", "case", "rectification", "appeal")


@dataclass(frozen=True)
class AssignOfficer:
    on: date
    item_kind: str
    item_id: str
    officer: str
    reason: str = ""


def item_exists(state: InstitutionState, item_kind: str, item_id: str) -> bool:
    if item_kind == "file":
        return item_id == "" and bool(state.credit_code)
    if item_kind == "finding":
        return item_id in state.findings
    if item_kind == "case":
        return item_id in state.cases
    if item_kind == "rectification":
        decision = state.decisions.get(item_id)
        return decision is not None and decision.rectification is not None
    if item_kind == "appeal":
        return item_id in state.appeals
    return False


def officer_of(state: InstitutionState, item_kind: str, item_id: str) -> str | None:
    """The officer of the item itself, or None."""
    return state.officers.get(officer_key(item_kind, item_id))


def officer_in_charge(state: InstitutionState, item_kind: str, item_id: str) -> str | None:
    """Who answers for the item: its own officer, else (a rectification) its case's, else
    the file's."""
    own = officer_of(state, item_kind, item_id)
    if own is not None:
        return own
    if item_kind == "rectification":
        decision = state.decisions.get(item_id)
        if decision is not None and (case := officer_of(state, "case", decision.case_id)):
            return case
    return officer_of(state, "file", "")


def assign_officer(state: InstitutionState, command: AssignOfficer) -> list[NewEvent]:
    c = command
    if c.item_kind not in ITEM_KINDS:
        raise InvalidInput(
            f"an item is one of {', '.join(ITEM_KINDS)}, not {c.item_kind!r}", field="item_kind"
        )
    if not item_exists(state, c.item_kind, c.item_id):
        what = "the file" if c.item_kind == "file" else f"{c.item_kind} {c.item_id!r}"
        raise NotFound(f"no {what} on this record", field="item_id")
    officer = c.officer.strip()
    if not officer:
        raise InvalidInput("an officer is named", field="officer")
    current = officer_of(state, c.item_kind, c.item_id)
    if current is None:
        return [
            new(
                OfficerAssigned,
                c.on,
                item_kind=c.item_kind,
                item_id=c.item_id,
                officer=officer,
                reason=c.reason.strip(),
            )
        ]
    if current == officer:
        raise Conflict(
            f"{c.item_kind} {c.item_id} is already assigned to {officer}", field="officer"
        )
    if not c.reason.strip():
        raise InvalidInput("a reassignment states its reason", field="reason")
    return [
        new(
            OfficerReassigned,
            c.on,
            item_kind=c.item_kind,
            item_id=c.item_id,
            from_officer=current,
            to_officer=officer,
            reason=c.reason.strip(),
        )
    ]
