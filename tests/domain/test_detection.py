"""Findings the system raises by itself, as tables with their edges.

A reported batch (evaluation checks, the unqualified-candidate ratio, paper-set reuse), a
substantiated complaint (the count in a window), the passing of time (inactivity) and a missed
rectification deadline each raise a finding under the item the rulebook names; that finding is
then assessed like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from domain.deciders.effects import overdue_rectifications
from domain.detection import (
    Batch,
    FilingSnapshot,
    Flag,
    batch_flags,
    complaint_flags,
    inactivity_flags,
    overdue_flag,
)
from domain.escalation import COUNTING_RULES, ESCALATION_RULES
from domain.rulebook import DERIVED_RULE_PARAMS, Rulebook, default_catalogue
from tests.domain.histories import INSTITUTION_RULEBOOKS, assert_explained, rule_ids
from tests.gwt import OCCUPATION, SITE, Ledger, rulebook
from tests.gwt import d as day

EARLY = "2023-01-02"  # filed early enough for windows reaching back a year


def filing(book: Rulebook, **changes: Any) -> FilingSnapshot:
    """The filing on the batch's date: in force, one occupation at levels 3-5, one site."""
    assert book.jurisdiction is not None
    snapshot = FilingSnapshot(
        jurisdiction=book.jurisdiction,
        scope={OCCUPATION: {3, 4, 5}},
        test_sites={SITE},
        in_force=True,
        status="active",
        suspended=False,
    )
    return replace(snapshot, **changes)


def batch(book: Rulebook, on: str, **changes: Any) -> Batch:
    """A batch inside that filing, 100 candidates all qualified, paper set P-1."""
    assert book.jurisdiction is not None
    reported = Batch(
        batch_id=f"B-{on}",
        occupation=OCCUPATION,
        level=4,
        evaluated_on=day(on),
        site=SITE,
        territory=book.jurisdiction,
        candidates=100,
        unqualified_candidates=0,
        paper_set_id="P-1",
    )
    return replace(reported, **changes)


def checks(flags: list[Flag]) -> set[str]:
    return {f.check for f in flags}


# --- evaluation checks ----------------------------------------------------------------------

BATCH_OUTSIDE_THE_FILING: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "outside_scope": ({}, {"occupation": "6-01-01-01"}),
    "outside_territory": ({}, {"territory": "elsewhere"}),
    "unfiled_site": ({}, {"site": "未备案考点"}),
    "no_filing_in_force": ({"in_force": False, "status": "revoked"}, {}),
    "during_suspension": ({"suspended": True}, {}),
}
EVALUATION_CHECKS = [
    pytest.param(book_id, check, item, id=f"{book_id}-{check}")
    for book_id in INSTITUTION_RULEBOOKS
    for check, item in rulebook(book_id).evaluation_checks.items().items()
]


@pytest.mark.parametrize(("rulebook_id", "check", "item"), EVALUATION_CHECKS)
def test_a_batch_outside_the_filing_raises_the_item_the_rulebook_names(
    rulebook_id: str, check: str, item: str
) -> None:
    book = rulebook(rulebook_id)
    snapshot_changes, batch_changes = BATCH_OUTSIDE_THE_FILING[check]

    flags = batch_flags(
        filing(book, **snapshot_changes),
        Ledger(rulebook_id).history(),
        book,
        batch(book, "2024-06-03", **batch_changes),
    )

    assert [(f.check, f.rule_id, f.occurred_on) for f in flags] == [
        (check, book.cite(item), date(2024, 6, 3))
    ]


@pytest.mark.parametrize("rulebook_id", INSTITUTION_RULEBOOKS)
def test_a_batch_inside_the_filing_raises_nothing(rulebook_id: str) -> None:
    book = rulebook(rulebook_id)

    assert (
        batch_flags(filing(book), Ledger(rulebook_id).history(), book, batch(book, "2024-06-03"))
        == []
    )


# --- ratio_threshold_in_batch (huangshi-2022/14.1) --------------------------------------------

UNQUALIFIED_RATIO = [("huangshi-2022", "unqualified_candidates_ratio", "14.1")]


