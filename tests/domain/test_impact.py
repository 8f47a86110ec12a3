"""A draft rulebook's impact: each institution's history replayed under the rulebooks in
force and under the catalogue with the draft."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings

from domain.deciders import evidence
from domain.draft import DraftError, parse_draft, with_draft
from domain.impact import Subject, Summary, replay
from domain.rulebook import Catalogue, default_catalogue, published_file
from domain.rulebook_diff import diff
from tests.domain.test_escalation_properties import File, files, on, record_file
from tests.drafts import article_25_at_level_2, hunan_text
from tests.gwt import OCCUPATION, Ledger

WINDOW = "      window_months: null\n"


def draft_of(text: str, name: str = "draft.yaml") -> Catalogue:
    return with_draft(default_catalogue(), parse_draft(text.encode(), name))


def subject(ledger: Ledger, name: str = "inst") -> Subject:
    return Subject(name, name, "district", ledger.history())


@settings(max_examples=40, deadline=None)
@given(files())
def test_a_rulebook_as_its_own_draft_changes_nothing(file: File) -> None:
    ledger, _ = record_file(file)
    catalogue = default_catalogue()
    book = catalogue.get(file.rulebook_id)
    same = with_draft(catalogue, parse_draft(_raw(book.id), "d.yaml"))
    assert book.jurisdiction is not None
    assert (
        replay(subject(ledger), catalogue, same, book.jurisdiction, on(file.breach.as_of)) is None
    )
    assert [c for c in diff(book, same.get(book.id)) if c.kind != "parameter_changed"] == []


def _raw(rulebook_id: str) -> bytes:
    return published_file(rulebook_id).read_bytes()


def test_one_articles_level_changes_exactly_the_institutions_with_a_finding_under_it() -> None:
    under_25, under_26, clean = Ledger("hunan-2023"), Ledger("hunan-2023"), Ledger("hunan-2023")
    under_25.finding("25.1", "2024-05-01")
    under_26.finding("26.7", "2024-05-01")
    draft = draft_of(article_25_at_level_2())
    summary = Summary()
    changed = []
    for ledger, name in ((under_25, "a"), (under_26, "b"), (clean, "c")):
        impact = replay(
            subject(ledger, name), default_catalogue(), draft, "hunan", date(2024, 6, 1)
        )
        summary.add(impact)
        if impact is not None:
            changed.append(impact)
    assert [i.institution_id for i in changed] == ["a"]
    level = next(d for d in changed[0].differences if d.what == "level")
    assert (level.current, level.draft) == (1, 2)
    assert "hunan-2023/25.1" in level.text_zh
    assert "hunan-2023/25.1" in level.text_en
    assert level.events, "the difference names the events behind it"
    assert summary.as_dict()["changed"] == 1
    assert summary.by_article["hunan-2023/25.1"] == 1
    changes = diff(default_catalogue().get("hunan-2023"), draft.get("hunan-2023"))
    assert [(c.kind, c.subject, c.old, c.new) for c in changes] == [
        ("level_changed", "hunan-2023/25", 1, 2),
        *[("level_changed", f"hunan-2023/25.{n}", 1, 2) for n in _items("25")],
    ]


def _items(article: str) -> list[str]:
    book = default_catalogue().get("hunan-2023")
    return [i.id.split(".")[1] for i in book.article_of(f"{article}.1").items]


def test_a_longer_recurrence_window_turns_a_known_interview_into_a_rectification() -> None:
    text = hunan_text()
    assert text.count(WINDOW) == 2
    six = text.replace(WINDOW, "      window_months: 6\n", 1)
    current = draft_of(six, "current.yaml")
    draft = draft_of(text.replace(WINDOW, "      window_months: 24\n", 1))
    ledger = Ledger("hunan-2023")
    first = ledger.finding("25.1", "2024-04-01")
    decision = ledger.decide(first, "2024-04-10", under="25.1")
    ledger.interview(decision, "2024-04-20")
    ledger.finding("25.3", "2025-01-15")
    impact = replay(subject(ledger), current, draft, "hunan", date(2025, 2, 1))
    assert impact is not None
    level = next(d for d in impact.differences if d.what == "level")
    assert (level.current, level.draft, level.article) == (1, 2, "hunan-2023/26.1")
    grounds = next(d for d in impact.differences if d.what == "grounds")
    assert ["again_after_interview", "26.1", 2] in grounds.draft
    assert ["again_after_interview", "26.1", 2] not in grounds.current
    assert {e.type for e in level.events} >= {"InterviewHeld", "CaseDecided"}
    window = list(diff(current.get("hunan-2023"), draft.get("hunan-2023")))
    assert [(c.kind, c.parameter, c.old, c.new) for c in window] == [
        ("window_changed", "params.window_months", 6, 24)
    ]


def test_a_draft_in_force_later_keeps_the_old_rulebook_for_earlier_conduct_unless_lighter() -> None:
    text = hunan_text().replace("version: 2", "version: 3", 1)
    text = text.replace("effective_from: 2023-08-18", "effective_from: 2025-01-01", 1)
    head, tail = text.split('      - id: "26.7"\n', 1)
    lighter = draft_of(head + '      - id: "26.7"\n        level: 1\n' + tail)
    heavier = draft_of(head + '      - id: "26.7"\n        level: 3\n' + tail)
    ledger = Ledger("hunan-2023")
    ledger.finding("26.7", "2024-06-01")
    before = replay(subject(ledger), default_catalogue(), lighter, "hunan", date(2024, 12, 1))
    assert before is None, "before the draft takes effect nothing changes"
    after = replay(subject(ledger), default_catalogue(), lighter, "hunan", date(2025, 1, 1))
    assert after is not None
    level = next(d for d in after.differences if d.what == "level")
    assert (level.current, level.draft) == (2, 1)
    assert replay(subject(ledger), default_catalogue(), heavier, "hunan", date(2025, 1, 1)) is None


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("    level: 1\n", "    level: 7\n", None, "articles.1.level"),
        ("  validity_years: 3\n", "  validity_years: three\n", None, "filing.validity_years"),
    ],
)
def test_a_malformed_draft_is_refused_with_file_line_and_field(
    old: str, new: str, line: int | None, field: str
) -> None:
    text = hunan_text()
    assert old in text
    bad = text.replace(old, new, 1)
    expected = bad[: bad.index(new)].count("\n") + 1
    with pytest.raises(DraftError) as caught:
        parse_draft(bad.encode(), "drafts/hunan.yaml")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("drafts/hunan.yaml", expected, field)
    assert "drafts/hunan.yaml:" in str(caught.value)


def test_a_draft_that_is_not_yaml_names_its_line() -> None:
    with pytest.raises(DraftError) as caught:
        parse_draft(b"id: x\nversion: [1\n", "d.yaml")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == ("d.yaml", 3)
    assert "not valid YAML" in problem.reason


HUANGSHI = published_file("huangshi-2022")


def test_a_longer_paper_set_window_flags_a_batch_the_current_window_lets_pass() -> None:
    text = HUANGSHI.read_text(encoding="utf-8")
    window = "      window_months: 12\n"
    assert text.count(window) == 1
    draft = draft_of(text.replace(window, "      window_months: 18\n"))
    ledger = Ledger("huangshi-2022")
    first = ledger.batch("2024-04-10", paper_set="P-7")
    again = ledger.batch("2025-06-20", paper_set="P-7")  # 14 months later
    ledger.batch("2025-06-21", paper_set="P-8")
    impact = replay(subject(ledger), default_catalogue(), draft, "huangshi", date(2025, 7, 1))
    assert impact is not None
    checks = [d for d in impact.differences if d.what == "batch_checks"]
    assert sorted(d.finding_id for d in checks) == sorted([first, again])
    for d in checks:
        assert (d.current, d.draft, d.article) == ([], ["huangshi-2022/14.4"], "huangshi-2022/14.4")
        assert {e.type for e in d.events} == {"EvaluationReported"}
        assert len(d.events) == 2, "the batch and the other use of its paper set"
    same = draft_of(text)
    assert replay(subject(ledger), default_catalogue(), same, "huangshi", date(2025, 7, 1)) is None


def test_deadlines_keep_the_recorded_validity_and_follow_the_drafts_renewal_window() -> None:
    text = hunan_text()
    longer_window = draft_of(text.replace("renewal_window_months: 3", "renewal_window_months: 6"))
    longer_validity = draft_of(text.replace("validity_years: 3", "validity_years: 5"))
    ledger = Ledger("hunan-2023")  # approved 2024-03-01 for three years
    as_of = date(2024, 6, 1)
    assert replay(subject(ledger), default_catalogue(), longer_validity, "hunan", as_of) is None
    impact = replay(subject(ledger), default_catalogue(), longer_window, "hunan", as_of)
    assert impact is not None
    [deadlines] = [d for d in impact.differences if d.what == "deadlines"]
    valid_until = ledger.history().valid_until
    assert valid_until is not None
    assert deadlines.current["valid_until"] == deadlines.draft["valid_until"]
    assert deadlines.current["valid_until"] == valid_until.isoformat()
    assert (deadlines.current["renewal_from"], deadlines.draft["renewal_from"]) == (
        "2026-12-01",
        "2026-09-01",
    )
    assert [e.type for e in deadlines.events] == ["FilingApproved"]


def test_a_filing_check_recorded_on_receipt_is_cited_under_the_item_the_draft_names() -> None:
    text = hunan_text()
    site = '  unfiled_site: "26.8"\n'
    assert site in text
    draft = draft_of(text.replace(site, '  unfiled_site: "26.2"\n'))
    ledger = Ledger("hunan-2023")
    command = evidence.ReportEvaluation(
        date(2024, 5, 10),
        batch_id="B-1",
        occupation=OCCUPATION,
        level=4,
        site="未备案考点",
        territory="hunan",
        candidates=40,
        unqualified_candidates=0,
        passed=38,
        paper_set_id="P-1",
        flags=[{"check": "unfiled_site", "rule_id": "hunan-2023/26.8", "detail": "未备案"}],
    )
    ledger.run(evidence.report_evaluation, command)
    ledger.batch("2024-05-11", paper_set="P-2")  # checked alike under both
    impact = replay(subject(ledger), default_catalogue(), draft, "hunan", date(2024, 6, 1))
    assert impact is not None
    [checks] = [d for d in impact.differences if d.what == "batch_checks"]
    assert (checks.finding_id, checks.current, checks.draft) == (
        "B-1",
        ["hunan-2023/26.8"],
        ["hunan-2023/26.2"],
    )
    assert [e.type for e in checks.events] == ["EvaluationReported"]
