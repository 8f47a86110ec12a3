"""从旧兼从轻: the version in force on the conduct date, unless a later one is lighter."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from domain.escalation import Finding, assess_leniently
from domain.history import History
from domain.rulebook import RULEBOOK_DIR, load_catalogue


def catalogue_with_v2(tmp_path: Path, item_level: int) -> Path:
    """hunan-2023 v1 plus a v2 from 2025-01-01 that puts item 26.7 at ``item_level``."""
    root = tmp_path / "rulebooks"
    shutil.copytree(RULEBOOK_DIR, root)
    v1 = (root / "hunan-2023" / "v1.yaml").read_text()
    v1 = v1.replace("effective_until: null", "effective_until: 2025-01-01", 1)
    assert "effective_until: 2025-01-01" in v1
    (root / "hunan-2023" / "v1.yaml").write_text(v1)
    v2 = v1.replace("version: 1", "version: 2", 1)
    v2 = v2.replace("effective_from: 2023-08-18", "effective_from: 2025-01-01", 1)
    v2 = v2.replace("effective_until: 2025-01-01", "effective_until: null", 1)
    marker = '      - id: "26.7"\n'
    head, tail = v2.split(marker, 1)
    v2 = head + marker + f"        level: {item_level}\n" + tail
    (root / "hunan-2023" / "v2.yaml").write_text(v2)
    return root


def finding() -> Finding:
    return Finding("F-1", "hunan-2023/26.7", "minor", date(2024, 6, 1))


def test_a_later_lighter_version_applies_and_says_why(tmp_path: Path) -> None:
    catalogue = load_catalogue(catalogue_with_v2(tmp_path, item_level=1))
    then = assess_leniently(History(), catalogue, "hunan", finding(), date(2024, 12, 1))
    assert (then.level, then.rulebook_version) == (2, 1)
    now = assess_leniently(History(), catalogue, "hunan", finding(), date(2025, 3, 1))
    assert (now.level, now.rulebook_version) == (1, 2)
    assert "从旧兼从轻" in now.rulebook_choice_zh
    assert "lighter" in now.rulebook_choice_en
    assert [c["level"] for c in now.considered] == [2, 1]


def test_a_later_heavier_version_does_not_apply(tmp_path: Path) -> None:
    catalogue = load_catalogue(catalogue_with_v2(tmp_path, item_level=3))
    now = assess_leniently(History(), catalogue, "hunan", finding(), date(2025, 3, 1))
    assert (now.level, now.rulebook_version) == (2, 1)
    assert "not lighter" in now.rulebook_choice_en
