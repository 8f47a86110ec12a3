"""A worker process freezes what its start-up built before its first pass, as the server
does (``bootstrap.collector``): a collection of the oldest generation then scans only
what the passes made, not the modules, the catalogue and the read models' setup."""

from __future__ import annotations

import argparse
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bootstrap import cli, notices_cli
from config.settings import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("worker", ["projections", "deadlines", "notices"])
def test_a_worker_runs_its_passes_with_its_start_up_frozen(
    worker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    frozen: list[int] = []

    def passes(*_: Any, **__: Any) -> None:
        frozen.append(gc.get_freeze_count())

    monkeypatch.setattr(cli.projection_worker, "main", passes)
    monkeypatch.setattr(cli.deadlines, "main", passes)
    monkeypatch.setattr(notices_cli.notice_worker, "main", passes)
    for module in (cli, notices_cli):  # the logging of other tests left as it is
        monkeypatch.setattr(module, "configure_logging", lambda *_: None)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}")
    assert gc.get_freeze_count() == 0
    args = argparse.Namespace(worker=worker, once=True, full_scan=False)
    assert cli.cmd_worker(args, settings) == 0
    assert len(frozen) == 1
    assert frozen[0] > 0
