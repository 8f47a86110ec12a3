"""docs/configuration.md is the page ``oversight config docs`` writes from the settings."""

from __future__ import annotations

from pathlib import Path

from bootstrap.config_docs import DOCS_PATH, render
from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_page_is_current() -> None:
    committed = (ROOT / DOCS_PATH).read_text(encoding="utf-8")
    assert committed == render(), "run: oversight config docs > docs/configuration.md"


def test_every_setting_has_a_row_with_its_default() -> None:
    page = render()
    for name in Settings.model_fields:
        assert f"| `OVERSIGHT_{name.upper()}` |" in page
    assert "| `OVERSIGHT_PORT` | `8000` |" in page
