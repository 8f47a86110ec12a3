"""``oversight export`` and ``import``: an empty store restored from an export holds the same
hash chains and, rebuilt, the same read models; a tampered export is refused whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.bootstrap import build_application
from api.cli import main
from api.settings import Settings
from domain.application import OversightApplication
from projections import build_projections
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


def on(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("OVERSIGHT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OVERSIGHT_DATABASE_SCHEMA", settings.database_schema)


def chains(app: OversightApplication) -> Chains:
    """Every record's chain: (version, topic, chain_hash) of each event; each one intact."""
    found: Chains = {}
    for originator in app.all_originators():
        assert app.verify_aggregate(originator) is None
        found[str(originator)] = [
            (e.originator_version, type(e).__name__, e.chain_hash)  # type: ignore[attr-defined]
            for e in app.repository.event_store.get(originator)
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


def export(
    settings: Settings, path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> list[str]:
    """Run the scenario on ``settings`` and export it to ``path``; the export's lines."""
    with api_on(settings, clock) as api:
        run_scenario(api)
    on(monkeypatch, settings)
    assert main(["export", str(path)]) == 0
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def restores(
    source: Settings,
    target: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: FakeClock,
) -> None:
    path = tmp_path / "ledger.jsonl"
    lines = export(source, path, monkeypatch, clock)
    summary = json.loads(lines[-1])
    assert summary["events"] == len(lines) - 1 > 25
    on(monkeypatch, target)
    assert main(["import", str(path)]) == 0
    assert f"imported {summary['events']} events" in capsys.readouterr().out
    assert main(["projections", "rebuild", "--all"]) == 0
    assert chains(build_application(target)) == chains(build_application(source))
    assert read_models(target) == read_models(source)
    again = tmp_path / "again.jsonl"
    assert main(["export", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_an_export_restores_identical_chains_and_read_models(
    settings: Settings,
    target: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: FakeClock,
) -> None:
    restores(settings, target, tmp_path, monkeypatch, capsys, clock)


def test_an_embedded_store_moves_to_postgresql(
    pg_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: FakeClock,
) -> None:
    embedded = Settings(database_url=f"sqlite:///{tmp_path / 'embedded.db'}")
    restores(embedded, pg_settings, tmp_path, monkeypatch, capsys, clock)


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
    settings: Settings,
    target: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: FakeClock,
) -> None:
    lines = export(settings, tmp_path / "ledger.jsonl", monkeypatch, clock)
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
    on(monkeypatch, target)
    for name, (tampered, line, reason) in cases.items():
        path = tmp_path / "tampered.jsonl"
        path.write_text("".join(tampered), encoding="utf-8")
        assert main(["import", str(path)]) == 2, name
        err = capsys.readouterr().err
        assert f"refused: line {line}: " in err, (name, err)
        assert reason in err, (name, err)
        assert not build_application(target).recorder.max_notification_id(), name

    assert main(["import", str(tmp_path / "ledger.jsonl")]) == 0
    assert main(["import", str(tmp_path / "ledger.jsonl")]) == 2
    assert "empty store" in capsys.readouterr().err
