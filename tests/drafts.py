"""Draft rulebooks the impact tests send: a published file with one thing changed."""

from __future__ import annotations

from bootstrap.bench.impact import draft_text
from domain.rulebook import published_file

HUNAN = published_file("hunan-2023")


def hunan_text() -> str:
    return HUNAN.read_text(encoding="utf-8")


def article_25_at_level_2() -> str:
    """hunan-2023 with article 25 (and so each of its items) at level 2 instead of 1."""
    return draft_text().decode()


def with_level(level: str) -> tuple[str, int]:
    """hunan-2023 with the first article's level written as ``level``, and that line."""
    text = hunan_text()
    bad = text.replace("    level: 1\n", f"    level: {level}\n", 1)
    return bad, text.split("    level: 1\n", 1)[0].count("\n") + 1