@pytest.mark.parametrize(("rulebook_id", "rule", "item"), UNQUALIFIED_RATIO)
@pytest.mark.parametrize(
    ("unqualified", "candidates", "breach"),
    [
        pytest.param(3, 100, True, id="exactly-3-percent"),
        pytest.param(2, 100, False, id="2-percent"),
        pytest.param(30, 1000, True, id="exactly-3-percent-of-1000"),
        pytest.param(29, 1000, False, id="2.9-percent"),
        pytest.param(1, 33, True, id="3.03-percent"),
        pytest.param(1, 34, False, id="2.94-percent"),
        pytest.param(0, 1, False, id="none-of-one"),
        pytest.param(1, 1, True, id="all-of-one"),
    ],
)
def test_unqualified_candidates_reaching_three_percent_of_a_batch_require_an_interview(
    rulebook_id: str, rule: str, item: str, unqualified: int, candidates: int, breach: bool
) -> None:
    ledger = Ledger(rulebook_id)
    book = ledger.rulebook
    reported = batch(book, "2024-06-03", candidates=candidates, unqualified_candidates=unqualified)

    flags = batch_flags(filing(book), ledger.history(), book, reported)

    assert checks(flags) == ({rule} if breach else set())
    if breach:
        (flag,) = flags
        assert (flag.rule_id, flag.occurred_on, flag.reference) == (
            book.cite(item),
            date(2024, 6, 3),
            reported.batch_id,
        )
        assert f"{unqualified}/{candidates}" in flag.detail_zh
        assert f"{unqualified} of {candidates}" in flag.detail_en
        assessment = ledger.assess(ledger.flagged(flag))
        assert (assessment.level, assessment.article) == (1, book.cite(item))
        assert "interview" in assessment.actions
        assert_explained(assessment)


@pytest.mark.parametrize("rulebook_id", ["hunan-2023", "chengdu-2024"])
def test_a_ratio_of_unqualified_candidates_is_no_breach_where_the_rulebook_sets_none(
    rulebook_id: str,
) -> None:
    book = rulebook(rulebook_id)
    reported = batch(book, "2024-06-03", unqualified_candidates=50)

    assert batch_flags(filing(book), Ledger(rulebook_id).history(), book, reported) == []


# --- paper_set_reuse (huangshi-2022/14.4) ----------------------------------------------------

PAPER_SET_REUSE = [("huangshi-2022", "paper_set_reused", "14.4")]


@pytest.mark.parametrize(("rulebook_id", "rule", "item"), PAPER_SET_REUSE)
@pytest.mark.parametrize(
    ("first_used", "used_again", "breach"),
    [
        pytest.param("2024-03-15", "2025-03-14", True, id="12-months-minus-a-day"),
        pytest.param("2024-03-15", "2025-03-15", False, id="exactly-12-months"),
        pytest.param("2024-03-15", "2024-03-15", True, id="same-day-another-batch"),
        pytest.param("2024-02-29", "2025-02-27", True, id="from-a-leap-day-minus-a-day"),
        pytest.param("2024-02-29", "2025-02-28", False, id="from-a-leap-day-12-months"),
    ],
)
def test_papers_used_again_within_twelve_months_require_an_interview(
    rulebook_id: str, rule: str, item: str, first_used: str, used_again: str, breach: bool
) -> None:
    ledger = Ledger(rulebook_id, approved_on=EARLY)
    book = ledger.rulebook
    earlier = ledger.batch(first_used, paper_set="P-7")

    flags = batch_flags(
        filing(book), ledger.history(), book, batch(book, used_again, paper_set_id="P-7")
    )

    assert checks(flags) == ({rule} if breach else set())
    if breach:
        (flag,) = flags
        assert (flag.rule_id, flag.occurred_on) == (book.cite(item), day(used_again))
        assert [(e.type, e.occurred_on) for e in flag.events] == [
            ("EvaluationReported", day(first_used))
        ]
        assert earlier in flag.detail_zh
        assert earlier in flag.detail_en


