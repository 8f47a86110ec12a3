"""Every read model is disposable and exactly-once (product.md point 8): fed a year of
casework in batches of any size, interleaved with new events, or rebuilt alone from the
store, it reaches the same content."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from projections import READ_MODELS, Projections
from tests.conftest import FakeClock
from tests.projections.casework import LATER, busy_year
from workers.projections import command

NAMES = [make().name for make in READ_MODELS]
#: Read models fed by casework (workload is fed by supervision: tests/api/test_workload.py).
CASEWORK_MODELS = [n for n in NAMES if n not in ("register", "workload")]


def head(app: OversightApplication) -> int:
    return app.store.recorder.max_notification_id() or 0


def row_counts(projections: Projections, name: str) -> dict[str, int]:
    store = projections.store
    with store.reading() as session:
        return {
            table.name: int(
                session.rows(f"SELECT COUNT(*) AS n FROM {store.dialect.table(table.name)}")[0]["n"]
            )
            for table in projections[name].model.tables
        }


@pytest.mark.parametrize("name", CASEWORK_MODELS)
def test_a_rebuild_reaches_the_same_content_as_catching_up(
    name: str,
    settings: Settings,
    app: OversightApplication,
    projections: Projections,
    clock: FakeClock,
) -> None:
    clock.set(LATER)
    busy_year(app)
    projection = projections[name]

    assert projection.catch_up() == head(app)
    counts = row_counts(projections, name)
    assert all(counts.values()), counts
    digest = projection.content_hash()
    assert projection.catch_up() == 0
    assert projection.content_hash() == digest

    assert projection.rebuild() == head(app)
    assert projection.content_hash() == digest
    assert row_counts(projections, name) == counts

    one_by_one = build_projections(settings, app, batch_size=1)
    try:
        assert one_by_one[name].rebuild() == head(app)
        assert one_by_one[name].content_hash() == digest
    finally:
        one_by_one.close()


@pytest.mark.parametrize("name", CASEWORK_MODELS)
def test_catching_up_while_the_casework_goes_on_matches_a_rebuild(
    name: str,
    settings: Settings,
    app: OversightApplication,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.set(LATER)
    live = build_projections(settings, app, batch_size=7)
    try:
        save = app.store.save

        def save_then_catch_up(*args: Any, **kwargs: Any) -> Any:
            """Every command's events are applied as soon as they are recorded."""
            recordings = save(*args, **kwargs)
            live[name].catch_up()
            return recordings

        monkeypatch.setattr(app.store, "save", save_then_catch_up)
        busy_year(app)
        monkeypatch.undo()
        assert live[name].position() == head(app)
        digest = live[name].content_hash()
    finally:
        live.close()

    fresh = build_projections(settings, app)
    try:
        fresh[name].rebuild()
        assert fresh[name].content_hash() == digest
    finally:
        fresh.close()


def test_rebuilding_one_model_leaves_the_others_untouched(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set(LATER)
    busy_year(app)
    projections.catch_up()
    before = {name: projections[name].content_hash() for name in NAMES}

    projections["worklist"].rebuild()

    assert {name: projections[name].content_hash() for name in NAMES} == before
    assert all(p.up_to_date for p in projections.status())


def test_the_status_command_lists_every_read_model(
    app: OversightApplication,
    projections: Projections,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock.set(LATER)
    busy_year(app)
    projections["sanctions"].catch_up()

    assert command(projections, "status", None, False) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == NAMES
    assert set(NAMES) >= {"register", "sanctions", "worklist", "disclosure", "complaints"}
    sanctions = next(line for line in lines if line.startswith("sanctions"))
    assert sanctions.split()[-1] == "0"  # no lag
