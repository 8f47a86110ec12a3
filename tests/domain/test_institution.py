"""The filing lifecycle (rules-digest §1) as given events → when command → then events."""

from __future__ import annotations

from typing import Any

import pytest

from domain.creditcode import make_credit_code
from domain.deciders import filing
from domain.deciders.common import NewEvent
from domain.errors import Conflict, InvalidInput, RuleRefusal
from domain.institution import FilingApplication, Institution, institution_id
from domain.rulebook import default_catalogue
from domain.state import plain
from tests.gwt import Step, d, given, stamp, step

CHENGDU = default_catalogue().get("chengdu-2024")
CODE = make_credit_code("91510104MA61X2Y3K")
WIDER = [{"occupation": "4-03-02-01", "levels": [2, 3, 4, 5]}]


def application(**overrides: Any) -> FilingApplication:
    values: dict[str, Any] = {
        "credit_code": CODE,
        "name": "成都天府职业技能评价中心",
        "kind": "social_org",
        "jurisdiction": "chengdu",
        "district": "锦江区",
        "address": "成都市锦江区东大街100号",
        "scope": [{"occupation": "4-03-02-01", "levels": [5, 4, 3]}],
        "test_sites": ["东大街考点"],
        "legal_representative": "王某",
        "contact": {"name": "李某", "phone": "028-00000000"},
    }
    values.update(overrides)
    return FilingApplication(**values)


def submitted(on: str = "2024-03-01") -> NewEvent:
    return filing.submit(filing.Submit(application(), d(on)))


def approved(on: str) -> Step:
    return step(filing.approve, filing.Approve(d(on), CHENGDU))


def renewal_requested(on: str) -> Step:
    return step(filing.request_renewal, filing.RequestRenewal(d(on), CHENGDU))


def advanced_to(today: str) -> Step:
    return step(filing.advance_to, filing.AdvanceTo(d(today), CHENGDU))


def scope_change_requested(on: str, change_id: str, sites: list[str]) -> Step:
    command = filing.RequestScopeChange(d(on), change_id, WIDER, sites, "增加二级")
    return step(filing.request_scope_change, command)


