"""Signing in by name and password logs the refusal and never the password or its hash."""

from __future__ import annotations

import json
import logging

import pytest

from domain.users import LOCKOUT_FAILURES
from tests.api.test_user_sign_in import PASSWORD, browser, sign_in
from tests.security.conftest import ApiFactory


def test_no_password_or_hash_is_logged(
    api_with: ApiFactory, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = [f"wrong password {i}" for i in range(LOCKOUT_FAILURES)]
    with api_with(log_format="json", log_level="DEBUG") as api:
        api.app.users.create_user("li.wei", role="admin", password=PASSWORD)
        client = browser(api)
        for password in wrong:
            sign_in(client, password=password)
        api.clock.advance(minutes=15)
        assert sign_in(client).status_code == 303  # type: ignore[attr-defined]
        assert client.get("/register").status_code == 200
        password_hash = api.app.users.user("li.wei").password_hash
        session = client.cookies["oversight_session"]
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    refused = [r for r in records if r["event"] == "auth.refused"]
    assert [r["outcome"] for r in refused] == ["wrong"] * (LOCKOUT_FAILURES - 1) + ["locked"]
    logged = "\n".join([captured.err, captured.out, caplog.text])
    for secret in [PASSWORD, *wrong, password_hash, session]:
        assert secret not in logged, f"{secret[:12]}… appears in the logs"
