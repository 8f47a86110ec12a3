"""The sanction ladders as tables, continued: sanctions counted in a calendar year, and an
article's own higher step. Built and asked as in ``test_escalation_table``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.calendar import shanghai_date
from tests.domain.histories import (
    assert_explained,
    ground,
    rule_ids,
)
from tests.gwt import Ledger

# --- sanctions_in_calendar_year (hunan-2023/27.10) -------------------------------------------

THREE_IN_A_CALENDAR_YEAR = [("hunan-2023", "three_rectifications_in_calendar_year", "27.10")]


def rectification_case(ledger: Ledger, decided_on: str | date, item: str = "25.6") -> str:
    """A serious Art. 25 breach decided as a rectification (26.1): a level-2 case."""
    finding = ledger.finding(item, "2024-04-01", severity="serious")
    return ledger.decide(finding, decided_on)


@pytest.mark.parametrize(("rulebook_id", "rule", "required"), THREE_IN_A_CALENDAR_YEAR)
@pytest.mark.parametrize(
    ("first_decided", "second_decided", "third_as_of", "level"),
    [
        pytest.param("2024-05-10", "2024-11-20", "2024-12-31", 3, id="third-on-31-december"),
        pytest.param("2024-05-10", "2024-11-20", "2025-01-01", 2, id="third-on-1-january"),
        pytest.param("2024-12-31", "2025-03-03", "2025-03-10", 2, id="first-on-31-december"),
        pytest.param("2025-01-01", "2025-03-03", "2025-03-10", 3, id="first-on-1-january"),
    ],
)
def test_third_rectification_case_in_one_calendar_year_requires_revocation(
    rulebook_id: str,
    rule: str,
    required: str,
    first_decided: str,
    second_decided: str,
    third_as_of: str,
    level: int,
) -> None:
    ledger = Ledger(rulebook_id)
    first = rectification_case(ledger, first_decided)
    second = rectification_case(ledger, second_decided)
    third = ledger.finding("25.2", "2024-04-01", severity="serious")

    assessment = ledger.assess(third, as_of=third_as_of)

    assert assessment.level == level
    if level == 3:
        assert assessment.article == ledger.rulebook.cite(required)
        assert [e.occurred_on for e in ground(assessment, rule).events[:2]] == [
            date.fromisoformat(first_decided),
            date.fromisoformat(second_decided),
        ]
        assert_explained(assessment, {rule: [first, second]})
    else:
        assert assessment.article == ledger.rulebook.cite("26.1")
        assert rule not in rule_ids(assessment)


def test_a_decision_at_half_past_midnight_in_shanghai_belongs_to_the_new_year() -> None:
    decided = shanghai_date(datetime(2024, 12, 31, 16, 30, tzinfo=UTC))
    ledger = Ledger("hunan-2023")
    rectification_case(ledger, decided)
    rectification_case(ledger, "2025-02-01")
    third = ledger.finding("25.2", "2024-04-01", severity="serious")

    assessment = ledger.assess(third, as_of="2025-02-10")

    assert decided == date(2025, 1, 1)
    assert (assessment.level, assessment.article) == (3, "hunan-2023/27.10")


def test_an_annulled_rectification_is_not_counted_in_the_calendar_year() -> None:
    ledger = Ledger("hunan-2023")
    rectification_case(ledger, "2024-05-10")
    annulled = rectification_case(ledger, "2024-06-10")
    ledger.annul(annulled, "2024-07-01")
    third = ledger.finding("25.2", "2024-04-01", severity="serious")

    assessment = ledger.assess(third, as_of="2024-08-01")

    assert (assessment.level, assessment.article) == (2, "hunan-2023/26.1")


def test_art_31_improvement_requirements_are_not_rectification_cases() -> None:
    ledger = Ledger("hunan-2023")
    for decided_on in ("2024-05-10", "2024-06-10"):
        ledger.decide(ledger.finding("31.1", "2024-04-01"), decided_on)
    third = ledger.finding("25.2", "2024-04-01", severity="serious")

    assessment = ledger.assess(third, as_of="2024-08-01")

    assert (assessment.level, assessment.article) == (2, "hunan-2023/26.1")


def test_a_rectification_decided_after_the_assessment_date_is_not_yet_counted() -> None:
    ledger = Ledger("hunan-2023")
    rectification_case(ledger, "2024-05-10")
    rectification_case(ledger, "2024-09-10")
    third = ledger.finding("25.2", "2024-04-01", severity="serious")

    before, after = (ledger.assess(third, as_of=day) for day in ("2024-09-09", "2024-09-10"))

    assert (before.level, after.level) == (2, 3)


# --- an article's own higher step (hunan-2023/31) --------------------------------------------


def test_hunan_serious_non_cooperation_is_revocation_with_a_discipline_recommendation() -> None:
    ledger = Ledger("hunan-2023")
    finding = ledger.finding("31.4", "2024-06-03", severity="serious")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (3, "hunan-2023/31.4")
    assert assessment.actions == ("revocation", "discipline_recommendation")
    assert assessment.ban_years == 0
    assert_explained(assessment)


@pytest.mark.parametrize(
    ("annulled", "level"),
    [pytest.param(False, 3, id="refused"), pytest.param(True, 1, id="annulled")],
)
def test_hunan_non_cooperation_after_refusing_an_improvement_requirement_is_revocation(
    annulled: bool, level: int
) -> None:
    ledger = Ledger("hunan-2023")
    requirement = ledger.decide(ledger.finding("31.1", "2024-04-01"), "2024-04-25")
    ledger.overdue(requirement)
    if annulled:
        ledger.annul(requirement, "2024-06-01")
    finding = ledger.finding("31.2", "2024-07-01")

    assessment = ledger.assess(finding)

    assert (assessment.level, assessment.article) == (level, "hunan-2023/31.2")
    if level == 3:
        refused = ground(assessment, "article-31-escalation")
        assert "RectificationOverdue" in {e.type for e in refused.events}
        assert_explained(assessment, {"article-31-escalation": [requirement]})
    else:
        assert assessment.actions == ("rectification",)
