"""The rulebook files: they load, their hashes identify their bytes, their derived rules point
at sanction items, the catalogue picks them by date, broken files are rejected clearly, and the
levels the regulations set are the levels encoded."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.rulebook import (
    DERIVED_RULE_PARAMS,
    RULEBOOK_DIR,
    Catalogue,
    Rulebook,
    RulebookError,
    load_catalogue,
    parse_rulebook,
)

FILES = sorted(RULEBOOK_DIR.glob("*/v*.yaml"))
EXPECTED_IDS = {"hunan-2023", "chengdu-2024", "huangshi-2022", "zhengzhou-2014"}
HUNAN = RULEBOOK_DIR / "hunan-2023" / "v1.yaml"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _rb(catalogue: Catalogue, rulebook_id: str) -> Rulebook:
    return catalogue.get(rulebook_id, 1)


# --- every file loads -------------------------------------------------------------------------


def test_the_expected_rulebooks_are_present() -> None:
    assert {p.parent.name for p in FILES} >= EXPECTED_IDS


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_file_loads_and_names_itself(path: Path) -> None:
    rb = parse_rulebook(path)
    assert rb.id == path.parent.name
    assert path.name == f"v{rb.version}.yaml"
    assert rb.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert rb.effective_until is None or rb.effective_from < rb.effective_until
    assert rb.issued_on <= rb.effective_from


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_items_follow_the_source_numbering(path: Path) -> None:
    rb = parse_rulebook(path)
    for article in rb.articles:
        numbers = [int(item.id.split(".")[1]) for item in article.items]
        assert numbers == list(range(1, len(numbers) + 1)), article.number
        for item in article.items:
            assert item.summary_zh.strip()
            assert item.summary_en.strip()


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_level_used_has_a_label(path: Path) -> None:
    rb = parse_rulebook(path)
    used = {str(a.level) for a in rb.articles if a.level is not None}
    used |= {str(a.escalation.level) for a in rb.articles if a.escalation is not None}
    assert used <= set(rb.sanction_levels)


def test_the_catalogue_loads_every_file(catalogue: Catalogue) -> None:
    assert {r.id for r in catalogue} >= EXPECTED_IDS
    assert set(catalogue.jurisdictions()) >= {"hunan", "chengdu", "huangshi"}


# --- content hash -----------------------------------------------------------------------------


def test_content_hash_is_stable(tmp_path: Path) -> None:
    first = parse_rulebook(HUNAN)
    again = parse_rulebook(HUNAN)
    copy = tmp_path / "hunan-2023" / "v1.yaml"
    copy.parent.mkdir()
    shutil.copyfile(HUNAN, copy)
    copied = parse_rulebook(copy)
    assert first.content_hash == again.content_hash == copied.content_hash
    assert len(first.content_hash) == 64
    assert first.ref == f"hunan-2023@v1#{first.content_hash[:12]}"


def test_content_hash_changes_when_bytes_change(tmp_path: Path) -> None:
    original = parse_rulebook(HUNAN)
    copy = tmp_path / "hunan-2023" / "v1.yaml"
    copy.parent.mkdir()
    copy.write_bytes(HUNAN.read_bytes() + b"\n# a comment changes the bytes, not the rules\n")
    edited = parse_rulebook(copy)
    assert edited.content_hash != original.content_hash
    assert edited.model_dump(exclude={"content_hash"}) == original.model_dump(
        exclude={"content_hash"}
    )


# --- derived rules ----------------------------------------------------------------------------


def test_each_derived_rule_yields_an_existing_sanction_item(catalogue: Catalogue) -> None:
    for rb in catalogue:
        for rule in rb.derived_rules:
            assert rb.item(rule.yields) is not None, f"{rb.id}: {rule.id}"
            assert rb.item(rb.cite(rule.yields)) is not None
            assert rb.level_of(rule.yields) in (0, 1, 2, 3)
            for ref in rule.article_refs():
                assert rb.article_of(f"{ref}.1").level is not None
            assert isinstance(rule.typed_params(), DERIVED_RULE_PARAMS[rule.kind])
            assert rule.reasoning_zh.strip()
            assert rule.reasoning_en.strip()


def _rule(catalogue: Catalogue, rulebook_id: str, yields: str, kind: str) -> dict[str, Any]:
    """The parameters of the one derived rule of ``kind`` that yields ``yields``."""
    found = [
        r
        for r in _rb(catalogue, rulebook_id).derived_rules
        if r.yields == yields and r.kind == kind
    ]
    assert len(found) == 1, (rulebook_id, yields, kind)
    return found[0].params


def test_section_6_q1_again_after_an_interview_a_notice_or_a_warning(catalogue: Catalogue) -> None:
    for rulebook_id, yields, article in (
        ("hunan-2023", "26.1", "25"),
        ("chengdu-2024", "31.1", "30"),
    ):
        again = _rule(catalogue, rulebook_id, yields, "recurrence_after_sanction")
        assert again["after_sanction"] == "interview"
        assert again["from_articles"] == again["prior_from_articles"] == [article]
        assert again["since"] == "effect_date"
        assert again["order_by"] == "occurred_on"
        assert _rule(catalogue, rulebook_id, yields, "serious_case") == {"from_articles": [article]}
    notice = _rule(catalogue, "hunan-2023", "27.1", "recurrence_after_sanction")
    assert notice["after_sanction"] == "rectification"
    assert notice["requires_completed_rectification"] is False
    after_rect = _rule(catalogue, "chengdu-2024", "32.1", "recurrence_after_sanction")
    assert after_rect["requires_completed_rectification"] is True
    warned = _rule(catalogue, "huangshi-2022", "16.6", "recurrence_after_sanction")
    assert warned["after_sanction"] == "warning"
    assert warned["from_articles"] == ["14", "15"]
    assert warned["match"] == "any_listed"
    assert warned["requires_completed_rectification"] is True


def test_section_6_q2_three_rectifications_in_a_calendar_year_hunan_only(
    catalogue: Catalogue,
) -> None:
    year = _rule(catalogue, "hunan-2023", "27.10", "sanctions_in_calendar_year")
    assert year == {
        "sanction_level": 2,
        "threshold": 3,
        "count_by": "decided_on",
        "include_current": True,
        "timezone": "Asia/Shanghai",
    }
    assert not any(
        r.kind == "sanctions_in_calendar_year" for r in _rb(catalogue, "chengdu-2024").derived_rules
    )


def test_section_6_q3_q4_inactivity_and_complaint_windows(catalogue: Catalogue) -> None:
    # Q3: Chengdu 31.4 first at 12 months, 32.8 only at 24.
    assert _rule(catalogue, "chengdu-2024", "31.4", "inactivity")["months"] == 12
    assert _rule(catalogue, "chengdu-2024", "32.8", "inactivity")["months"] == 24
    # Q4: Huangshi complaints in a rolling 12 months.
    complaints = _rule(catalogue, "huangshi-2022", "15.3", "substantiated_complaints_in_window")
    assert complaints == {"threshold": 2, "window": "rolling_12_months", "count_by": "occurred_on"}
    for rulebook_id, yields, months in (
        ("hunan-2023", "26.4", 12),
        ("hunan-2023", "27.7", 24),
        ("huangshi-2022", "15.2", 12),
        ("huangshi-2022", "16.5", 24),
    ):
        assert _rule(catalogue, rulebook_id, yields, "inactivity")["months"] == months


def test_section_6_the_other_thresholds(catalogue: Catalogue) -> None:
    ratio = _rule(catalogue, "huangshi-2022", "14.1", "ratio_threshold_in_batch")
    assert ratio["threshold_percent"] == 3
    assert ratio["inclusive"] is True
    assert _rule(catalogue, "huangshi-2022", "14.4", "paper_set_reuse") == {"window_months": 12}
    for rulebook_id, yields in (
        ("hunan-2023", "26.6"),
        ("chengdu-2024", "31.6"),
        ("huangshi-2022", "15.7"),
    ):
        assert _rule(catalogue, rulebook_id, yields, "overdue_rectification") == {}


# --- in force ---------------------------------------------------------------------------------


def test_in_force_picks_by_date(catalogue: Catalogue) -> None:
    assert catalogue.in_force("hunan", date(2023, 8, 17)) is None
    hunan = catalogue.in_force("hunan", date(2023, 8, 18))
    assert hunan is not None
    assert hunan.id == "hunan-2023"
    assert catalogue.in_force("huangshi", date(2022, 1, 3)) is None
    huangshi = catalogue.in_force("huangshi", date(2024, 6, 1))
    assert huangshi is not None
    assert huangshi.id == "huangshi-2022"
    assert catalogue.in_force("chengdu", date(2024, 2, 1)) is None
    chengdu = catalogue.in_force("chengdu", date(2029, 2, 1))
    assert chengdu is not None
    assert chengdu.id == "chengdu-2024"
    assert catalogue.in_force("chengdu", date(2029, 2, 2)) is None  # valid 5 years (Art. 37)
    assert catalogue.in_force("nowhere", date(2024, 6, 1)) is None


def test_in_force_picks_the_newer_version_from_its_date(tmp_path: Path) -> None:
    folder = tmp_path / "hunan-2023"
    folder.mkdir()
    shutil.copyfile(HUNAN, folder / "v1.yaml")
    text = HUNAN.read_text(encoding="utf-8")
    assert "\nversion: 1\n" in text
    assert "\neffective_from: 2023-08-18\n" in text
    text = text.replace("\nversion: 1\n", "\nversion: 2\n").replace(
        "\neffective_from: 2023-08-18\n", "\neffective_from: 2025-01-01\n"
    )
    (folder / "v2.yaml").write_text(text, encoding="utf-8")
    catalogue = load_catalogue(tmp_path)
    assert catalogue.in_force("hunan", date(2023, 8, 17)) is None
    before = catalogue.in_force("hunan", date(2024, 12, 31))
    after = catalogue.in_force("hunan", date(2025, 1, 1))
    assert before is not None
    assert before.version == 1
    assert after is not None
    assert after.version == 2
    assert catalogue.get("hunan-2023").version == 2


# --- broken files -----------------------------------------------------------------------------


def _broken(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(HUNAN.read_bytes())
    mutate(data)
    path = tmp_path / "hunan-2023" / "v1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(RulebookError) as info:
        parse_rulebook(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_a_missing_field_names_file_and_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda d: d.pop("title_en"))
    message = _error(path)
    assert "title_en" in message
    assert "Field required" in message


def test_a_bad_article_level_names_file_and_field(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["articles"][1]["level"] = 5

    message = _error(_broken(tmp_path, bad))
    assert "articles.1.level" in message


def test_a_bad_item_level_names_file_and_field(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["articles"][0]["items"][0]["level"] = 7

    message = _error(_broken(tmp_path, bad))
    assert "articles.0.items.0.level" in message


def test_a_missing_item_summary_names_file_and_field(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        del d["articles"][2]["items"][3]["summary_en"]

    message = _error(_broken(tmp_path, bad))
    assert "articles.2.items.3.summary_en" in message


def test_an_unknown_param_is_rejected(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["derived_rules"][1]["params"]["window"] = "calendar_year"

    message = _error(_broken(tmp_path, bad))
    assert "derived_rules.1" in message
    assert "params.window" in message


def test_a_bad_param_value_is_rejected(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["derived_rules"][1]["params"]["match"] = "whatever"

    message = _error(_broken(tmp_path, bad))
    assert "params.match" in message


def test_a_rule_yielding_an_unknown_item_is_rejected(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["derived_rules"][0]["yields"] = "26.99"

    assert "yields unknown item 26.99" in _error(_broken(tmp_path, bad))


def test_a_rule_citing_an_unknown_article_is_rejected(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["derived_rules"][0]["params"]["from_articles"] = ["99"]

    assert "unknown article 99" in _error(_broken(tmp_path, bad))


def test_an_unknown_field_is_rejected(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["articles"][0]["effects"]["fine_yuan"] = 1000

    assert "articles.0.effects.fine_yuan" in _error(_broken(tmp_path, bad))


def test_a_discretionary_effect_must_be_set(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["articles"][0]["effects"]["discretionary"] = ["suspension"]

    assert "discretionary effect suspension" in _error(_broken(tmp_path, bad))


def test_a_duplicate_item_is_rejected(tmp_path: Path) -> None:
    def bad(d: dict[str, Any]) -> None:
        d["articles"][0]["items"].append(dict(d["articles"][0]["items"][0]))

    assert "appears twice" in _error(_broken(tmp_path, bad))


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hunan-2023" / "v1.yaml"
    path.parent.mkdir()
    path.write_text("id: [unclosed\n", encoding="utf-8")
    assert "not valid YAML" in _error(path)


# --- spot checks against the sources ------------------------------------------------------------


def test_hunan_levels_and_effects(catalogue: Catalogue) -> None:
    hunan = _rb(catalogue, "hunan-2023")
    assert hunan.jurisdiction == "hunan"
    assert hunan.level_of("24.1") == 0
    assert hunan.level_of("25.9") == 1
    assert hunan.level_of("26.1") == 2
    assert hunan.level_of("hunan-2023/26.1") == 2
    assert hunan.level_of("27.10") == 3
    assert hunan.cite("27.10") == "hunan-2023/27.10"
    l2 = hunan.article_of("26.1").effects
    assert l2.rectification
    assert l2.suspension
    assert l2.public_announcement
    assert l2.supervision_file
    l3 = hunan.article_of("27.1").effects
    assert l3.revocation
    assert l3.ban_years is None  # 不再受理其备案或遴选申请: indefinite
    assert [len(hunan.article_of(f"{n}.1").items) for n in (24, 25, 26, 27)] == [3, 9, 8, 11]
    non_cooperation = hunan.article_of("31.1")
    assert non_cooperation.level == 1
    assert not non_cooperation.effects.suspension
    assert non_cooperation.escalation is not None
    assert non_cooperation.escalation.level == 3
    assert non_cooperation.escalation.effects.revocation
    with pytest.raises(KeyError):
        hunan.level_of("30.1")  # supervisors' discipline, not a sanction on an institution
    assert hunan.due_process.articles == ("hunan-2023/29",)
    assert hunan.due_process.defence_days is None
    assert hunan.supervision.term_years == 3
    assert hunan.supervision.max_terms == 3
    assert hunan.supervision.min_special_group_size == 3
    assert hunan.supervision.recusal_article == "hunan-2023/12"


def test_chengdu_levels_filing_and_due_process(catalogue: Catalogue) -> None:
    chengdu = _rb(catalogue, "chengdu-2024")
    assert chengdu.level_of("29.4") == 0
    assert chengdu.level_of("30.13") == 1
    assert chengdu.level_of("31.1") == 2
    assert chengdu.level_of("32.1") == 3
    assert chengdu.level_of("32.11") == 3
    assert [len(chengdu.article_of(f"{n}.1").items) for n in (29, 30, 31, 32)] == [5, 13, 9, 11]
    assert "bad_integrity_file" in chengdu.article_of("31.1").effects.discretionary
    assert chengdu.filing.validity_years == 3
    assert chengdu.filing.renewal_window_months == 3
    assert chengdu.filing.lapse_after_months == 2
    assert chengdu.filing.renewal_articles == ("chengdu-2024/14",)
    (cap,) = chengdu.filing.caps
    assert (cap.kind, cap.limit, cap.article) == ("social_orgs_per_occupation", 3, "chengdu-2024/8")
    assert chengdu.due_process.articles == ("chengdu-2024/35",)
    assert chengdu.due_process.revocation_authority == "city"
    assert chengdu.due_process.revocation_authority_article == "chengdu-2024/28"


def test_huangshi_levels_caps_and_ban(catalogue: Catalogue) -> None:
    huangshi = _rb(catalogue, "huangshi-2022")
    assert huangshi.level_of("14.1") == 1
    assert huangshi.level_of("15.3") == 2
    assert huangshi.level_of("16.6") == 3
    assert [len(huangshi.article_of(f"{n}.1").items) for n in (14, 15, 16)] == [8, 8, 7]
    warning = huangshi.article_of("15.1").effects
    assert warning.warning
    assert warning.suspension
    assert warning.abnormal_activity_list
    assert warning.public_announcement
    assert huangshi.sanction_levels["2"].startswith("警示")
    ban = huangshi.article_of("16.1").effects
    assert ban.revocation
    assert ban.ban_years == 3
    caps = {c.kind: c for c in huangshi.filing.caps}
    assert caps["occupations_per_social_org"].limit == 5
    assert caps["social_orgs_per_occupation_level"].limit == 3
    assert "no_scope_growth_before_first_evaluation" in caps
    assert {c.article for c in caps.values()} == {"huangshi-2022/12"}
    assert huangshi.filing.validity_years == 3


def test_zhengzhou_is_supervisor_rules_only(catalogue: Catalogue) -> None:
    zhengzhou = _rb(catalogue, "zhengzhou-2014")
    assert zhengzhou.jurisdiction is None
    assert zhengzhou.derived_rules == ()
    assert all(a.level is None for a in zhengzhou.articles)
    assert zhengzhou.supervision.card_validity_years == 3
    assert zhengzhou.supervision.card_article == "zhengzhou-2014/5"
    assert zhengzhou.supervision.max_consecutive_assignments == 3
    assert zhengzhou.supervision.rotation_article == "zhengzhou-2014/19"
    assert zhengzhou.supervision.recusal_article == "zhengzhou-2014/14"
