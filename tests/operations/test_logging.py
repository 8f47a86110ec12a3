"""Logging writes to standard error as it is at each line: a stream swapped in after
logging was configured (a test's capture since closed, a redirection) never breaks a log
call of the code under way."""

from __future__ import annotations

import io
import json
import sys

import pytest

from config.logging import configure_logging, get_logger


def test_a_line_logged_after_the_configured_stream_closed_goes_to_the_current_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    then = io.StringIO()
    monkeypatch.setattr(sys, "stderr", then)
    configure_logging("json", "INFO")
    then.close()  # as a test's capture is closed once the test is over
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    get_logger("oversight.test").info("deadline.recorded", event_type="FindingRecorded")
    line = json.loads(now.getvalue())
    assert line["event"] == "deadline.recorded"
    assert line["event_type"] == "FindingRecorded"
