"""The officer step's view: the record's work items and who is in charge of each."""

from __future__ import annotations

from dataclasses import dataclass

from domain.access import Principal
from domain.application import OversightApplication
from domain.deciders.officers import officer_in_charge, officer_of
from domain.state import InstitutionState
from projections.workbench import Desk, Target, _desk, parse_id


@dataclass(frozen=True)
class OfficerItem:
    """One item an officer may be assigned to: its form value ``kind:id``."""

    kind: str
    item_id: str
    #: Its own officer, or None.
    officer: str | None
    #: Who answers for it now (its own, its case's, the file's).
    in_charge: str | None

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.item_id}"


@dataclass(frozen=True)
class OfficerDesk:
    desk: Desk
    items: tuple[OfficerItem, ...]

    @property
    def institution(self) -> Target:
        return self.desk.institution


def _item(state: InstitutionState, kind: str, item_id: str) -> OfficerItem:
    return OfficerItem(
        kind, item_id, officer_of(state, kind, item_id), officer_in_charge(state, kind, item_id)
    )


def officer_desk(app: OversightApplication, principal: Principal, iid: str) -> OfficerDesk:
    """The file and its open work items, for a caller who may decide on the record."""
    inst = app.records.institution(principal, parse_id(iid))
    principal.require("decide", inst.jurisdiction, inst.district, inst.id)
    desk = _desk(inst, app.ledger.today())
    state = inst.state
    items = [_item(state, "file", "")]
    items += [_item(state, "finding", f.finding_id) for f in desk.open_findings]
    items += [_item(state, "case", c.case_id) for c in desk.cases if c.step != "served"]
    items += [
        _item(state, "rectification", d.decision_id)
        for d in desk.decisions
        if d.rectification in ("ordered", "reported", "overdue") and not d.rescinded
    ]
    items += [_item(state, "appeal", a.appeal_id) for a in desk.appeals if a.outcome is None]
    return OfficerDesk(desk, tuple(items))
