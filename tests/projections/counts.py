"""What the tests of the read models over a generated province share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from bootstrap.bench.province import BenchClock, generate, start_instant
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from projections import Projections
from projections.store import Table

T = TypeVar("T")


def filled_on_opening(
    app: OversightApplication,
    projections: Projections,
    settings: Settings,
    tables: Iterable[Table],
    kept: Callable[[Projections], T],
) -> T:
    """What ``kept`` reads once ``tables`` are emptied (as in a store projected before
    them) and the store is opened again."""
    with projections.store.transaction() as session:
        for table in tables:
            session.execute(f"DELETE FROM {projections.store.dialect.table(table.name)}")
    reopened = build_projections(settings, app)
    try:
        return kept(reopened)
    finally:
        reopened.close()


def province(app: OversightApplication, *, institutions: int, events: int, seed: int) -> None:
    """A synthetic province generated into ``app``'s store (``bootstrap.bench.province``)."""
    generate(
        app,
        institutions=institutions,
        events=events,
        seed=seed,
        clock=BenchClock(start_instant()),
        snapshot_interval=50,
        progress=lambda _: None,
    )