def test_submission_derives_the_id_from_jurisdiction_and_credit_code() -> None:
    inst = Institution.submit(application(), d("2024-03-01"), stamp())
    assert inst.id == institution_id("chengdu", CODE)
    assert inst.status == "submitted"
    assert inst.scope == [{"occupation": "4-03-02-01", "levels": [3, 4, 5]}]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("credit_code", CODE[:-1] + ("0" if CODE[-1] != "0" else "1"), "check character"),
        ("credit_code", "12345", "18 characters"),
        ("credit_code", "91510104MA61X2Y3KI", "outside GB 32100-2015"),
        ("kind", "school", "kind must be"),
        ("scope", [{"occupation": "4-3-2", "levels": [3]}], "occupation code"),
        ("scope", [{"occupation": "4-03-02-01", "levels": [6]}], "1-5"),
        ("test_sites", [], "at least one site"),
    ],
)
def test_bad_application_is_refused_naming_the_field(field: str, value: Any, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Institution.submit(application(**{field: value}), d("2024-03-01"), stamp())
    assert refused.value.field is not None
    assert refused.value.field.startswith(field)
    assert reason in refused.value.detail


def test_approval_grants_three_years_of_validity() -> None:
    (
        given(submitted())
        .when(approved("2024-03-15"))
        .then("FilingApproved", valid_from=d("2024-03-15"), valid_until=d("2027-03-14"))
        .state(status="active")
    )


def test_approval_records_the_rulebook_it_used() -> None:
    outcome = given(submitted()).when(approved("2024-03-15"))
    assert outcome.events[0].rulebook == CHENGDU.ref


def test_renewal_is_refused_before_the_window_opens_citing_the_article() -> None:
    # Valid until 2027-03-14: the window opens three months before expiry, on 2026-12-15.
    (
        given(submitted(), approved("2024-03-15"))
        .when(renewal_requested("2026-12-14"))
        .then_refused(RuleRefusal, article="chengdu-2024/14", field="occurred_on")
    )


def test_renewal_on_the_first_day_of_the_window_is_accepted() -> None:
    (
        given(submitted(), approved("2024-03-15"))
        .when(renewal_requested("2026-12-15"))
        .then("RenewalRequested", late=False)
    )


def test_renewal_approval_extends_validity_by_three_years_from_the_old_end() -> None:
    (
        given(submitted(), approved("2024-03-15"), renewal_requested("2027-01-10"))
        .when(filing.approve_renewal, filing.ApproveRenewal(d("2027-02-01"), CHENGDU))
        .then("RenewalApproved", valid_until=d("2030-03-14"))
        .state(status="active", renewal_requested_on=None)
    )


def test_expiry_then_lapse_two_months_later_each_once() -> None:
    inst = Institution.submit(application(), d("2024-03-01"), stamp())
    inst.approve(d("2024-03-15"), stamp(day="2024-03-15"), CHENGDU)
    inst.collect_events()
    assert inst.advance_to(d("2027-03-14"), stamp(), CHENGDU) == []
    assert inst.advance_to(d("2027-03-15"), stamp(), CHENGDU) == ["FilingExpired"]
    assert inst.advance_to(d("2027-03-15"), stamp(), CHENGDU) == []
    assert inst.advance_to(d("2027-05-14"), stamp(), CHENGDU) == []
    assert inst.advance_to(d("2027-05-15"), stamp(), CHENGDU) == ["FilingLapsed"]
    assert inst.advance_to(d("2028-01-01"), stamp(), CHENGDU) == []
    assert inst.status == "lapsed"
    events = inst.collect_events()
    assert [e.occurred_on for e in events] == [d("2027-03-15"), d("2027-05-15")]


def test_a_late_renewal_request_in_the_grace_period_stops_the_lapse() -> None:
    file = given(submitted(), approved("2024-03-15"), advanced_to("2027-03-20"))
    file.when(renewal_requested("2027-04-01")).then("RenewalRequested", late=True)
    file.when(advanced_to("2027-06-01")).then().state(status="expired")


def test_renewal_after_the_lapse_date_is_refused() -> None:
    (
        given(submitted(), approved("2024-03-15"), advanced_to("2027-03-20"))
        .when(renewal_requested("2027-05-15"))
        .then_refused(RuleRefusal, article="chengdu-2024/14")
    )


def test_resubmission_while_a_filing_is_open_names_the_existing_record() -> None:
    refused = (
        given(submitted(), approved("2024-03-15"))
        .when(filing.resubmit, filing.Resubmit(application(), d("2024-05-01")))
        .then_refused(Conflict, field="credit_code")
    )
    assert isinstance(refused, Conflict)
    assert refused.existing == str(institution_id("chengdu", CODE))


def test_resubmission_after_rejection_continues_the_same_history() -> None:
    (
        given(submitted(), step(filing.reject, filing.Reject(d("2024-03-10"), "材料不全")))
        .when(filing.resubmit, filing.Resubmit(application(name="新名称"), d("2024-04-01")))
        .then("FilingResubmitted", name="新名称")
        .state(status="submitted")
    )


def test_details_change_accepts_only_basic_details() -> None:
    (
        given(submitted(), approved("2024-03-15"))
        .when(filing.change_details, filing.ChangeDetails(d("2024-04-01"), {"scope": []}))
        .then_refused(InvalidInput, field="scope")
    )
    (
        given(submitted(), approved("2024-03-15"))
        .when(filing.change_details, filing.ChangeDetails(d("2024-04-01"), {"address": "新地址"}))
        .then("DetailsChanged", changes={"address": "新地址"})
        .state(address="新地址")
    )


def test_scope_change_applies_only_when_approved() -> None:
    file = given(
        submitted(), approved("2024-03-15"), scope_change_requested("2024-06-01", "SC-3", ["A"])
    )
    assert plain(file.ledger.state.scope) == [{"occupation": "4-03-02-01", "levels": [3, 4, 5]}]
    (
        file.when(
            filing.approve_scope_change,
            filing.ApproveScopeChange(d("2024-07-01"), "SC-3", CHENGDU),
        )
        .then("ScopeChangeApproved", change_id="SC-3")
        .state(scope=WIDER, test_sites=["A"], pending_scope_change=None)
    )


def test_a_second_scope_change_waits_for_the_first() -> None:
    (
        given(
            submitted(),
            approved("2024-03-15"),
            scope_change_requested("2024-06-01", "SC-3", ["A"]),
        )
        .when(scope_change_requested("2024-06-02", "SC-4", ["B"]))
        .then_refused(Conflict)
    )


def test_cancellation_ends_an_active_filing_and_releases_its_places() -> None:
    outcome = (
        given(submitted(), approved("2024-03-15"))
        .when(filing.cancel, filing.Cancel(d("2025-01-01"), "自愿终止"))
        .then("FilingCancelled")
        .state(status="cancelled")
    )
    assert not outcome.ledger.state.holds_scope()


def test_every_event_carries_both_clocks_and_its_author() -> None:
    inst = Institution.submit(application(), d("2024-03-01"), stamp(day="2024-03-01"))
    event = inst.collect_events()[0]
    assert event.occurred_on == d("2024-03-01")
    assert event.timestamp.tzinfo is not None
    assert (event.actor, event.role, event.request_id) == ("regulator.li", "regulator", "req-test")


def test_the_aggregate_records_what_the_deciders_decide() -> None:
    inst = Institution.submit(application(), d("2024-03-01"), stamp(day="2024-03-01"))
    inst.approve(d("2024-03-15"), stamp(day="2024-03-15"), CHENGDU)
    inst.request_renewal(d("2027-01-10"), stamp(day="2027-01-10"), CHENGDU)
    recorded = inst.collect_events()
    file = given(submitted(), approved("2024-03-15"), renewal_requested("2027-01-10")).ledger
    assert [(type(e), e.occurred_on) for e in recorded] == [
        (type(e), e.occurred_on) for e in file.events
    ]
    assert inst.state == file.state