def test_a_different_paper_set_is_not_reuse() -> None:
    ledger = Ledger("huangshi-2022")
    book = ledger.rulebook
    ledger.batch("2024-04-01", paper_set="P-7")

    reported = batch(book, "2024-05-01", paper_set_id="P-8")

    assert batch_flags(filing(book), ledger.history(), book, reported) == []


@pytest.mark.parametrize(
    ("reported_first", "reported_second"),
    [
        pytest.param("2024-04-01", "2024-09-01", id="in-the-order-used"),
        pytest.param("2024-09-01", "2024-04-01", id="the-later-use-reported-first"),
    ],
)
def test_paper_set_reuse_is_found_whichever_batch_is_reported_first(
    reported_first: str, reported_second: str
) -> None:
    ledger = Ledger("huangshi-2022")
    book = ledger.rulebook
    ledger.batch(reported_first, paper_set="P-7")

    flags = batch_flags(
        filing(book), ledger.history(), book, batch(book, reported_second, paper_set_id="P-7")
    )

    assert [(f.rule_id, f.occurred_on) for f in flags] == [("huangshi-2022/14.4", date(2024, 9, 1))]


# --- substantiated_complaints_in_window (huangshi-2022/15.3) ----------------------------------

SUBSTANTIATED_COMPLAINTS = [("huangshi-2022", "substantiated_complaints", "15.3")]


def complaints_verified(
    ledger: Ledger, lodged: list[str], verified: list[str], order: list[int]
) -> list[Flag]:
    """Lodge each complaint, then verify them as substantiated in ``order``; every flag raised."""
    ids = [ledger.complaint(on) for on in lodged]
    flags: list[Flag] = []
    for i in order:
        ledger.verify(ids[i], verified[i])
        raised = complaint_flags(ledger.history(), ledger.rulebook, ids[i])
        flags += raised
        for flag in raised:
            ledger.flagged(flag)
    return flags


@pytest.mark.parametrize(("rulebook_id", "rule", "item"), SUBSTANTIATED_COMPLAINTS)
@pytest.mark.parametrize(
    ("lodged", "breach"),
    [
        pytest.param(["2023-07-01", "2024-06-30"], True, id="within-a-rolling-12-months"),
        pytest.param(["2023-07-01", "2024-07-01"], False, id="12-months-apart-to-the-day"),
        pytest.param(["2023-07-01", "2024-07-02"], False, id="more-than-12-months-apart"),
        pytest.param(["2023-12-30", "2024-01-02"], True, id="across-new-year"),
    ],
)
@pytest.mark.parametrize(
    "order",
    [pytest.param([0, 1], id="verified-in-order"), pytest.param([1, 0], id="verified-late-first")],
)
def test_two_substantiated_complaints_within_a_year_require_a_warning(
    rulebook_id: str, rule: str, item: str, lodged: list[str], breach: bool, order: list[int]
) -> None:
    ledger = Ledger(rulebook_id, approved_on=EARLY)
    verified = [str(day(on) + timedelta(days=10)) for on in lodged]

    flags = complaints_verified(ledger, lodged, verified, order)

    assert checks(flags) == ({rule} if breach else set())
    if breach:
        (flag,) = flags
        assert (flag.rule_id, flag.occurred_on) == (ledger.rulebook.cite(item), day(lodged[1]))
        assert sorted(e.type for e in flag.events) == ["ComplaintVerified"] * 2
        finding = ledger.history().findings[-1].finding_id
        assessment = ledger.assess(finding)
        assert (assessment.level, assessment.article) == (2, ledger.rulebook.cite(item))
        assert "warning" in assessment.actions
        assert_explained(assessment)


@pytest.mark.parametrize(
    ("lodged", "verified", "breach"),
    [
        pytest.param(
            ["2023-03-01", "2024-02-01"],
            ["2024-04-01", "2024-04-01"],
            True,
            id="lodged-11-months-apart-verified-13-months-after-the-first",
        ),
        pytest.param(
            ["2023-01-10", "2024-02-01"],
            ["2024-02-10", "2024-02-10"],
            False,
            id="lodged-over-12-months-apart-verified-together",
        ),
    ],
)
def test_complaints_count_by_the_date_they_were_lodged_not_verified(
    lodged: list[str], verified: list[str], breach: bool
) -> None:
    ledger = Ledger("huangshi-2022", approved_on=EARLY)

    flags = complaints_verified(ledger, lodged, verified, [0, 1])

    assert checks(flags) == ({"substantiated_complaints"} if breach else set())


