"""The sanction ladders as tables: every article item, every escalation rule, and their edges.

Each test builds an institution's file through the deciders (``tests.gwt``: business dates
are stated; the order of calls is the order of recording) and asks the engine what the
rulebook requires for one finding; calendar-year counts are in ``test_escalation_year``.
The detection rules (batches, complaints, inactivity, overdue rectifications) are tabled
in ``test_detection``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from domain.escalation import COUNTING_RULES, ESCALATION_RULES, Finding, actions_for, assess
from domain.history import EventRef, History
from domain.rulebook import default_catalogue
from tests.domain.histories import (
    INSTITUTION_RULEBOOKS,
    assert_explained,
    ground,
    rule_ids,
    sanction_items,
)
from tests.domain.test_escalation_year import THREE_IN_A_CALENDAR_YEAR
from tests.gwt import Ledger, filed, given, interview_held, record_finding, rulebook

# --- every item of every sanction article ----------------------------------------------------

EVERY_ITEM = [
    pytest.param(book_id, item, id=f"{book_id}/{item}")
    for book_id in INSTITUTION_RULEBOOKS
    for item in sanction_items(rulebook(book_id))
]


@pytest.mark.parametrize(("rulebook_id", "item"), EVERY_ITEM)
def test_a_lone_minor_breach_requires_its_items_level_and_its_articles_actions(
    rulebook_id: str, item: str
) -> None:
    book = rulebook(rulebook_id)
    cited = book.cite(item)
    conduct = date(2024, 6, 3)
    finding = Finding("F-1", cited, "minor", conduct, EventRef(2, "FindingRecorded", conduct))

    assessment = assess(History(), book, finding, as_of=conduct)

    assert assessment.level == book.level_of(item)
    assert assessment.article == cited
    assert (assessment.actions, assessment.ban_years) == actions_for(book.article_of(item).effects)
    assert [g.rule for g in assessment.grounds] == ["item"]
    assert_explained(assessment)


def test_every_item_table_reads_every_sanction_article_of_each_rulebook() -> None:
    assert set(INSTITUTION_RULEBOOKS) == {"hunan-2023", "chengdu-2024", "huangshi-2022"}
    counts = {b: len(sanction_items(rulebook(b))) for b in INSTITUTION_RULEBOOKS}
    assert counts == {"hunan-2023": 37, "chengdu-2024": 38, "huangshi-2022": 23}
    assert len(EVERY_ITEM) == sum(counts.values())


# --- serious_case ----------------------------------------------------------------------------

SERIOUS_CASE = [
    ("hunan-2023", "serious_minor_case", "25.4", "26.1"),
    ("chengdu-2024", "serious_minor_case", "30.6", "31.1"),
]


@pytest.mark.parametrize(("rulebook_id", "rule", "item", "required"), SERIOUS_CASE)
def test_a_serious_minor_breach_goes_straight_to_rectification(
    rulebook_id: str, rule: str, item: str, required: str
) -> None:
    book = rulebook(rulebook_id)
    assessment = (
        given(filed(rulebook_id))
        .when(record_finding(item, on="2024-06-03", severity="serious"))
        .then_requires(level=2, grounds=[book.cite(required)], evidence=[])
    )
    assert assessment.article == book.cite(required)
    assert "rectification" in assessment.actions
    assert rule_ids(assessment) == {rule}
    assert_explained(assessment)


@pytest.mark.parametrize(("rulebook_id", "rule", "item", "required"), SERIOUS_CASE)
def test_the_same_breach_when_minor_is_an_interview(
    rulebook_id: str, rule: str, item: str, required: str
) -> None:
    assessment = (
        given(filed(rulebook_id))
        .when(record_finding(item, on="2024-06-03", severity="minor"))
        .then_requires(level=1, grounds=[], evidence=[])
    )
    assert assessment.article == rulebook(rulebook_id).cite(item)
    assert assessment.actions == ("interview",)
    assert rule_ids(assessment) == set()


def test_huangshi_has_no_serious_case_rule_a_serious_art_14_breach_stays_an_interview() -> None:
    ledger = Ledger("huangshi-2022")
    finding = ledger.finding("14.3", "2024-06-03", severity="serious")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (1, "huangshi-2022/14.3")
    assert rule_ids(assessment) == set()


# --- recurrence_after_sanction: again after an interview -------------------------------------

AGAIN_AFTER_INTERVIEW = [
    # rulebook, rule, first breach, breach again (another item of the same article), required
    ("hunan-2023", "again_after_interview", "25.9", "25.3", "26.1"),
    ("chengdu-2024", "again_after_interview", "30.11", "30.4", "31.1"),
]
INTERVIEW_DECIDED, INTERVIEW_HELD = "2024-04-25", "2024-05-06"


def interviewed(rulebook_id: str, first: str) -> tuple[Ledger, str]:
    """A minor breach on 1 April, an interview decided on 25 April and held on 6 May."""
    ledger = Ledger(rulebook_id)
    decision = ledger.decide(ledger.finding(first, "2024-04-01"), INTERVIEW_DECIDED)
    ledger.interview(decision, INTERVIEW_HELD)
    return ledger, decision


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_INTERVIEW
)
@pytest.mark.parametrize(
    ("conduct_on", "level"),
    [
        pytest.param("2024-04-30", 1, id="after-the-decision-before-the-interview"),
        pytest.param("2024-05-05", 1, id="the-day-before-the-interview-recorded-after-it"),
        pytest.param("2024-05-06", 1, id="on-the-interview-day"),
        pytest.param("2024-05-07", 2, id="the-day-after-the-interview"),
        pytest.param("2026-05-07", 2, id="two-years-after-the-interview"),
    ],
)
def test_minor_breach_again_after_interview_requires_rectification(
    rulebook_id: str,
    rule: str,
    first: str,
    again: str,
    required: str,
    conduct_on: str,
    level: int,
) -> None:
    book = rulebook(rulebook_id)
    outcome = given(
        filed(rulebook_id),
        interview_held(
            first, found_on="2024-04-01", decided_on=INTERVIEW_DECIDED, on=INTERVIEW_HELD
        ),
    ).when(record_finding(again, on=conduct_on))  # recorded after the interview in every row
    (interview,) = outcome.ledger.state.decisions

    if level == 2:
        assessment = outcome.then_requires(
            level=2, grounds=[book.cite(required)], evidence=["case_decided", "interview_held"]
        )
        assert assessment.article == book.cite(required)
        assert rule_ids(assessment) == {rule}
        assert {e.type for e in ground(assessment, rule).events} == {
            "CaseDecided",
            "InterviewHeld",
            "FindingRecorded",
        }
        assert_explained(assessment, {rule: [interview]})
    else:
        assessment = outcome.then_requires(level=1, grounds=[], evidence=[])
        assert assessment.article == book.cite(again)
        assert rule_ids(assessment) == set()


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_INTERVIEW
)
def test_conduct_after_an_interview_is_again_even_when_the_interview_is_recorded_later(
    rulebook_id: str, rule: str, first: str, again: str, required: str
) -> None:
    ledger = Ledger(rulebook_id)
    decision = ledger.decide(ledger.finding(first, "2024-04-01"), INTERVIEW_DECIDED)
    finding = ledger.finding(again, "2024-06-01")
    ledger.interview(decision, INTERVIEW_HELD)  # recorded after the finding, held before it

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (2, ledger.rulebook.cite(required))
    assert_explained(assessment, {rule: [decision]})


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_INTERVIEW
)
def test_an_annulled_interview_never_counts(
    rulebook_id: str, rule: str, first: str, again: str, required: str
) -> None:
    ledger, interview = interviewed(rulebook_id, first)
    finding = ledger.finding(again, "2024-06-01")
    ledger.annul(interview, "2024-06-05")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (1, ledger.rulebook.cite(again))
    assert rule_ids(assessment) == set()


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_INTERVIEW
)
def test_the_interviews_own_breach_is_not_its_own_recurrence(
    rulebook_id: str, rule: str, first: str, again: str, required: str
) -> None:
    ledger, _ = interviewed(rulebook_id, first)
    first_finding = ledger.history().findings[0].finding_id

    assessment = ledger.assess(first_finding, as_of="2024-06-01")

    assert assessment.level == 1
    assert rule_ids(assessment) == set()


@pytest.mark.parametrize("recorded", ["in-the-order-decided", "the-later-decided-first"])
def test_of_two_interviews_held_the_same_day_the_later_decided_is_cited_whichever_is_recorded_first(
    recorded: str,
) -> None:
    ledger = Ledger("hunan-2023")
    earlier = ledger.decide(ledger.finding("25.1", "2024-04-01"), "2024-04-10")
    later = ledger.decide(ledger.finding("25.2", "2024-04-02"), "2024-04-20")
    both = (earlier, later) if recorded == "in-the-order-decided" else (later, earlier)
    for decision in both:
        ledger.interview(decision, INTERVIEW_HELD)
    finding = ledger.finding("25.3", "2024-06-01")

    behind = ground(ledger.assess(finding), "again_after_interview")

    assert later in behind.explanation_en
    assert earlier not in behind.explanation_en
    assert ("CaseDecided", date(2024, 4, 20)) in {(e.type, e.occurred_on) for e in behind.events}


def test_huangshi_has_no_again_after_interview_a_second_art_14_breach_stays_an_interview() -> None:
    ledger, _ = interviewed("huangshi-2022", "14.7")
    finding = ledger.finding("14.2", "2024-06-01")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (1, "huangshi-2022/14.2")
    assert rule_ids(assessment) == set()


# --- recurrence_after_sanction: again after a written notice (hunan-2023/27.1) ---------------

AGAIN_AFTER_WRITTEN_NOTICE = [("hunan-2023", "again_after_written_notice", "26.7", "26.2", "27.1")]
NOTICE_SERVED = "2024-04-25"


def noticed(first: str) -> tuple[Ledger, str]:
    """An Art. 26 breach on 1 April; the rectification notice decided and served on 25 April."""
    ledger = Ledger("hunan-2023")
    decision = ledger.decide(ledger.finding(first, "2024-04-01"), NOTICE_SERVED)
    return ledger, decision


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_WRITTEN_NOTICE
)
@pytest.mark.parametrize(
    ("conduct_on", "level"),
    [
        pytest.param("2024-04-24", 2, id="before-the-notice-found-after-it"),
        pytest.param("2024-04-25", 2, id="on-the-notice-day"),
        pytest.param("2024-04-26", 3, id="after-the-notice-rectification-still-open"),
    ],
)
def test_art_26_breach_again_after_a_written_notice_requires_revocation(
    rulebook_id: str,
    rule: str,
    first: str,
    again: str,
    required: str,
    conduct_on: str,
    level: int,
) -> None:
    ledger, notice = noticed(first)
    finding = ledger.finding(again, conduct_on)

    assessment = ledger.assess(finding)

    assert assessment.level == level
    if level == 3:
        assert assessment.article == ledger.rulebook.cite(required)
        assert {"revocation", "ban"} <= set(assessment.actions)
        assert assessment.ban_years is None  # 不再受理: an indefinite bar
        assert {e.type for e in ground(assessment, rule).events} >= {
            "CaseDecided",
            "RectificationOrdered",
        }
        assert_explained(assessment, {rule: [notice]})
    else:
        assert rule_ids(assessment) == set()


def test_hunan_written_notice_counts_whether_or_not_the_rectification_was_completed() -> None:
    ledger, notice = noticed("26.7")
    ledger.rectify(notice, "2024-05-20")
    finding = ledger.finding("26.3", "2024-07-01")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (3, "hunan-2023/27.1")


def test_a_rectification_notice_for_a_serious_art_25_breach_is_a_written_notice_too() -> None:
    ledger = Ledger("hunan-2023")
    serious = ledger.finding("25.6", "2024-04-01", severity="serious")
    notice = ledger.decide(serious, NOTICE_SERVED)
    finding = ledger.finding("26.5", "2024-06-01")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (3, "hunan-2023/27.1")
    assert_explained(assessment, {"again_after_written_notice": [notice]})


def test_an_annulled_written_notice_never_counts() -> None:
    ledger, notice = noticed("26.7")
    finding = ledger.finding("26.2", "2024-06-01")
    ledger.annul(notice, "2024-06-05")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (2, "hunan-2023/26.2")
    assert rule_ids(assessment) == set()


def test_late_rectification_of_a_notice_is_not_a_new_violation_of_that_notice() -> None:
    ledger, notice = noticed("26.7")
    overdue = ledger.overdue(notice)
    late = ledger.finding("26.6", ledger.deadline_of(notice), source="system", reference=notice)

    assessment = ledger.assess(late, as_of=overdue.occurred_on)

    assert (assessment.level, assessment.article) == (2, "hunan-2023/26.6")
    assert rule_ids(assessment) == set()


# --- recurrence_after_sanction: again after a completed rectification -------------------------

AGAIN_AFTER_COMPLETED_RECTIFICATION = [
    # rulebook, rule, first breach (level 2), breach again, required
    ("chengdu-2024", "again_after_rectification", "31.7", "31.5", "32.1"),
    ("huangshi-2022", "again_after_warning", "15.5", "15.4", "16.6"),
]
RECTIFICATION_ORDERED, RECTIFICATION_ACCEPTED = "2024-04-25", "2024-06-10"


def rectified(rulebook_id: str, first: str, *, accepted: bool = True) -> tuple[Ledger, str]:
    """A level-2 breach on 1 April, ordered to rectify on 25 April, accepted on 10 June."""
    ledger = Ledger(rulebook_id)
    decision = ledger.decide(ledger.finding(first, "2024-04-01"), RECTIFICATION_ORDERED)
    if accepted:
        ledger.rectify(decision, RECTIFICATION_ACCEPTED, reported_on="2024-06-01")
    return ledger, decision


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_COMPLETED_RECTIFICATION
)
@pytest.mark.parametrize(
    ("conduct_on", "level"),
    [
        pytest.param("2024-05-15", 2, id="during-the-open-rectification"),
        pytest.param("2024-06-09", 2, id="the-day-before-acceptance"),
        pytest.param("2024-06-10", 2, id="on-the-acceptance-day"),
        pytest.param("2024-06-11", 3, id="the-day-after-acceptance"),
    ],
)
def test_breach_again_after_a_completed_rectification_requires_revocation(
    rulebook_id: str,
    rule: str,
    first: str,
    again: str,
    required: str,
    conduct_on: str,
    level: int,
) -> None:
    ledger, rectification = rectified(rulebook_id, first)
    finding = ledger.finding(again, conduct_on)  # recorded after the acceptance in every row

    assessment = ledger.assess(finding)

    assert assessment.level == level
    if level == 3:
        assert assessment.article == ledger.rulebook.cite(required)
        assert "revocation" in assessment.actions
        assert {e.type for e in ground(assessment, rule).events} >= {
            "CaseDecided",
            "RectificationAccepted",
        }
        assert_explained(assessment, {rule: [rectification]})
    else:
        assert assessment.article == ledger.rulebook.cite(again)
        assert rule_ids(assessment) == set()


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_COMPLETED_RECTIFICATION
)
def test_conduct_during_a_rectification_never_accepted_is_a_new_case_not_a_recurrence(
    rulebook_id: str, rule: str, first: str, again: str, required: str
) -> None:
    ledger, rectification = rectified(rulebook_id, first, accepted=False)
    ledger.overdue(rectification)
    finding = ledger.finding(again, "2024-09-01")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (2, ledger.rulebook.cite(again))
    assert rule not in rule_ids(assessment)


@pytest.mark.parametrize(
    ("rulebook_id", "rule", "first", "again", "required"), AGAIN_AFTER_COMPLETED_RECTIFICATION
)
def test_an_annulled_rectification_never_counts_even_after_acceptance(
    rulebook_id: str, rule: str, first: str, again: str, required: str
) -> None:
    ledger, rectification = rectified(rulebook_id, first)
    finding = ledger.finding(again, "2024-07-01")
    ledger.annul(rectification, "2024-07-15")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (2, ledger.rulebook.cite(again))
    assert rule_ids(assessment) == set()


@pytest.mark.parametrize(
    ("conduct_on", "level"),
    [
        pytest.param("2024-06-10", 1, id="on-the-acceptance-day"),
        pytest.param("2024-06-11", 3, id="the-day-after-acceptance"),
    ],
)
def test_huangshi_an_art_14_breach_after_a_completed_warning_is_a_market_ban(
    conduct_on: str, level: int
) -> None:
    ledger, warning = rectified("huangshi-2022", "15.5")
    finding = ledger.finding("14.6", conduct_on)

    assessment = ledger.assess(finding)

    assert assessment.level == level
    if level == 3:
        assert assessment.article == "huangshi-2022/16.6"
        assert (assessment.ban_years, "ban" in assessment.actions) == (3, True)
        assert_explained(assessment, {"again_after_warning": [warning]})


def test_huangshi_an_interview_is_not_a_warning() -> None:
    ledger, _ = interviewed("huangshi-2022", "14.7")
    finding = ledger.finding("15.4", "2024-07-01")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (2, "huangshi-2022/15.4")
    assert rule_ids(assessment) == set()


def test_chengdu_a_minor_breach_after_a_completed_rectification_is_only_an_interview() -> None:
    ledger, _ = rectified("chengdu-2024", "31.7")
    finding = ledger.finding("30.9", "2024-07-01")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (1, "chengdu-2024/30.9")


# --- the tables cover every escalation rule of every rulebook --------------------------------

ENGINE_TABLES: list[Sequence[tuple[str, ...]]] = [
    SERIOUS_CASE,
    AGAIN_AFTER_INTERVIEW,
    AGAIN_AFTER_WRITTEN_NOTICE,
    AGAIN_AFTER_COMPLETED_RECTIFICATION,
    THREE_IN_A_CALENDAR_YEAR,
]


def test_the_tables_cover_every_escalation_rule_of_every_rulebook() -> None:
    engine_kinds = set(ESCALATION_RULES) | set(COUNTING_RULES)
    in_rulebooks = {
        (book.id, rule.id, rule.yields)
        for book in default_catalogue()
        if book.jurisdiction
        for rule in book.derived_rules
        if rule.kind in engine_kinds
    }
    tabled = {(row[0], row[1], row[-1]) for table in ENGINE_TABLES for row in table}
    assert tabled == in_rulebooks
