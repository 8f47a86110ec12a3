"""User accounts as given → when → then: creation, passwords, roles, disabling, lockout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from argon2 import PasswordHasher

from bootstrap.passwords import Argon2Passwords
from domain.base import Stamp
from domain.errors import Conflict, InvalidInput
from domain.users import LOCKOUT_FAILURES, LOCKOUT_PERIOD, User, check_password, user_id
from tests.gwt import given_aggregate

#: Real argon2id with cheap parameters, so the tests stay fast.
PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
START = datetime(2024, 3, 20, 1, 0, tzinfo=UTC)
INSTITUTION = UUID("00000000-0000-4000-8000-00000000000a")


def at(minutes: float, actor: str = "li.wei", role: str = "regulator") -> Stamp:
    return Stamp(actor, role, "req-test", START + timedelta(minutes=minutes))


def created(name: str = "li.wei", role: str = "regulator", **scope: object) -> Callable[[], User]:
    def create() -> User:
        fields: dict[str, object] = {"jurisdiction": "chengdu", "district": None}
        fields.update(scope)
        return User.create(
            name,
            display_name="李伟",
            role=role,
            institution_id=fields.pop("institution_id", None),  # type: ignore[arg-type]
            stamp=at(0, "system", "admin"),
            **fields,  # type: ignore[arg-type]
        )

    return create


def password(value: str = "correct horse 1") -> Callable[[User], None]:
    return lambda u: u.set_password(PASSWORDS.hash(value), at(0, "system", "admin"))


def attempt(minutes: float, value: str) -> Callable[[User], object]:
    return lambda u: u.sign_in(PASSWORDS.verify(u.password_hash, value), at(minutes))


def test_a_user_is_created_with_a_name_role_and_scope() -> None:
    user = created("Li.Wei ")()
    (event,) = user.collect_events()
    assert type(event).__name__ == "UserCreated"
    assert (event.name, event.role, event.jurisdiction) == ("li.wei", "regulator", "chengdu")
    assert event.actor == "system"
    assert user.id == user_id("li.wei")


@pytest.mark.parametrize(
    ("name", "role", "scope", "field"),
    [
        ("x", "regulator", {}, "name"),
        ("li wei", "regulator", {}, "name"),
        ("li.wei", "emperor", {}, "role"),
        ("li.wei", "regulator", {"jurisdiction": None}, "jurisdiction"),
        ("li.wei", "institution", {}, "institution"),
        ("li.wei", "admin", {"jurisdiction": None, "district": "锦江区"}, "district"),
    ],
)
def test_a_user_without_a_valid_name_or_scope_is_refused(
    name: str, role: str, scope: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        created(name, role, **scope)()
    assert refused.value.field == field


def test_the_password_is_kept_as_an_argon2id_hash() -> None:
    (
        given_aggregate(created())
        .when(password("correct horse 1"))
        .then("PasswordSet")
        .state(password_version=1)
    )
    user = given_aggregate(created(), password("correct horse 1")).aggregate
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert PASSWORDS.verify(user.password_hash, "correct horse 1")
    assert not PASSWORDS.verify(user.password_hash, "correct horse 2")


@pytest.mark.parametrize("bad", ["short", " leading space pw", "x" * 1025])
def test_a_weak_or_unbounded_password_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(bad)
    assert refused.value.field == "password"


def test_the_right_password_signs_in_as_the_user() -> None:
    then = given_aggregate(created(), password()).when(attempt(1, "correct horse 1"))
    then.then("SignInSucceeded", via="password", actor="li.wei").state(failures=0)
    principal = then.aggregate.principal()
    assert (principal.subject, principal.user, principal.role) == ("li.wei", "li.wei", "regulator")


def test_a_wrong_password_is_recorded_and_counted() -> None:
    (
        given_aggregate(created(), password(), attempt(1, "wrong password 1"))
        .when(attempt(2, "wrong password 2"))
        .then("SignInFailed", failures=2, actor="li.wei")
        .state(failures=2, locked_until=None)
    )


def test_the_fifth_wrong_password_in_a_row_locks_for_fifteen_minutes() -> None:
    four = [attempt(i, f"wrong password {i}") for i in range(LOCKOUT_FAILURES - 1)]
    then = (
        given_aggregate(created(), password(), *four)
        .when(attempt(10, "wrong password 5"))
        .then("SignInFailed", "UserLocked", until=START + timedelta(minutes=10) + LOCKOUT_PERIOD)
    )
    assert then.aggregate.locked(START + timedelta(minutes=24, seconds=59))
    assert not then.aggregate.locked(START + timedelta(minutes=25))


def test_a_success_clears_the_count_so_failures_must_be_in_a_row() -> None:
    four = [attempt(i, f"wrong password {i}") for i in range(LOCKOUT_FAILURES - 1)]
    (
        given_aggregate(created(), password(), *four, attempt(5, "correct horse 1"))
        .when(attempt(6, "wrong password 9"))
        .then("SignInFailed", failures=1)
    )


def locked_user() -> list[Callable[[User], object]]:
    return [attempt(i, f"wrong password {i}") for i in range(LOCKOUT_FAILURES)]


@pytest.mark.parametrize(
    ("minutes", "value", "outcome", "recorded"),
    [
        (18.99, "correct horse 1", "locked", []),  # locked at minute 4, until minute 19
        (18.99, "wrong password x", "locked", []),
        (19, "correct horse 1", "signed_in", ["SignInSucceeded"]),
        (19, "wrong password x", "wrong", ["SignInFailed"]),
    ],
)
def test_a_locked_account_refuses_even_the_right_password_until_the_lock_ends(
    minutes: float, value: str, outcome: str, recorded: list[str]
) -> None:
    given = given_aggregate(created(), password(), *locked_user())
    result = given.aggregate.sign_in(
        PASSWORDS.verify(given.aggregate.password_hash, value), at(minutes)
    )
    assert result.outcome == outcome
    assert [type(e).__name__ for e in given.aggregate.collect_events()] == recorded
    if recorded == ["SignInFailed"]:
        assert given.aggregate.failures == 1  # the lock's end starts a new count


def test_a_disabled_user_signs_in_no_more_and_records_nothing() -> None:
    given = given_aggregate(created(), password(), lambda u: u.disable("left", at(1)))
    result = given.aggregate.sign_in(True, at(2))
    assert result.outcome == "disabled"
    assert given.aggregate.collect_events() == []


def test_disabling_needs_a_reason_and_then_refuses_a_new_password() -> None:
    given_aggregate(created()).when(lambda u: u.disable(" ", at(1))).then_refused(
        InvalidInput, field="reason"
    )
    given_aggregate(created()).when(lambda u: u.disable("left the bureau", at(1))).then(
        "UserDisabled", reason="left the bureau"
    )
    given_aggregate(created(), lambda u: u.disable("left", at(1))).when(
        password("another pass 2")
    ).then_refused(Conflict)


def test_a_role_change_is_recorded_and_the_principal_follows_it() -> None:
    then = (
        given_aggregate(created())
        .when(
            lambda u: u.change_role(
                role="institution",
                jurisdiction="chengdu",
                district=None,
                institution_id=INSTITUTION,
                stamp=at(1, "system", "admin"),
            )
        )
        .then("UserRoleChanged", role="institution", institution_id=str(INSTITUTION))
    )
    assert then.aggregate.principal().institution_id == INSTITUTION


def test_the_same_role_and_scope_again_records_nothing() -> None:
    given_aggregate(created()).when(
        lambda u: u.change_role(
            role="regulator",
            jurisdiction="chengdu",
            district=None,
            institution_id=None,
            stamp=at(1),
        )
    ).then()
