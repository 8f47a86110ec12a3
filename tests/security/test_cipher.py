"""With OVERSIGHT_CIPHER_KEY the store's rows are unreadable, and the service works as before."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import SecretStr, ValidationError

from bootstrap import build_application
from bootstrap.cli import main
from config.settings import Settings
from domain.access import SYSTEM
from tests.security.conftest import ApiFactory
from tests.security.rows import STORE_TABLES, raw_rows
from tests.security.scenario import BASE, PERSONAL, bearer, run_scenario


def keygen(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["keygen"]) == 0
    return capsys.readouterr().out.strip()


def test_keygen_prints_a_key_the_settings_take_and_a_malformed_one_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = keygen(capsys)
    env = Settings(cipher_key=key).eventsourcing_env()
    assert (env["CIPHER_TOPIC"], env["CIPHER_KEY"]) == ("eventsourcing.cipher:AESCipher", key)
    assert keygen(capsys) != key
    assert "CIPHER_KEY" not in Settings().eventsourcing_env()
    for bad in ("not base64!", "c2hvcnQ="):
        with pytest.raises(ValidationError, match="cipher key"):
            Settings(cipher_key=bad)


def test_an_encrypted_store_keeps_personal_data_out_of_its_rows_and_still_works(
    api_with: ApiFactory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = keygen(capsys)
    with api_with(cipher_key=SecretStr(key), snapshot_interval=2) as api:
        outcome = run_scenario(api)
        regulator = bearer(outcome.secrets[1])
        iid = outcome.institution_id
        record = api.get(f"{BASE}/{iid}", regulator).json()
        assert record["legal_representative"] == PERSONAL["new_legal_representative"]
        assert record["credit_code"] == outcome.credit_code
        assert api.get(f"{BASE}/{iid}/integrity", regulator).json()["intact"] is True
        listed = api.get(BASE, regulator).json()["items"]  # the register, a read model
        assert [(i["id"], i["credit_code"]) for i in listed] == [(iid, outcome.credit_code)]

    rows = raw_rows(settings, only=STORE_TABLES[settings.backend])
    events, snapshots = (rows[name] for name in STORE_TABLES[settings.backend])
    assert len(events) > 25
    assert snapshots  # the institution was snapshotted too
    stored = b"\n".join(events + snapshots)
    for value in [outcome.credit_code, *outcome.personal, "chain_hash", "occurred_on"]:
        assert value.encode() not in stored, f"{value!r} is readable in the stored state"

    monkeypatch.setenv("OVERSIGHT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OVERSIGHT_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("OVERSIGHT_CIPHER_KEY", key)
    assert main(["verify"]) == 0
    assert "hash chains verified" in capsys.readouterr().out
    # The library also reads OVERSIGHT_CIPHER_KEY itself (its <APP>_<KEY> lookup): unset it.
    monkeypatch.delenv("OVERSIGHT_CIPHER_KEY")
    without_key = build_application(settings)
    with pytest.raises(Exception, match="deserialise"):
        without_key.records.institution(SYSTEM, UUID(iid))