def test_an_unsubstantiated_complaint_does_not_count() -> None:
    ledger = Ledger("huangshi-2022", approved_on=EARLY)
    first, second = ledger.complaint("2024-03-01"), ledger.complaint("2024-04-01")
    ledger.verify(first, "2024-03-10", substantiated=False)
    ledger.verify(second, "2024-04-10")

    assert complaint_flags(ledger.history(), ledger.rulebook, first) == []
    assert complaint_flags(ledger.history(), ledger.rulebook, second) == []


def test_a_window_already_flagged_is_not_flagged_again() -> None:
    ledger = Ledger("huangshi-2022", approved_on=EARLY)
    flags = complaints_verified(
        ledger, ["2024-03-01", "2024-04-01"], ["2024-03-10", "2024-04-10"], [0, 1]
    )
    last = ledger.history().complaints[-1].complaint_id

    again = complaint_flags(ledger.history(), ledger.rulebook, last)

    assert (len(flags), again) == (1, [])


@pytest.mark.parametrize("rulebook_id", ["hunan-2023", "chengdu-2024"])
def test_complaints_are_not_counted_where_the_rulebook_sets_no_count(rulebook_id: str) -> None:
    ledger = Ledger(rulebook_id)

    flags = complaints_verified(
        ledger, ["2024-04-01", "2024-04-02", "2024-04-03"], ["2024-05-01"] * 3, [0, 1, 2]
    )

    assert flags == []


# --- inactivity ------------------------------------------------------------------------------

INACTIVITY = [
    # rulebook, rule, the day before it is due, the due date, item (filed on 1 March 2024)
    ("hunan-2023", "inactive_one_year", "2025-02-28", "2025-03-01", "26.4"),
    ("hunan-2023", "inactive_two_years", "2026-02-28", "2026-03-01", "27.7"),
    ("chengdu-2024", "inactive_one_year", "2025-02-28", "2025-03-01", "31.4"),
    ("chengdu-2024", "inactive_two_years", "2026-02-28", "2026-03-01", "32.8"),
    ("huangshi-2022", "inactive_one_year", "2025-02-28", "2025-03-01", "15.2"),
    ("huangshi-2022", "inactive_two_years", "2026-02-28", "2026-03-01", "16.5"),
]


@pytest.mark.parametrize(("rulebook_id", "rule", "day_before", "due", "item"), INACTIVITY)
def test_no_evaluation_since_filing_is_a_breach_on_the_due_date_not_the_day_before(
    rulebook_id: str, rule: str, day_before: str, due: str, item: str
) -> None:
    ledger = Ledger(rulebook_id, approved_on="2024-03-01")
    book = ledger.rulebook

    before = inactivity_flags(ledger.history(), book, day(day_before))
    on_due = inactivity_flags(ledger.history(), book, day(due))

    assert rule not in checks(before)
    (flag,) = [f for f in on_due if f.check == rule]
    assert (flag.rule_id, flag.occurred_on) == (book.cite(item), day(due))
    assert [(e.type, e.occurred_on) for e in flag.events] == [("FilingApproved", date(2024, 3, 1))]
    assessment = ledger.assess(ledger.flagged(flag), as_of=due)
    assert (assessment.level, assessment.article) == (book.level_of(item), book.cite(item))
    assert_explained(assessment)


@pytest.mark.parametrize(("rulebook_id", "rule", "day_before", "due", "item"), INACTIVITY)
def test_an_evaluation_restarts_the_inactivity_clock(
    rulebook_id: str, rule: str, day_before: str, due: str, item: str
) -> None:
    ledger = Ledger(rulebook_id, approved_on="2024-03-01")
    ledger.batch("2024-03-02")

    flags = inactivity_flags(ledger.history(), ledger.rulebook, day(due))
    a_day_later = inactivity_flags(ledger.history(), ledger.rulebook, day(due) + timedelta(days=1))

    assert rule not in checks(flags)
    assert rule in checks(a_day_later)


