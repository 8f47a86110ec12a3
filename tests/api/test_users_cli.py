"""``oversight user …`` and user tokens, on SQLite and PostgreSQL: accounts, passwords
read from standard input, lockout kept in the store, tokens that act as their user."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bootstrap import build_application
from bootstrap.cli import main
from config.settings import Settings
from domain.application import OversightApplication
from domain.errors import Conflict, Forbidden
from domain.users import LOCKOUT_FAILURES
from tests.api.test_cli import use
from tests.conftest import FakeClock

PASSWORD = "correct horse 1"


@pytest.fixture(autouse=True)
def close_apps() -> Iterator[None]:
    """Every application a test opens is closed after it (PostgreSQL connections)."""
    yield
    while OPENED:
        OPENED.pop().close()


OPENED: list[OversightApplication] = []


def opened_app(settings: Settings, clock: FakeClock | None = None) -> OversightApplication:
    app = build_application(settings, clock=clock) if clock else build_application(settings)
    OPENED.append(app)
    return app


def piped(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def created(monkeypatch: pytest.MonkeyPatch, name: str = "li.wei", *extra: str) -> None:
    piped(monkeypatch, PASSWORD + "\n")
    args = ["user", "create", name, "--role", "regulator", "--jurisdiction", "chengdu", *extra]
    assert main(args) == 0


def test_user_create_reads_the_password_from_stdin_and_lists_the_account(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    created(monkeypatch, "li.wei", "--display-name", "李伟", "--district", "锦江区")
    assert "created user li.wei" in capsys.readouterr().out
    app = opened_app(settings)
    signed = app.users.sign_in("li.wei", PASSWORD, request_id="t")
    assert signed.outcome == "signed_in"
    assert signed.principal is not None
    assert (signed.principal.subject, signed.principal.district) == ("li.wei", "锦江区")
    assert main(["user", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "li.wei"
    assert row["display_name"] == "李伟"
    assert row["state"] == "active"
    assert row["password"] is True


def test_a_password_is_never_taken_from_the_arguments(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, settings)
    with pytest.raises(SystemExit):
        main(["user", "create", "x.y", "--role", "admin", "--password", PASSWORD])


def test_a_second_account_of_a_name_is_refused_and_a_short_password_too(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    created(monkeypatch, "li.wei")
    piped(monkeypatch, PASSWORD + "\n")
    assert main(["user", "create", "LI.WEI", "--role", "admin"]) == 2
    assert "a user named li.wei exists" in capsys.readouterr().err
    piped(monkeypatch, "short\n")
    assert main(["user", "create", "wang.fang", "--role", "admin"]) == 2
    assert "(password)" in capsys.readouterr().err
    app = opened_app(settings)
    assert [u.name for u in app.users.users()] == ["li.wei"]
    with pytest.raises(Conflict):
        app.users.create_user("li.wei", role="admin", password=PASSWORD)


def test_set_password_replaces_the_old_one(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, settings)
    created(monkeypatch)
    piped(monkeypatch, "another horse 2\n")
    assert main(["user", "set-password", "li.wei"]) == 0
    app = opened_app(settings)
    assert app.users.sign_in("li.wei", PASSWORD, request_id="t").outcome == "wrong"
    assert app.users.sign_in("li.wei", "another horse 2", request_id="t").outcome == "signed_in"


def test_lockout_is_kept_in_the_store_and_ends_on_the_clock(
    settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, settings)
    created(monkeypatch)
    app = opened_app(settings, clock)
    outcomes = [
        app.users.sign_in("li.wei", f"wrong password {i}", request_id="t").outcome
        for i in range(LOCKOUT_FAILURES)
    ]
    assert outcomes == ["wrong"] * (LOCKOUT_FAILURES - 1) + ["locked"]
    again = opened_app(settings, clock)  # another process, the same store
    assert again.users.sign_in("li.wei", PASSWORD, request_id="t").outcome == "locked"
    clock.advance(minutes=15)
    assert again.users.sign_in("li.wei", PASSWORD, request_id="t").outcome == "signed_in"
    events = [type(e).__name__ for e in again.ledger.events(again.users.user("li.wei").id)]
    assert events.count("SignInFailed") == LOCKOUT_FAILURES
    assert events[-2:] == ["UserLocked", "SignInSucceeded"]
    assert {e.actor for e in again.ledger.events(again.users.user("li.wei").id)[2:]} == {"li.wei"}


def test_an_unknown_name_is_told_apart_from_nothing_and_records_nothing(
    settings: Settings,
) -> None:
    app = opened_app(settings)
    assert app.users.sign_in("nobody", PASSWORD, request_id="t").outcome == "unknown"
    assert app.users.sign_in("not a name!", PASSWORD, request_id="t").outcome == "unknown"
    assert list(app.ledger.originators()) == []


def test_a_user_token_acts_as_the_user_and_stops_when_the_user_is_disabled(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    created(monkeypatch)
    capsys.readouterr()
    assert main(["token", "create", "--user", "li.wei", "--expires-in", "7"]) == 0
    secret = capsys.readouterr().out.split("secret:   ")[1].split()[0]
    app = opened_app(settings)
    principal = app.access.authenticate(secret)
    assert (principal.subject, principal.user, principal.role) == ("li.wei", "li.wei", "regulator")
    assert [t.user for t in app.access.tokens_of("li.wei")] == ["li.wei"]
    # The user's role changes: the token follows at the next request.
    assert main(["user", "set-role", "li.wei", "--role", "reviewer"]) == 0
    assert app.access.authenticate(secret).role == "reviewer"
    assert main(["user", "disable", "li.wei", "--reason", "left the bureau"]) == 0
    with pytest.raises(Forbidden):
        app.access.authenticate(secret)
    assert app.users.sign_in("li.wei", PASSWORD, request_id="t").outcome == "disabled"
    capsys.readouterr()
    assert main(["token", "create", "--user", "li.wei"]) == 2
    assert "disabled" in capsys.readouterr().err


def test_a_free_standing_token_still_needs_its_subject_and_role(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    assert main(["token", "create", "--role", "admin"]) == 2
    assert "--subject and --role, or --user" in capsys.readouterr().err
    app = opened_app(settings)
    app.access.issue_token("s3cret-free", subject="script", role="admin", valid_for=timedelta(1))
    assert app.access.authenticate("s3cret-free").user is None
