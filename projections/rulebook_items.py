"""The rulebook as the forms show it: the items a finding may cite, and the text of cited
articles.

:func:`finding_items` lists every sanction item of the rulebook in force for a
jurisdiction on a business date — the article picker of a finding — with the item's text
and level as the rulebook states them. :func:`article_texts` gives the text of the articles
a refusal cites. Both copy from the catalogue; neither judges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.application import OversightApplication
from domain.errors import NotFound
from projections.documents import CitedArticle, cite_article

#: An article as a refusal or a picker shows it: its citation, title and text (zh, en).
ArticleText = CitedArticle


@dataclass(frozen=True)
class ItemChoice:
    """One sanction item a finding may cite."""

    #: The item's id within its rulebook (``"25.1"``): what ``record_finding`` takes.
    rule_id: str
    citation: str  # "hunan-2023/25.1"
    level: int
    article_zh: str
    article_en: str
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class RulebookItems:
    """The rulebook in force on ``on`` and its sanction items, article by article."""

    rulebook_id: str
    version: int
    content_hash: str
    title_zh: str
    title_en: str
    on: date
    items: tuple[ItemChoice, ...]


def finding_items(app: OversightApplication, jurisdiction: str, on: date) -> RulebookItems:
    """Every item a finding of ``jurisdiction`` may cite on ``on``, with its level (before
    any rulebook of the jurisdiction, the first one's: such a finding requires nothing)."""
    rulebook = app.ledger.catalogue.looking_back(jurisdiction, on)
    if rulebook is None:
        raise NotFound(f"no rulebook of {jurisdiction} is in force on {on}", field="occurred_on")
    items = tuple(
        ItemChoice(
            rule_id=item.id,
            citation=rulebook.cite(item.id),
            level=rulebook.level_of(item.id),
            article_zh=article.title_zh,
            article_en=article.title_en,
            text_zh=item.summary_zh,
            text_en=item.summary_en,
        )
        for article in rulebook.articles
        if article.level is not None
        for item in article.items
    )
    return RulebookItems(
        rulebook.id,
        rulebook.version,
        rulebook.content_hash,
        rulebook.title_zh,
        rulebook.title_en,
        on,
        items,
    )


def article_texts(app: OversightApplication, citations: Iterable[str]) -> tuple[ArticleText, ...]:
    """The title and text of each cited article (``"hunan-2023/26.1"``), from the newest
    version of its rulebook; a citation the catalogue does not hold shows as itself."""
    return tuple(cite_article(c, None, app.ledger.catalogue) for c in citations)
