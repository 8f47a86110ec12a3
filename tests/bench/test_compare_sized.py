"""``compare sized`` at a tiny size: it makes the sized institutions once and measures
every load and assessment figure beside the raw select. Never a speed."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from bootstrap.bench.compare import ensure_sized, sized
from config.settings import Settings

pytestmark = pytest.mark.postgres


def test_compare_sized_measures_each_figure_of_each_size(postgres_database: str) -> None:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=postgres_database, database_schema=schema)
    try:
        ensure_sized(settings, (10, 40))
        ensure_sized(settings, (10, 40))  # made once: the second finds them
        figures = sized(settings, (10, 40), 3)
    finally:
        with psycopg.connect(postgres_database, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
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
