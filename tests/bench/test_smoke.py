"""``oversight bench`` at a tiny size: every figure is measured and printed. Never a speed."""

from __future__ import annotations

import math

import pytest

from bootstrap.bench import Options
from bootstrap.bench.run import run

pytestmark = pytest.mark.postgres


def test_the_bench_measures_every_figure(postgres_database: str) -> None:
    options = Options(
        database_url=postgres_database,
        institutions=12,
        events=200,
        sizes=(10, 40),
        clients=(1, 2),
        duration=0.5,
        repeats=3,
        seed=1,
        snapshot_interval=10,
        keep=False,
        impact_institutions=30,
    )
    table = run(options)
    names = table.names()
    for expected in (
        "generate and bulk-load the province",
        "projection rebuild",
        "load institution, 10 events",
        "assess, 40 events (history kept)",
        "assess, 40 events (history read)",
        "load institution, 40 events (snapshot read)",
        "impact run, ",
        "  impact run rate",
        "POST findings+batches, 1 clients",
        "POST findings+batches, 2 clients",
        "  p99, 2 clients",
        "GET register filter (hunan, active): p99",
        "GET register cursor paging: p99",
        "GET institution timeline: p99",
        "GET worklist: p99",
        "GET dashboard (every chart query): p99",
        "GET public page: p99",
        "chart query sanctions_by_month: p99",
        "peak RSS, API process",
        "peak RSS, projection worker",
    ):
        assert any(name.startswith(expected) for name in names), (expected, names)
    for figure in table.figures:
        assert not math.isnan(figure.ours), figure
        assert figure.ours > 0, figure
    rendered = table.render()
    header = [cell.strip() for cell in rendered.splitlines()[0].split(" | ")]
    assert header == ["figure", "unit", "ours", "baseline", "ratio", "target"]
    assert "province: 12 institutions" in rendered
    assert "impact: " in rendered


def test_the_scale_run_copies_projects_and_reads_a_store_of_its_own(
    postgres_database: str,
) -> None:
    from bootstrap.bench import scale

    options = Options(
        database_url=postgres_database,
        institutions=12,
        events=200,
        sizes=(),
        clients=(1,),
        duration=0.5,
        repeats=3,
        seed=1,
        snapshot_interval=10,
        keep=False,
        scale_institutions=30,
    )
    table = scale.run(options)
    names = table.names()
    for expected in (
        "project the copied store, events 0 to ",
        "GET register cursor paging: p99",
        "GET worklist: p99",
        "GET public page: p99",
        "chart query worklist counts (the dashboard): p99",
        "peak RSS, API process",
    ):
        assert any(name.startswith(expected) for name in names), (expected, names)
    for figure in table.figures:
        assert not math.isnan(figure.ours), figure
    assert any(note.startswith("store: 30 institutions") for note in table.notes), table.notes
    assert not any(note.startswith("projected ") for note in table.notes), table.notes
