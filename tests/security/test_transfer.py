"""``oversight export`` and ``import``: an empty store restored from an export holds the same
hash chains and, rebuilt, the same read models; a tampered export is refused whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap import build_application
from bootstrap.cli import main
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from tests.conftest import FakeClock, _postgres_settings
from tests.security.conftest import api_on
from tests.security.scenario import run_scenario

Chains = dict[str, list[tuple[int, str, str]]]


@pytest.fixture
def target(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """A second, empty store on the same backend as ``settings``."""
    if settings.backend == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'restored.db'}")
        return
    yield from _postgres_settings(request.getfixturevalue("postgres_database"))


def chains(app: OversightApplication) -> Chains:
    """Every record's chain: (version, topic, chain_hash) of each event; each one intact."""
    found: Chains = {}
    for originator in app.records.all_originators():
        assert app.records.verify_aggregate(originator) is None
        found[str(originator)] = [
            (e.originator_version, type(e).__name__, e.chain_hash)  # type: ignore[attr-defined]
            for e in app.store.repository.event_store.get(originator)
        ]
    return found


def read_models(settings: Settings) -> dict[str, str]:
    app = build_application(settings)
    projections = build_projections(settings, app)
    try:
        projections.catch_up()
        return {name: projections[name].content_hash() for name in projections}
    finally:
        projections.close()
        app.close()


@dataclass
class Bench:
    """The command line against one store or another, and the scenario to fill a store."""

    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    clock: FakeClock

    def on(self, settings: Settings) -> None:
        self.monkeypatch.setenv("OVERSIGHT_DATABASE_URL", settings.database_url)
        self.monkeypatch.setenv("OVERSIGHT_DATABASE_SCHEMA", settings.database_schema)

    def export(self, settings: Settings) -> tuple[Path, list[str]]:
        """Run the scenario on ``settings`` and export it: the file and its lines."""
        with api_on(settings, self.clock) as api:
            run_scenario(api)
        self.on(settings)
        path = self.tmp_path / "ledger.jsonl"
        assert main(["export", str(path)]) == 0
        return path, path.read_text(encoding="utf-8").splitlines(keepends=True)

    def restores(self, source: Settings, target: Settings) -> None:
        path, lines = self.export(source)
        summary = json.loads(lines[-1])
        assert summary["events"] == len(lines) - 1 > 25
        self.on(target)
        assert main(["import", str(path)]) == 0
        assert f"imported {summary['events']} events" in self.capsys.readouterr().out
        assert main(["projections", "rebuild", "--all"]) == 0
        assert chains(build_application(target)) == chains(build_application(source))
        assert read_models(target) == read_models(source)
        again = self.tmp_path / "again.jsonl"
        assert main(["export", str(again)]) == 0
        assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")

    def refusal(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def bench(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: FakeClock,
) -> Bench:
    return Bench(tmp_path, monkeypatch, capsys, clock)


def test_an_export_restores_identical_chains_and_read_models(
    settings: Settings, target: Settings, bench: Bench
) -> None:
    bench.restores(settings, target)


def test_an_embedded_store_moves_to_postgresql(pg_settings: Settings, bench: Bench) -> None:
    embedded = Settings(database_url=f"sqlite:///{bench.tmp_path / 'embedded.db'}")
    bench.restores(embedded, pg_settings)


# --- refusals ------------------------------------------------------------------------------


def edited(lines: list[str], number: int, **changes: object) -> list[str]:
    """The export with line ``number`` (1-based) changed: top-level keys, or ``state.KEY``."""
    obj = json.loads(lines[number - 1])
    for key, value in changes.items():
        if key.startswith("state_"):
            obj["state"][key.removeprefix("state_")] = value
        else:
            obj[key] = value
    out = list(lines)
    out[number - 1] = json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
    return out


def swapped(lines: list[str], a: int, b: int) -> list[str]:
    out = list(lines)
    out[a - 1], out[b - 1] = out[b - 1], out[a - 1]
    return out


def without(lines: list[str], number: int) -> list[str]:
    return lines[: number - 1] + lines[number:]


def test_a_tampered_export_is_refused_naming_its_line_and_nothing_is_imported(
    settings: Settings, target: Settings, bench: Bench
) -> None:
    exported, lines = bench.export(settings)
    entries = [json.loads(line) for line in lines[:-1]]
    last = len(lines)  # the summary line
    filed = 1 + next(i for i, e in enumerate(entries) if e["topic"].endswith(":FilingSubmitted"))
    record = entries[filed - 1]["originator_id"]
    own = [i + 1 for i, e in enumerate(entries) if e["originator_id"] == record]
    other = next(n for n in range(filed + 1, last) if entries[n - 1]["originator_id"] != record)
    tail = max(own)
    moved, gone = "a line of it is missing or out of order", "the summary counts"
    cases = {
        "a changed field": (
            edited(lines, filed, state_legal_representative="某某"),
            filed,
            "content does not match its chain_hash",
        ),
        "a changed instant": (
            edited(lines, filed, recorded_at="2024-01-01T00:00:00+00:00"),
            filed,
            "recorded_at differs",
        ),
        "a line moved within its chain": (swapped(lines, own[1], own[2]), own[1], moved),
        "a line removed from its chain": (without(lines, own[1]), own[2] - 1, moved),
        "the chain's last line removed": (without(lines, tail), last - 1, gone),
        "lines of two chains swapped": (swapped(lines, other - 1, other), other, "out of order"),
        "the summary cut off": (lines[:-1], last, "without its summary line"),
        "a line after the summary": ([*lines, lines[0]], last + 1, "follows the summary"),
    }
    bench.on(target)
    for name, (tampered, line, reason) in cases.items():
        path = bench.tmp_path / "tampered.jsonl"
        path.write_text("".join(tampered), encoding="utf-8")
        assert main(["import", str(path)]) == 2, name
        err = bench.refusal()
        assert f"refused: line {line}: " in err, (name, err)
        assert reason in err, (name, err)
        assert not build_application(target).store.recorder.max_notification_id(), name

    assert main(["import", str(exported)]) == 0
    assert main(["import", str(exported)]) == 2
    assert "empty store" in bench.refusal()
