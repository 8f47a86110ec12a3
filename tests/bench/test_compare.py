"""``compare sized`` at a tiny size: it makes the sized institutions once and measures
every load and assessment figure beside the raw select; ``compare duefolds`` measures the
deadlines model's rebuild folds of every institution; ``compare ceiling`` measures each of
the smallest servers beside raw transactions. Never a speed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from bootstrap.bench.ceiling_apps import APPS
from bootstrap.bench.compare import ceiling, duefolds, ensure_sized, sized
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


def test_compare_ceiling_measures_each_server_beside_raw_transactions(settings: Settings) -> None:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(settings.database_schema)))
    figures = ceiling(settings, [2], 0.5, ours=False)  # no province in the schema
    figure = figures["2 clients"]
    assert figure["raw one-row transactions"]["per_s"] > 0
    for label in APPS.values():
        assert figure[label]["failures"] == {}, label
        assert figure[label]["per_s"] > 0, label
        assert figure[label]["ratio to raw"] > 0, label
        assert figure[label]["server CPU ms per request"] >= 0, label
        assert 0 <= figure[label]["machine busy %"] <= 100, label
    with psycopg.connect(settings.database_url) as conn:  # the scratch table dropped
        left = conn.execute(
            "SELECT to_regclass(%s)", (f"{settings.database_schema}.raw_events",)
        ).fetchone()
    assert left == (None,)
