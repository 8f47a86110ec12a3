"""Helpers of the engine's rule tests: the rulebooks to run them under, the sanction items,
and checks on an assessment's grounds. Files are built with ``tests.gwt.Ledger``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.escalation import Assessment, Ground
from domain.rulebook import Rulebook, default_catalogue

#: The rulebooks under which institutions are filed (those naming a jurisdiction).
INSTITUTION_RULEBOOKS = tuple(sorted({r.id for r in default_catalogue() if r.jurisdiction}))


def sanction_items(book: Rulebook) -> list[str]:
    """Every item of every sanction article (an article with a level), in source order."""
    return [
        item.id for article in book.articles if article.level is not None for item in article.items
    ]


def rule_ids(assessment: Assessment) -> set[str]:
    """The derived rules (and article escalations) among an assessment's grounds."""
    return {g.rule for g in assessment.grounds if g.rule != "item"}


def ground(assessment: Assessment, rule: str) -> Ground:
    found = [g for g in assessment.grounds if g.rule == rule]
    assert len(found) == 1, f"{rule} not among {sorted(rule_ids(assessment))}"
    return found[0]


def assert_explained(
    assessment: Assessment, decisions: Mapping[str, Iterable[str]] | None = None
) -> None:
    """Every ground names its article in Chinese and in English and lists the events behind
    it, the finding's own among them; ``decisions``: rule -> decisions its text must name."""
    own = next(g for g in assessment.grounds if g.rule == "item").events
    for g in assessment.grounds:
        assert g.article in g.explanation_zh, g.explanation_zh
        assert g.article in g.explanation_en, g.explanation_en
        assert set(own) <= set(g.events), (g.rule, g.events)
    for rule, decision_ids in (decisions or {}).items():
        behind = ground(assessment, rule)
        assert len(behind.events) > len(own), (rule, behind.events)
        for decision_id in decision_ids:
            assert decision_id in behind.explanation_zh, behind.explanation_zh
            assert decision_id in behind.explanation_en, behind.explanation_en