@pytest.mark.parametrize(("rulebook_id", "rule", "day_before", "due", "item"), INACTIVITY)
def test_inactivity_already_recorded_is_not_flagged_again(
    rulebook_id: str, rule: str, day_before: str, due: str, item: str
) -> None:
    ledger = Ledger(rulebook_id, approved_on="2024-03-01")
    for flag in inactivity_flags(ledger.history(), ledger.rulebook, day(due)):
        ledger.flagged(flag)

    assert rule not in checks(inactivity_flags(ledger.history(), ledger.rulebook, day(due)))


# --- overdue_rectification -------------------------------------------------------------------

OVERDUE_RECTIFICATION = [
    # rulebook, rule, the breach ordered to be rectified (level 2), item
    ("hunan-2023", "rectification_overdue", "26.7", "26.6"),
    ("chengdu-2024", "rectification_overdue", "31.7", "31.6"),
    ("huangshi-2022", "rectification_overdue", "15.5", "15.7"),
]


@pytest.mark.parametrize(("rulebook_id", "rule", "breach", "item"), OVERDUE_RECTIFICATION)
def test_a_rectification_past_its_deadline_is_a_rectification_case_of_its_own(
    rulebook_id: str, rule: str, breach: str, item: str
) -> None:
    ledger = Ledger(rulebook_id)
    book = ledger.rulebook
    decision = ledger.decide(ledger.finding(breach, "2024-04-01"), "2024-04-25")
    deadline = ledger.deadline_of(decision)
    overdue = ledger.overdue(decision)

    flag = overdue_flag(book, decision, deadline, overdue)

    assert flag is not None
    assert (flag.check, flag.rule_id, flag.occurred_on) == (rule, book.cite(item), deadline)
    assert (flag.reference, flag.events) == (decision, (overdue,))
    assert decision in flag.detail_zh
    assert decision in flag.detail_en
    assessment = ledger.assess(ledger.flagged(flag), as_of=overdue.occurred_on)
    assert (assessment.level, assessment.article) == (2, book.cite(item))
    assert rule_ids(assessment) == set()
    assert_explained(assessment)


@pytest.mark.parametrize(("rulebook_id", "rule", "breach", "item"), OVERDUE_RECTIFICATION)
def test_a_rectification_is_overdue_the_day_after_its_deadline_not_on_it(
    rulebook_id: str, rule: str, breach: str, item: str
) -> None:
    ledger = Ledger(rulebook_id)
    decision = ledger.decide(ledger.finding(breach, "2024-04-01"), "2024-04-25")
    deadline = ledger.deadline_of(decision)

    on_the_deadline = overdue_rectifications(ledger.state, deadline)
    the_day_after = overdue_rectifications(ledger.state, deadline + timedelta(days=1))

    assert deadline == date(2024, 5, 25)
    assert (on_the_deadline, the_day_after) == ([], [(decision, deadline)])


# --- the tables cover every detection rule of every rulebook ---------------------------------

DETECTION_TABLES: list[Sequence[tuple[str, ...]]] = [
    UNQUALIFIED_RATIO,
    PAPER_SET_REUSE,
    SUBSTANTIATED_COMPLAINTS,
    INACTIVITY,
    OVERDUE_RECTIFICATION,
]


def test_the_tables_cover_every_detection_rule_of_every_rulebook() -> None:
    detection_kinds = set(DERIVED_RULE_PARAMS) - set(ESCALATION_RULES) - set(COUNTING_RULES)
    in_rulebooks = {
        (book.id, rule.id, rule.yields)
        for book in default_catalogue()
        if book.jurisdiction
        for rule in book.derived_rules
        if rule.kind in detection_kinds
    }
    tabled = {(row[0], row[1], row[-1]) for table in DETECTION_TABLES for row in table}
    assert tabled == in_rulebooks
