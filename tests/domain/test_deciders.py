"""The deciders alone: given recorded events → when a decider → then the events it decides.

No aggregate: the facts are events as they are recorded (``new(EventClass, date, ...)``),
folded into the state the decider reads; what it returns is compared whole.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.creditcode import make_credit_code
from domain.deciders import appeals, cases, effects, evidence, filing
from domain.deciders.common import NewEvent, new
from domain.errors import Conflict, InvalidInput, RuleRefusal
from domain.events import (
    AppealDecided,
    AppealFiled,
    Attachment,
    AttachmentsSubmitted,
    CaseDecided,
    CaseOpened,
    DecisionServed,
    DefenceSubmitted,
    DefenceWaived,
    EvaluationReported,
    FilingApproved,
    FilingExpired,
    FilingLapsed,
    FilingRevoked,
    FilingSubmitted,
    FindingRecorded,
    NoticeIssued,
    RectificationOrdered,
    RectificationReportSubmitted,
    RenewalRequested,
    ResultsVoided,
)
from domain.rulebook import default_catalogue
from tests.gwt import d, given

CHENGDU = default_catalogue().get("chengdu-2024")
CODE = make_credit_code("91510104MA61X2Y3K")
DUE_PROCESS = list(CHENGDU.due_process.articles)  # chengdu-2024/35
REQUIRED = {"level": 2, "article": "chengdu-2024/26.1", "actions": ["rectification"]}

# --- the facts, as recorded -----------------------------------------------------------------


def submitted(on: str = "2024-03-01") -> NewEvent:
    return new(
        FilingSubmitted,
        d(on),
        credit_code=CODE,
        name="成都天府职业技能评价中心",
        kind="social_org",
        jurisdiction="chengdu",
        district="锦江区",
        address="东大街100号",
        scope=[{"occupation": "4-03-02-01", "levels": [3, 4, 5]}],
        test_sites=["东大街考点"],
        legal_representative="王某",
        contact={"name": "李某", "phone": "028-00000000"},
    )


def approved(on: str = "2024-03-15", until: str = "2027-03-14") -> NewEvent:
    return new(
        FilingApproved,
        d(on),
        receipt_number=f"CHENGDU-2024-{CODE}-1",
        valid_from=d(on),
        valid_until=d(until),
        rulebook=CHENGDU.ref,
    )


def found(finding_id: str, on: str = "2024-04-01") -> NewEvent:
    return new(
        FindingRecorded,
        d(on),
        finding_id=finding_id,
        rule_id="chengdu-2024/20.1",
        severity="minor",
        source="inspection",
        reference="检查记录",
        facts="考务不规范",
        evidence=[],
        assessment={},
    )


def reported(batch_id: str, on: str = "2024-04-02") -> NewEvent:
    return new(
        EvaluationReported,
        d(on),
        batch_id=batch_id,
        occupation="4-03-02-01",
        level=4,
        site="东大街考点",
        territory="chengdu",
        candidates=20,
        unqualified_candidates=0,
        passed=18,
        paper_set_id="P-1",
        flags=[],
    )


def noticed(case_id: str, on: str = "2024-04-10", deadline: str = "2024-04-20") -> list[NewEvent]:
    return [
        new(CaseOpened, d(on), case_id=case_id, finding_ids=["F1"]),
        new(
            NoticeIssued,
            d(on),
            case_id=case_id,
            intended_level=2,
            intended_actions=["rectification"],
            facts="查明的事实",
            reasons="理由",
            legal_basis=["chengdu-2024/26.1"],
            defence_deadline=d(deadline),
            requirement=REQUIRED,
        ),
    ]


def decided(
    level: int = 2, actions: tuple[str, ...] = ("rectification",), **fields: Any
) -> NewEvent:
    values: dict[str, Any] = {
        "case_id": "C1",
        "decision_id": "D1",
        "level": level,
        "actions": list(actions),
        "articles": ["chengdu-2024/26.1"],
        "reasons": "决定理由",
        "deciding_body": "city",
        "requirement": REQUIRED,
        "below_requirement": False,
        "below_reason": "",
        "known_version": 6,
        "rectification_days": 20 if level == 2 else None,
        "ban_years": None,
        "ban_indefinite": False,
    }
    values.update(fields)
    return new(CaseDecided, d("2024-04-21"), **values)


def decide(level: int = 2, **fields: Any) -> cases.DecideCase:
    values: dict[str, Any] = {
        "on": d("2024-04-21"),
        "case_id": "C1",
        "decision_id": "D1",
        "level": level,
        "actions": ["rectification"] if level == 2 else [],
        "articles": ["chengdu-2024/26.1"],
        "reasons": "决定理由",
        "deciding_body": "city",
        "requirement": REQUIRED,
        "below_reason": "",
        "rectification_days": 20 if level == 2 else None,
        "ban_years": None,
        "ban_indefinite": False,
        "revocation_authority": CHENGDU.due_process.revocation_authority,
        "revocation_article": CHENGDU.due_process.revocation_authority_article,
        "due_process_articles": DUE_PROCESS,
        "known_version": 6,
    }
    values.update(fields)
    return cases.DecideCase(**values)


FILED = (submitted(), approved())

# --- the filing lifecycle -------------------------------------------------------------------


def test_approval_decides_the_receipt_and_three_years_of_validity() -> None:
    (
        given(submitted())
        .when(filing.approve, filing.Approve(d("2024-03-15"), CHENGDU))
        .then(approved("2024-03-15", until="2027-03-14"))
        .state(status="active", approvals=1)
    )


def test_renewal_request_inside_the_window_then_expiry_without_a_lapse() -> None:
    file = given(*FILED)
    file.when(filing.request_renewal, filing.RequestRenewal(d("2027-01-10"), CHENGDU)).then(
        new(RenewalRequested, d("2027-01-10"), late=False)
    )
    (
        file.when(filing.advance_to, filing.AdvanceTo(d("2027-06-01"), CHENGDU))
        .then(new(FilingExpired, d("2027-03-15"), valid_until=d("2027-03-14")))
        .state(status="expired")
    )


def test_expiry_and_lapse_due_together_are_decided_in_order() -> None:
    (
        given(*FILED)
        .when(filing.advance_to, filing.AdvanceTo(d("2027-05-15"), CHENGDU))
        .then(
            new(FilingExpired, d("2027-03-15"), valid_until=d("2027-03-14")),
            new(
                FilingLapsed,
                d("2027-05-15"),
                expired_on=d("2027-03-15"),
                articles=["chengdu-2024/14"],
            ),
        )
        .state(status="lapsed")
    )


def test_renewal_before_the_window_is_refused_citing_the_article() -> None:
    (
        given(*FILED)
        .when(filing.request_renewal, filing.RequestRenewal(d("2026-12-14"), CHENGDU))
        .then_refused(RuleRefusal, article="chengdu-2024/14", field="occurred_on")
    )


# --- a finding ------------------------------------------------------------------------------


def test_a_finding_is_recorded_as_decided() -> None:
    command = evidence.RecordFinding(
        d("2024-04-01"),
        finding_id="F1",
        rule_id="chengdu-2024/20.1",
        severity="minor",
        source="inspection",
        reference="检查记录",
        facts="考务不规范",
        evidence=[],
        assessment={},
    )
    given(*FILED).when(evidence.record_finding, command).then(found("F1"))


def test_a_finding_id_is_recorded_once() -> None:
    command = evidence.RecordFinding(
        d("2024-04-02"), "F1", "chengdu-2024/20.1", "minor", "inspection", "", "", [], {}
    )
    (given(*FILED, found("F1")).when(evidence.record_finding, command).then_refused(Conflict))


# --- notice, defence, decision --------------------------------------------------------------


def test_a_defence_inside_the_period_is_recorded() -> None:
    command = cases.SubmitDefence(d("2024-04-20"), "C1", "已整改", [])
    (
        given(*FILED, found("F1"), *noticed("C1", deadline="2024-04-20"))
        .when(cases.submit_defence, command)
        .then(new(DefenceSubmitted, d("2024-04-20"), case_id="C1", statement="已整改", evidence=[]))
    )


def test_a_defence_after_the_period_is_refused() -> None:
    command = cases.SubmitDefence(d("2024-04-21"), "C1", "已整改", [])
    (
        given(*FILED, found("F1"), *noticed("C1", deadline="2024-04-20"))
        .when(cases.submit_defence, command)
        .then_refused(RuleRefusal, field="occurred_on")
    )


def test_no_decision_without_a_notice_citing_due_process() -> None:
    opened = new(CaseOpened, d("2024-04-10"), case_id="C1", finding_ids=["F1"])
    (
        given(*FILED, found("F1"), opened)
        .when(cases.decide_case, decide())
        .then_refused(RuleRefusal, article=DUE_PROCESS[0], field="case_id")
    )


def test_no_decision_before_the_defence_period_ends_unless_heard() -> None:
    (
        given(*FILED, found("F1"), *noticed("C1", deadline="2024-04-25"))
        .when(cases.decide_case, decide())
        .then_refused(RuleRefusal, article=DUE_PROCESS[0], field="occurred_on")
    )
    waived = new(DefenceWaived, d("2024-04-12"), case_id="C1")
    (
        given(*FILED, found("F1"), *noticed("C1", deadline="2024-04-25"), waived)
        .when(cases.decide_case, decide(known_version=7))
        .then(decided(known_version=7))
    )


def test_a_decision_at_the_requirement_after_the_defence() -> None:
    defence = new(DefenceSubmitted, d("2024-04-15"), case_id="C1", statement="说明", evidence=[])
    (
        given(*FILED, found("F1"), *noticed("C1"), defence)
        .when(cases.decide_case, decide(known_version=7))
        .then(decided(known_version=7))
        .state(suspensions=[])
    )


def test_a_decision_below_the_requirement_needs_a_written_reason() -> None:
    history = (*FILED, found("F1"), *noticed("C1"))
    (
        given(*history)
        .when(cases.decide_case, decide(level=1, actions=["interview"]))
        .then_refused(RuleRefusal, article="chengdu-2024/26.1", field="below_reason")
    )
    (
        given(*history)
        .when(cases.decide_case, decide(level=1, actions=["interview"], below_reason="初犯"))
        .then(
            decided(
                level=1,
                actions=("interview",),
                below_requirement=True,
                below_reason="初犯",
            )
        )
    )


def test_a_revocation_by_a_body_below_the_one_named_is_refused_citing_it() -> None:
    command = decide(level=3, actions=["revocation"], deciding_body="district")
    (
        given(*FILED, found("F1"), *noticed("C1"))
        .when(cases.decide_case, command)
        .then_refused(RuleRefusal, article="chengdu-2024/28", field="deciding_body")
    )


# --- service and its effects ----------------------------------------------------------------


def test_serving_a_rectification_order_suspends_evaluation_and_voids_the_batch() -> None:
    command = effects.Serve(d("2024-04-22"), "C1", True, False, ["B1"])
    (
        given(
            *FILED,
            reported("B1"),
            found("F1"),
            *noticed("C1"),
            decided(actions=("rectification", "void_results")),
        )
        .when(effects.serve, command)
        .then(
            new(DecisionServed, d("2024-04-22"), case_id="C1", decision_id="D1"),
            new(
                ResultsVoided,
                d("2024-04-22"),
                decision_id="D1",
                batch_id="B1",
                certificates=[],
            ),
            new(
                RectificationOrdered,
                d("2024-04-22"),
                decision_id="D1",
                deadline=d("2024-04-22") + timedelta(days=20),
                suspended_from=d("2024-04-22"),
                public_announcement=True,
                abnormal_activity_list=False,
            ),
        )
        .state(suspensions=["D1"])
    )


def test_a_decision_is_not_served_before_it_is_made() -> None:
    (
        given(*FILED, found("F1"), *noticed("C1"), decided())
        .when(effects.serve, effects.Serve(d("2024-04-20"), "C1", False, False, []))
        .then_refused(InvalidInput, field="occurred_on")
    )


# --- appeals --------------------------------------------------------------------------------

SERVED_REVOCATION = (
    *FILED,
    found("F1"),
    *noticed("C1"),
    decided(level=3, actions=("revocation", "ban"), ban_years=3),
    new(DecisionServed, d("2024-04-22"), case_id="C1", decision_id="D1"),
    new(
        FilingRevoked,
        d("2024-04-22"),
        decision_id="D1",
        ban_until=date(2027, 4, 22),
        ban_indefinite=False,
    ),
    new(
        AppealFiled,
        d("2024-05-01"),
        appeal_id="A1",
        decision_id="D1",
        kind="reconsideration",
        grounds="事实不清",
    ),
)


def test_an_annulment_lifts_the_revocation_and_its_ban() -> None:
    command = appeals.DecideAppeal(d("2024-06-01"), "A1", "annulled", None, [], "复议撤销")
    outcome = (
        given(*SERVED_REVOCATION)
        .when(appeals.decide_appeal, command)
        .then(
            new(
                AppealDecided,
                d("2024-06-01"),
                appeal_id="A1",
                decision_id="D1",
                outcome="annulled",
                new_level=None,
                new_actions=[],
                reasons="复议撤销",
            )
        )
        .state(status="active", ban_until=None, ban_decision=None)
    )
    assert outcome.ledger.state.decisions["D1"].rescinded


def test_a_ban_refuses_a_new_filing_citing_the_decision() -> None:
    command = filing.Resubmit(
        filing.FilingApplication(
            CODE,
            "新名称",
            "social_org",
            "chengdu",
            "锦江区",
            "东大街100号",
            [{"occupation": "4-03-02-01", "levels": [4]}],
            ["东大街考点"],
            "王某",
            {"name": "李某", "phone": "1"},
        ),
        d("2025-01-01"),
    )
    (
        given(*SERVED_REVOCATION)
        .when(filing.resubmit, command)
        .then_refused(RuleRefusal, article="chengdu-2024/26.1", field="credit_code")
    )


# --- the rectification report and its files ---------------------------------------------

ORDERED = (
    *FILED,
    found("F1"),
    *noticed("C1"),
    decided(),
    new(DecisionServed, d("2024-04-22"), case_id="C1", decision_id="D1"),
    new(
        RectificationOrdered,
        d("2024-04-22"),
        decision_id="D1",
        deadline=d("2024-05-12"),
        suspended_from=d("2024-04-22"),
        public_announcement=False,
        abnormal_activity_list=False,
    ),
)
FILE: Attachment = {
    "sha256": "ab" * 32,
    "name": "整改报告.pdf",
    "size": 2048,
    "media_type": "application/pdf",
}


def test_a_report_with_files_records_them_right_after_it() -> None:
    command = effects.SubmitRectificationReport(d("2024-05-01"), "D1", "已整改", (FILE,))
    (
        given(*ORDERED)
        .when(effects.submit_rectification_report, command)
        .then(
            new(RectificationReportSubmitted, d("2024-05-01"), decision_id="D1", report="已整改"),
            new(AttachmentsSubmitted, d("2024-05-01"), decision_id="D1", attachments=[FILE]),
        )
        .state(attachments=[{**FILE, "decision_id": "D1", "submitted_on": d("2024-05-01")}])
    )


def test_a_report_without_files_records_the_report_alone() -> None:
    command = effects.SubmitRectificationReport(d("2024-05-01"), "D1", "已整改")
    given(*ORDERED).when(effects.submit_rectification_report, command).then(
        "RectificationReportSubmitted"
    ).state(attachments=[])


def test_a_file_sent_twice_or_without_its_hash_is_refused() -> None:
    for files in ((FILE, FILE), ({**FILE, "sha256": "not-a-hash"},), ({**FILE, "size": 0},)):
        command = effects.SubmitRectificationReport(d("2024-05-01"), "D1", "已整改", files)  # type: ignore[arg-type]
        given(*ORDERED).when(effects.submit_rectification_report, command).then_refused(
            InvalidInput, field="attachments"
        )
