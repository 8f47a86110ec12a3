"""Bearer tokens: high-entropy, stored only as hashes, compared in constant time, expiring
by the injected clock, and refused (401) on the very next request once revoked or expired."""

from __future__ import annotations

import base64
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bootstrap import build_application
from bootstrap.cli import DEFAULT_TOKEN_DAYS, TOKEN_PREFIX, main, new_secret
from bootstrap.demo import ensure_demo
from config.settings import Settings
from domain.access import Token, hash_token, token_id
from domain.base import Stamp
from domain.events import TokenIssued
from tests.api.conftest import Api, filing
from tests.api.test_cli import use
from tests.conftest import FakeClock
from tests.security.rows import raw_rows, store_files

BASE = "/api/v1/institutions"


def entropy_bytes(secret: str) -> int:
    body = secret.removeprefix(TOKEN_PREFIX)
    return len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def create(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[str, str]:
    """``oversight token create``: the token id and the secret it printed."""
    args = ["token", "create", "--subject", "li.wei", "--role", "regulator"]
    assert main([*args, "--jurisdiction", "chengdu", *extra]) == 0
    out = capsys.readouterr().out
    return out.split("token id: ")[1].split()[0], out.split("secret:   ")[1].split()[0]


def assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


# --- entropy -------------------------------------------------------------------------------


def test_cli_and_demo_secrets_carry_256_random_bits(settings: Settings, tmp_path: Path) -> None:
    drawn = {new_secret() for _ in range(200)}
    assert len(drawn) == 200
    assert all(s.startswith(TOKEN_PREFIX) and entropy_bytes(s) >= 32 for s in drawn)
    if settings.backend == "sqlite":
        demo = settings.model_copy(update={"demo_token_file": tmp_path / "demo-token"})
        app = build_application(demo, clock=FakeClock(datetime(2026, 11, 23, 2, tzinfo=UTC)))
        assert entropy_bytes(ensure_demo(app, demo)) >= 32


# --- stored only as a hash -----------------------------------------------------------------


def test_the_store_holds_the_hash_and_never_the_secret(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    issued = [create(capsys), create(capsys, "--expires-in", "7"), create(capsys)]
    assert main(["token", "revoke", issued[2][0]]) == 0
    rows = b"\n".join(row for table in raw_rows(settings).values() for row in table)
    everything = rows + (store_files(settings) if settings.backend == "sqlite" else b"")
    for _, secret in issued:
        assert hash_token(secret).encode() in rows  # the scan does read the token records
        assert secret.encode() not in everything
        assert secret.removeprefix(TOKEN_PREFIX).encode() not in everything


# --- constant-time comparison --------------------------------------------------------------


def test_a_record_found_under_the_id_but_holding_another_hash_is_refused(api: Api) -> None:
    secret = new_secret()
    stamp = Stamp("system", "admin", "test", api.clock())
    planted = Token._start(
        TokenIssued,
        id=token_id(hash_token(secret)),
        stamp=stamp,
        occurred_on=stamp.today,
        token_hash=hash_token(new_secret()),
        subject="planted",
        role="admin",
        jurisdiction=None,
        district=None,
        institution_id=None,
        note="",
    )
    api.app.store.save(planted)
    assert api.app.access.authenticate_or_none(secret) is None
    assert_unauthenticated(api.get(BASE, {"Authorization": f"Bearer {secret}"}))


def test_the_hashes_are_compared_with_compare_digest(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    headers = api.token("reviewer")
    assert api.get(BASE, headers).status_code == 200
    digest = hash_token(headers["Authorization"].removeprefix("Bearer "))
    assert (digest, digest) in compared


# --- expiry ----------------------------------------------------------------------------------


def test_an_expired_token_is_refused_on_the_next_request_by_the_injected_clock(
    api: Api,
) -> None:
    secret = new_secret()
    api.app.access.issue_token(
        secret, subject="temp", role="reviewer", valid_for=timedelta(days=30)
    )
    headers = {"Authorization": f"Bearer {secret}"}
    # The wall clock is years past the expiry: only the injected clock says it is still valid.
    api.clock.advance(days=30, seconds=-1)
    assert api.get(BASE, headers).status_code == 200
    api.clock.advance(seconds=1)
    assert_unauthenticated(api.get(BASE, headers))


def test_token_create_sets_an_expiry_90_days_by_default(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    default_id, _ = create(capsys)
    short_id, _ = create(capsys, "--expires-in", "7")
    app = build_application(settings)
    lifetimes = {
        str(t.id): t.expires_at - datetime.fromisoformat(t.issued_at)
        for t in app.access.tokens()
        if t.expires_at is not None
    }
    assert lifetimes == {
        default_id: timedelta(days=DEFAULT_TOKEN_DAYS),
        short_id: timedelta(days=7),
    }
    assert DEFAULT_TOKEN_DAYS == 90
    assert main(["token", "list"]) == 0
    assert capsys.readouterr().out.count("until ") == 2
    with pytest.raises(SystemExit):
        main(["token", "create", "--subject", "x", "--role", "reviewer", "--expires-in", "0"])


# --- revocation and scope ------------------------------------------------------------------


def test_a_revoked_token_is_refused_on_the_very_next_request(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = api.token("regulator", jurisdiction="chengdu")
    assert api.post(BASE, filing(), headers).status_code == 201
    token = next(t for t in api.app.access.tokens() if t.role == "regulator")
    use(monkeypatch, settings)
    assert main(["token", "revoke", str(token.id)]) == 0  # another process, the same store
    assert_unauthenticated(api.get(BASE, headers))


def test_unknown_is_401_and_a_valid_token_outside_its_scope_stays_403(api: Api) -> None:
    assert_unauthenticated(api.get(BASE, {"Authorization": f"Bearer {new_secret()}"}))
    hunan = api.token("regulator", jurisdiction="hunan")
    refused = api.post(BASE, filing(), hunan)
    assert refused.status_code == 403
    assert "WWW-Authenticate" not in refused.headers
