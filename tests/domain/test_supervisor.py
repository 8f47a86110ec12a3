"""Supervisors, assignments and rotation (rules-digest §3) as given → when → then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.assignment import (
    Assignment,
    SupervisionVisit,
    assignment_bars,
    consecutive_run,
    finding_problem,
    visit_id,
)
from domain.errors import Conflict, InvalidInput, RuleRefusal
from domain.rulebook import default_catalogue
from domain.supervisor import SupervisionPolicy, Supervisor, refusal, supervisor_id
from tests.gwt import d, given_aggregate, stamp

CATALOGUE = default_catalogue()
HUNAN_BOOK = CATALOGUE.get("hunan-2023")
ZHENGZHOU_BOOK = CATALOGUE.get("zhengzhou-2014")
HUNAN = SupervisionPolicy.compose(HUNAN_BOOK, [ZHENGZHOU_BOOK])
CHENGDU = SupervisionPolicy.compose(CATALOGUE.get("chengdu-2024"), [ZHENGZHOU_BOOK])
INSTITUTION = UUID("00000000-0000-4000-8000-00000000000a")
OTHER_INSTITUTION = UUID("00000000-0000-4000-8000-00000000000b")
RECUSAL = ["hunan-2023/12", "zhengzhou-2014/14"]


def certified(
    on: str = "2023-09-01", card: str = "HN-0001", kind: str = "external", **extra: Any
) -> Callable[[], Supervisor]:
    def create() -> Supervisor:
        return Supervisor.certify(
            jurisdiction="hunan",
            district=extra.get("district"),
            kind=kind,
            institution_id=extra.get("institution_id"),
            name=extra.get("name", "张督导"),
            subject=extra.get("subject", "zhang.dd"),
            card_number=card,
            on=d(on),
            stamp=stamp(day=on),
            policy=HUNAN,
        )

    return create


def appointed(on: str) -> Callable[[Supervisor], None]:
    return lambda s: s.appoint(d(on), stamp(day=on), HUNAN)


def card_renewed(on: str) -> Callable[[Supervisor], None]:
    return lambda s: s.renew_card(d(on), stamp(day=on), HUNAN)


def suspended(on: str, until: str | None = None) -> Callable[[Supervisor], None]:
    return lambda s: s.suspend(
        d(on), stamp(day=on), "隐瞒应回避情形", ["hunan-2023/30.3"], d(until) if until else None
    )


def conflict_declared(institution: UUID = INSTITUTION) -> Callable[[Supervisor], None]:
    return lambda s: s.declare_conflict(institution, "曾任该机构考评员", d("2023-10-01"), stamp())


def assignable(on: str, supervisor: Supervisor, **kwargs: Any) -> list[str]:
    """The articles cited against assigning ``supervisor`` to INSTITUTION on ``on``."""
    bars = assignment_bars(
        [supervisor],
        INSTITUTION,
        "hunan",
        d(on),
        HUNAN,
        kwargs.get("history", []),
        kwargs.get("sessions", []),
    )
    return sorted({a for b in bars for a in b.articles}) if bars else []


# --- the rules that apply ------------------------------------------------------------------


def test_hunan_rules_are_completed_by_the_supervisor_only_rulebook() -> None:
    assert (HUNAN.card_validity_years, HUNAN.card_article) == (3, "zhengzhou-2014/5")
    assert (HUNAN.term_years, HUNAN.max_terms, HUNAN.term_article) == (3, 3, "hunan-2023/8")
    assert (HUNAN.max_consecutive_assignments, HUNAN.rotation_article) == (
        3,
        "zhengzhou-2014/19",
    )
    assert (HUNAN.min_special_group_size, HUNAN.special_group_article) == (3, "hunan-2023/18")
    assert list(HUNAN.recusal_articles) == RECUSAL
    assert [ref.split("@")[0] for ref in HUNAN.rulebooks] == ["hunan-2023", "zhengzhou-2014"]


def test_chengdu_sets_no_supervisor_rule_so_only_zhengzhou_applies() -> None:
    assert CHENGDU.card_article == "zhengzhou-2014/5"
    assert CHENGDU.term_years is None  # no appointment term: none is required
    assert CHENGDU.min_special_group_size is None
    assert list(CHENGDU.recusal_articles) == ["zhengzhou-2014/14"]


# --- certification, card, term -------------------------------------------------------------


def test_certification_gives_a_card_valid_three_years() -> None:
    sup = certified("2023-09-01", card=" hn-0001 ")()
    assert sup.id == supervisor_id("hunan", "HN-0001")
    assert sup.card_number == "HN-0001"
    assert sup.card_valid_until == d("2026-08-31")
    assert sup.card_articles == ["zhengzhou-2014/5"]


@pytest.mark.parametrize(
    ("kind", "extra", "field"),
    [
        ("inspector", {}, "kind"),
        ("internal", {}, "institution_id"),
        ("external", {"institution_id": INSTITUTION}, "institution_id"),
        ("external", {"subject": " "}, "subject"),
    ],
)
def test_bad_certification_names_the_field(kind: str, extra: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        certified(kind=kind, **extra)()
    assert refused.value.field == field


def test_appointment_is_a_three_year_term() -> None:
    (
        given_aggregate(certified("2023-09-01"))
        .when(appointed("2023-09-15"))
        .then("SupervisorAppointed", term=1, term_ends_on=d("2026-09-14"))
    )


def test_a_fourth_term_is_refused_citing_hunan_8() -> None:
    given = given_aggregate(
        certified("2023-09-01"),
        appointed("2023-09-01"),
        card_renewed("2026-08-01"),
        appointed("2026-09-01"),
        card_renewed("2029-08-01"),
        appointed("2029-09-01"),
        card_renewed("2032-08-01"),
    )
    given.when(appointed("2032-09-01")).then_refused(
        RuleRefusal, article="hunan-2023/8", field="occurred_on"
    )


def test_only_a_valid_card_holder_is_engaged() -> None:
    refused = (
        given_aggregate(certified("2023-09-01"))
        .when(appointed("2026-09-01"))
        .then_refused(RuleRefusal, article="zhengzhou-2014/5")
    )
    assert "not valid on 2026-09-01" in refused.detail


def test_a_second_appointment_inside_a_running_term_is_a_conflict() -> None:
    given_aggregate(certified(), appointed("2023-09-01")).when(
        appointed("2024-01-01")
    ).then_refused(Conflict)


def test_annual_review_once_per_year_and_a_fail_states_reasons() -> None:
    given = given_aggregate(
        certified(),
        lambda s: s.record_annual_review(2023, True, "", d("2024-01-10"), stamp()),
    )
    given.when(
        lambda s: s.record_annual_review(2023, False, "late", d("2024-01-11"), stamp())
    ).then_refused(Conflict, field="year")
    given.when(
        lambda s: s.record_annual_review(2024, False, " ", d("2025-01-11"), stamp())
    ).then_refused(InvalidInput, field="remarks")
    given.when(
        lambda s: s.record_annual_review(2024, False, "报告不实", d("2025-01-11"), stamp())
    ).then("AnnualReviewRecorded", year=2024, passed=False)


# --- what bars an assignment, with its article -----------------------------------------------


@pytest.mark.parametrize(
    ("history", "on", "articles"),
    [
        ([certified("2023-09-01"), appointed("2023-09-01")], "2024-03-20", []),
        # card valid until 2026-08-31; term from 2024-06-01 runs to 2027-05-31
        ([certified("2023-09-01"), appointed("2024-06-01")], "2026-08-31", []),
        ([certified("2023-09-01"), appointed("2024-06-01")], "2026-09-01", ["zhengzhou-2014/5"]),
        # term 2023-09-01 .. 2026-08-31; card renewed to 2029-05-31
        (
            [certified("2023-09-01"), appointed("2023-09-01"), card_renewed("2026-06-01")],
            "2026-09-01",
            ["hunan-2023/8"],
        ),
        ([certified("2023-09-01")], "2024-03-20", ["hunan-2023/8"]),  # never appointed
        (
            [certified("2023-09-01"), appointed("2023-09-01"), suspended("2024-01-01")],
            "2024-03-20",
            ["hunan-2023/30.3"],
        ),
        (
            [
                certified("2023-09-01"),
                appointed("2023-09-01"),
                suspended("2024-01-01", until="2024-03-19"),
            ],
            "2024-03-20",
            [],
        ),
        (
            [
                certified("2023-09-01"),
                appointed("2023-09-01"),
                suspended("2024-01-01"),
                lambda s: s.lift_suspension(d("2024-02-01"), stamp(), "整改完成"),
            ],
            "2024-03-20",
            [],
        ),
        (
            [
                certified("2023-09-01"),
                appointed("2023-09-01"),
                lambda s: s.decertify(d("2024-02-01"), stamp(), "弄虚作假", ["hunan-2023/30.5"]),
            ],
            "2024-03-20",
            ["hunan-2023/30.5"],
        ),
        (
            [certified("2023-09-01"), appointed("2023-09-01"), conflict_declared()],
            "2024-03-20",
            RECUSAL,
        ),
        (
            [
                certified("2023-09-01"),
                appointed("2023-09-01"),
                conflict_declared(OTHER_INSTITUTION),
            ],
            "2024-03-20",
            [],
        ),
        (
            [
                certified("2023-09-01"),
                appointed("2023-09-01"),
                conflict_declared(),
                lambda s: s.end_conflict(INSTITUTION, "已离职三年", d("2024-01-01"), stamp()),
            ],
            "2024-03-20",
            [],
        ),
    ],
    ids=[
        "eligible",
        "last-day-of-card",
        "card-lapsed",
        "term-lapsed",
        "never-appointed",
        "suspended",
        "suspension-ran-out",
        "suspension-lifted",
        "decertified",
        "declared-conflict",
        "conflict-elsewhere",
        "conflict-ended",
    ],
)
def test_what_bars_an_assignment_cites_its_article(
    history: list[Any], on: str, articles: list[str]
) -> None:
    supervisor = given_aggregate(history[0], *history[1:]).aggregate
    assert assignable(on, supervisor) == sorted(articles)


@pytest.mark.parametrize("role", ["examiners", "internal_supervisors"])
def test_examiner_or_internal_supervisor_of_the_same_session_is_recused(role: str) -> None:
    supervisor = given_aggregate(certified(card="HN-0001"), appointed("2023-09-01")).aggregate
    session: dict[str, Any] = {"session_id": "S-1", "examiners": [], "internal_supervisors": []}
    session[role] = ["hn-0001"]
    assert assignable("2024-03-20", supervisor, sessions=[session]) == RECUSAL
    other = {"session_id": "S-2", "examiners": ["HN-0002"], "internal_supervisors": []}
    assert assignable("2024-03-20", supervisor, sessions=[other]) == []


def test_an_internal_supervisor_is_not_sent_to_external_supervision() -> None:
    internal = given_aggregate(
        certified(kind="internal", institution_id=OTHER_INSTITUTION)
    ).aggregate
    bars = assignment_bars([internal], INSTITUTION, "hunan", d("2024-03-20"), HUNAN, [])
    assert [b.code for b in bars] == ["internal"]


def test_a_supervisor_of_another_jurisdiction_is_refused() -> None:
    supervisor = given_aggregate(certified(), appointed("2023-09-01")).aggregate
    bars = assignment_bars([supervisor], INSTITUTION, "chengdu", d("2024-03-20"), CHENGDU, [])
    assert [b.code for b in bars] == ["jurisdiction"]


def test_refusal_names_every_bar_and_cites_each_article_once() -> None:
    supervisor = given_aggregate(
        certified(), appointed("2023-09-01"), conflict_declared(), suspended("2024-01-01")
    ).aggregate
    bars = assignment_bars(
        [supervisor],
        INSTITUTION,
        "hunan",
        d("2024-03-20"),
        HUNAN,
        [],
        [{"session_id": "S-1", "examiners": ["HN-0001"], "internal_supervisors": []}],
    )
    error = refusal(bars, "supervisors")
    assert error.articles == ("hunan-2023/30.3", *RECUSAL)
    assert "conflict of interest" in error.detail
    assert "examiner of session S-1" in error.detail


# --- rotation (zhengzhou-2014/19) ----------------------------------------------------------

A, B = "sup-a", "sup-b"


def runs(*entries: tuple[str, set[str]]) -> list[tuple[date, set[str]]]:
    return [(d(day), members) for day, members in entries]


@pytest.mark.parametrize(
    ("history", "on", "run"),
    [
        (runs(), "2024-05-01", 1),
        (runs(("2024-01-01", {A}), ("2024-02-01", {A, B})), "2024-05-01", 3),
        (runs(("2024-01-01", {A}), ("2024-02-01", {A}), ("2024-03-01", {A})), "2024-05-01", 4),
        # the institution supervised without A in between: the run starts again
        (runs(("2024-01-01", {A}), ("2024-02-01", {B}), ("2024-03-01", {A})), "2024-05-01", 2),
        # a late entry dated between two supervisions joins both runs
        (runs(("2024-01-01", {A}), ("2024-03-01", {A}), ("2024-04-01", {A})), "2024-02-01", 4),
        # same day: the new one comes after the ones already logged for that day
        (runs(("2024-05-01", {B}), ("2024-05-01", {A})), "2024-05-01", 2),
    ],
    ids=["first", "third", "fourth", "interrupted", "late-entry", "same-day"],
)
def test_consecutive_run_in_the_institutions_sequence(
    history: list[tuple[date, set[str]]], on: str, run: int
) -> None:
    assert consecutive_run(history, A, d(on)) == run


def test_a_fourth_consecutive_assignment_is_refused_citing_zhengzhou_19() -> None:
    supervisor = given_aggregate(certified(), appointed("2023-09-01")).aggregate
    me = str(supervisor.id)
    three = runs(("2024-01-01", {me}), ("2024-02-01", {me}), ("2024-03-01", {me}))
    assert assignable("2024-03-20", supervisor, history=three) == ["zhengzhou-2014/19"]
    assert assignable("2024-03-20", supervisor, history=three[1:]) == []


# --- assignments and visits ----------------------------------------------------------------


def make(kind: str, supervisors: list[str], policy: SupervisionPolicy = HUNAN) -> Assignment:
    return Assignment.make(
        number=1,
        institution=INSTITUTION,
        institution_name="长沙某评价机构",
        jurisdiction="hunan",
        district="长沙市",
        kind=kind,
        supervisors=supervisors,
        starts_on=d("2024-03-20"),
        sessions=[],
        matters=["考务管理"],
        campaign=None,
        on=d("2024-03-18"),
        stamp=stamp(day="2024-03-18"),
        policy=policy,
    )


def test_a_special_supervision_group_of_two_is_refused_citing_hunan_18() -> None:
    with pytest.raises(RuleRefusal) as refused:
        make("special", ["s1", "s2"])
    assert refused.value.articles == ("hunan-2023/18",)
    assert make("special", ["s1", "s2", "s3"]).kind == "special"
    assert make("daily", ["s1"]).kind == "daily"
    assert make("special", ["s1"], CHENGDU).kind == "special"  # no group size in Chengdu


def test_visit_only_by_assigned_supervisors_and_states_what_was_checked() -> None:
    assignment = make("daily", ["s1"])

    def visit(**overrides: Any) -> SupervisionVisit:
        values: dict[str, Any] = {
            "assignment": assignment,
            "on": d("2024-03-20"),
            "mode": "on_site",
            "supervisors": ["s1"],
            "sessions": [],
            "checked": ["考场秩序"],
            "findings": [],
            "finding_ids": [],
            "summary": "",
            "stamp": stamp(day="2024-03-20"),
        }
        values.update(overrides)
        return SupervisionVisit.record(**values)

    assert visit().id == visit_id(assignment.id, 1)
    with pytest.raises(InvalidInput) as stranger:
        visit(supervisors=["s9"])
    assert stranger.value.field == "supervisors"
    with pytest.raises(InvalidInput) as nothing:
        visit(checked=[" "])
    assert nothing.value.field == "checked"


@pytest.mark.parametrize(
    ("finding", "problem"),
    [
        ({"rule_id": "hunan-2023/25.9"}, None),
        ({"rule_id": "hunan-2023/31.1"}, None),  # non-cooperation is a finding of its own
        ({"rule_id": "chengdu-2024/30.1"}, "not an item of hunan-2023"),
        ({"rule_id": "hunan-2023/30.3"}, "not a sanction item"),  # supervisors' discipline
        ({"severity": "grave"}, "severity"),
        ({"occurred_on": d("2024-03-21")}, "later than the visit"),
        ({"facts": " "}, "facts"),
    ],
)
def test_visit_findings_are_items_of_the_rulebook_in_force(
    finding: dict[str, Any], problem: str | None
) -> None:
    values: dict[str, Any] = {
        "rule_id": "hunan-2023/25.9",
        "severity": "minor",
        "occurred_on": d("2024-03-20"),
        "facts": "档案缺失",
    }
    values.update(finding)
    found = finding_problem(values, HUNAN_BOOK, d("2024-03-20"))  # type: ignore[arg-type]
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_withdrawn_assignment_takes_no_visit_and_a_visited_one_cannot_be_withdrawn() -> None:
    assignment = make("daily", ["s1"])
    assignment.file_visit(assignment.next_visit_id, d("2024-03-20"), stamp(day="2024-03-20"))
    with pytest.raises(Conflict):
        assignment.withdraw("计划调整", d("2024-03-21"), stamp(day="2024-03-21"))
    fresh = make("daily", ["s1"])
    fresh.withdraw("计划调整", d("2024-03-19"), stamp(day="2024-03-19"))
    with pytest.raises(Conflict):
        fresh.file_visit(fresh.next_visit_id, d("2024-03-20"), stamp(day="2024-03-20"))
