"""No token and no personal datum reaches the logs, through a whole scenario."""

from __future__ import annotations

import json
import logging

import pytest

from tests.security.conftest import ApiFactory
from tests.security.scenario import run_scenario


def forms(value: str) -> set[str]:
    """The ways a value could be written into a log line."""
    return {value, value.lower(), json.dumps(value)[1:-1], json.dumps(value.lower())[1:-1]}


def test_no_token_or_personal_value_is_logged(
    api_with: ApiFactory, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with api_with(log_format="json", log_level="DEBUG") as api:
        outcome = run_scenario(api)
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    events = [r["event"] for r in records]
    # The capture holds the scenario's log: one line per request, nine refused sign-ins.
    assert events.count("request") > 25
    assert events.count("auth.refused") == 9
    assert {r["via"] for r in records if r["event"] == "auth.refused"} == {
        "bearer",
        "login",
        "cookie",
    }
    assert all(r.get("request_id") for r in records if r["event"] == "request")
    logged = "\n".join(
        [captured.err, captured.out, caplog.text]
        + [repr(r.args) + repr(r.__dict__) for r in caplog.records]
    )
    for value in outcome.secrets + outcome.personal:
        leaked = [form for form in forms(value) if form in logged]
        assert not leaked, f"{value!r} appears in the logs"
