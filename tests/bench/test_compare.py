"""``compare sized`` at a tiny size: it makes the sized institutions once and measures
every load and assessment figure beside the raw select; ``compare duefolds`` measures the
deadlines model's rebuild folds of every institution. Never a speed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from bootstrap.bench.compare import duefolds, ensure_sized, sized
from config.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_database: str) -> Iterator[Settings]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield Settings(database_url=postgres_database, database_schema=schema)
    finally:
        with psycopg.connect(postgres_database, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_compare_sized_measures_each_figure_of_each_size(settings: Settings) -> None:
    ensure_sized(settings, (10, 40))
    ensure_sized(settings, (10, 40))  # made once: the second finds them
    figures = sized(settings, (10, 40), 3)
    for size in ("10", "40"):
        for figure in (
            f"load institution, {size} events",
            f"assess, {size} events (history kept)",
            f"assess, {size} events (history read)",
            f"load institution, {size} events (snapshot read)",
            f"assess, {size} events (nothing kept)",
        ):
            assert figures[figure]["ms"] > 0, figure
            assert figures[figure]["raw select ms"] > 0, figure


def test_compare_duefolds_measures_the_folds_of_every_institution(settings: Settings) -> None:
    ensure_sized(settings, (10, 40))
    figures = duefolds(settings)
    assert figures["institutions"] == 2
    assert figures["institution events"] == 50
    assert figures["KiB per institution"] > 0
