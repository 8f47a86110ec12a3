"""The officer decider: given a file → when an officer is assigned → then the events."""

from __future__ import annotations

from domain.deciders import cases
from domain.deciders.common import new
from domain.deciders.officers import AssignOfficer, assign_officer, officer_in_charge
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import OfficerAssigned, OfficerReassigned
from tests.gwt import Ledger, d, filed, given, step


def _case(ledger: Ledger) -> None:
    finding_id = ledger.finding("25.1", "2024-04-01")
    assert finding_id == "F1"
    ledger.run(cases.open_case, cases.OpenCase(d("2024-04-02"), "C-1", [finding_id]))


def assign(
    kind: str, item: str, officer: str, reason: str = "", on: str = "2024-04-03"
) -> AssignOfficer:
    return AssignOfficer(d(on), kind, item, officer, reason)


def test_a_first_assignment_records_the_officer() -> None:
    (
        given(filed("hunan-2023"), _case)
        .when(assign_officer, assign("case", "C-1", " li.wei "))
        .then(
            new(
                OfficerAssigned,
                d("2024-04-03"),
                item_kind="case",
                item_id="C-1",
                officer="li.wei",
                reason="",
            )
        )
        .state(officers={"case:C-1": "li.wei"})
    )


def test_a_reassignment_records_from_and_to_with_its_reason() -> None:
    (
        given(filed("hunan-2023"), _case, step(assign_officer, assign("case", "C-1", "li.wei")))
        .when(assign_officer, assign("case", "C-1", "zhao.min", "李伟休假", on="2024-04-10"))
        .then(
            new(
                OfficerReassigned,
                d("2024-04-10"),
                item_kind="case",
                item_id="C-1",
                from_officer="li.wei",
                to_officer="zhao.min",
                reason="李伟休假",
            )
        )
        .state(officers={"case:C-1": "zhao.min"})
    )


def test_a_reassignment_without_a_reason_is_refused() -> None:
    (
        given(filed("hunan-2023"), _case, step(assign_officer, assign("case", "C-1", "li.wei")))
        .when(assign_officer, assign("case", "C-1", "zhao.min"))
        .then_refused(InvalidInput, field="reason")
    )


def test_assigning_the_officer_already_in_charge_is_refused() -> None:
    (
        given(filed("hunan-2023"), _case, step(assign_officer, assign("case", "C-1", "li.wei")))
        .when(assign_officer, assign("case", "C-1", "li.wei", "again"))
        .then_refused(Conflict, field="officer")
    )


def test_an_item_that_does_not_exist_is_refused() -> None:
    given(filed("hunan-2023")).when(assign_officer, assign("case", "C-9", "li.wei")).then_refused(
        NotFound, field="item_id"
    )


def test_an_unknown_kind_or_an_empty_officer_is_refused() -> None:
    given(filed("hunan-2023")).when(assign_officer, assign("ticket", "1", "li.wei")).then_refused(
        InvalidInput, field="item_kind"
    )
    given(filed("hunan-2023")).when(assign_officer, assign("file", "", "  ")).then_refused(
        InvalidInput, field="officer"
    )


def test_the_file_officer_answers_for_items_without_their_own() -> None:
    then = given(
        filed("hunan-2023"), _case, step(assign_officer, assign("file", "", "wang.fang"))
    ).when(assign_officer, assign("finding", "F1", "li.wei"))
    state = then.ledger.state
    assert officer_in_charge(state, "finding", "F1") == "li.wei"
    assert officer_in_charge(state, "case", "C-1") == "wang.fang"
    assert officer_in_charge(state, "rectification", "D-1") == "wang.fang"


def test_the_case_officer_answers_for_the_rectification_its_decision_ordered() -> None:
    ledger = given(filed("hunan-2023")).ledger
    decision_id = ledger.decide(ledger.finding("26.7", "2024-04-01"), "2024-04-20")
    case_id = ledger.state.decisions[decision_id].case_id
    ledger.run(assign_officer, assign("case", case_id, "li.wei", on="2024-04-21"))
    assert ledger.state.decisions[decision_id].rectification is not None
    assert officer_in_charge(ledger.state, "rectification", decision_id) == "li.wei"
    ledger.run(assign_officer, assign("rectification", decision_id, "zhao.min", on="2024-04-22"))
    assert officer_in_charge(ledger.state, "rectification", decision_id) == "zhao.min"
