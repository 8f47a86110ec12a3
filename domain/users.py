"""User accounts: a name, a display name, a role and scope, a password, sign-ins.

A user's record id is the uuid5 of its name, so a name is taken once per store: a second
account of that name is a second aggregate with the same id, refused by the store. A name
is never given to another person, even after the account is disabled, because events name
their author by it.

The password is kept as an argon2id hash made outside the domain (hashing draws a random
salt): the commands receive a :class:`Passwords` that hashes and verifies. Five wrong
passwords in a row lock the account for fifteen minutes from the fifth (``LOCKOUT_*``),
measured on the clock the caller passes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.access import Principal, check_scope
from domain.base import LedgerAggregate, Stamp
from domain.errors import Conflict, InvalidInput
from domain.events import (
    PasswordSet,
    SignInFailed,
    SignInSucceeded,
    UserCreated,
    UserDisabled,
    UserLocked,
    UserRoleChanged,
)

USER_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:user")
#: Wrong passwords in a row that lock an account, and for how long.
LOCKOUT_FAILURES = 5
LOCKOUT_PERIOD = timedelta(minutes=15)
#: A user name: lower-case letters, digits, ``.``, ``_`` and ``-``, 2 to 64 of them.
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
PASSWORD_MIN = 10
#: The longest password hashed (argon2 would take any length; a bound keeps it cheap).
PASSWORD_MAX = 1024

Outcome = Literal["signed_in", "wrong", "locked", "disabled", "unknown"]


class Passwords(Protocol):
    """Password hashing (argon2id, see ``bootstrap/passwords.py``)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` is the one ``password_hash`` was made from."""
        ...


def normal_name(name: str) -> str:
    """A user name as stored: trimmed and lower-case; refused unless it is a valid name."""
    value = name.strip().lower()
    if not NAME.match(value):
        raise InvalidInput(
            "a user name is 2 to 64 lower-case letters, digits, '.', '_' or '-'",
            field="name",
        )
    return value


def user_id(name: str) -> UUID:
    return uuid5(USER_NAMESPACE, normal_name(name))


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"a password has at least {PASSWORD_MIN} characters", field="password")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"a password has at most {PASSWORD_MAX} characters", field="password")
    if password != password.strip():
        raise InvalidInput("a password does not start or end with a space", field="password")


def scope_fields(
    role: str, jurisdiction: str | None, district: str | None, institution: UUID | str | None
) -> dict[str, str | None]:
    """A role and its scope as the events record them."""
    return {
        "role": role,
        "jurisdiction": jurisdiction,
        "district": district,
        "institution_id": str(institution) if institution else None,
    }


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the principal when it succeeded, the end of a lock."""

    outcome: Outcome
    principal: Principal | None = None
    locked_until: datetime | None = None


class User(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.name: str = ""
        self.display_name: str = ""
        self.role: str = ""
        self.jurisdiction: str | None = None
        self.district: str | None = None
        self.institution_id: str | None = None
        self.password_hash: str = ""
        #: How many passwords were set: a session signed with an older one is refused.
        self.password_version: int = 0
        self.disabled: bool = False
        self.failures: int = 0
        self.locked_until: datetime | None = None
        self.last_sign_in: datetime | None = None

    @classmethod
    def create(
        cls,
        name: str,
        *,
        display_name: str,
        role: str,
        jurisdiction: str | None,
        district: str | None,
        institution_id: UUID | None,
        stamp: Stamp,
    ) -> User:
        name = normal_name(name)
        display = display_name.strip() or name
        if len(display) > 200:
            raise InvalidInput("a display name has at most 200 characters", field="display_name")
        check_scope(role, jurisdiction, district, institution_id, holder="user")
        return cls._start(
            UserCreated,
            id=user_id(name),
            stamp=stamp,
            occurred_on=stamp.today,
            name=name,
            display_name=display,
            **scope_fields(role, jurisdiction, district, institution_id),
        )

    def _on_UserCreated(self, e: UserCreated) -> None:
        self.name = e.name
        self.display_name = e.display_name
        self._scope(e.role, e.jurisdiction, e.district, e.institution_id)

    def _scope(
        self, role: str, jurisdiction: str | None, district: str | None, institution: str | None
    ) -> None:
        self.role = role
        self.jurisdiction = jurisdiction
        self.district = district
        self.institution_id = institution

    # --- the account ------------------------------------------------------------------

    def set_password(self, password_hash: str, stamp: Stamp) -> None:
        """A new password (already hashed); the lock and the failures count are cleared."""
        self._refuse_if_disabled()
        self._record(PasswordSet, stamp=stamp, occurred_on=stamp.today, password_hash=password_hash)

    def _on_PasswordSet(self, e: PasswordSet) -> None:
        self.password_hash = e.password_hash
        self.password_version += 1
        self.failures = 0
        self.locked_until = None

    def change_role(
        self,
        *,
        role: str,
        jurisdiction: str | None,
        district: str | None,
        institution_id: UUID | None,
        stamp: Stamp,
    ) -> None:
        self._refuse_if_disabled()
        check_scope(role, jurisdiction, district, institution_id, holder="user")
        fields = scope_fields(role, jurisdiction, district, institution_id)
        if fields == scope_fields(self.role, self.jurisdiction, self.district, self.institution_id):
            return
        self._record(UserRoleChanged, stamp=stamp, occurred_on=stamp.today, **fields)

    def _on_UserRoleChanged(self, e: UserRoleChanged) -> None:
        self._scope(e.role, e.jurisdiction, e.district, e.institution_id)

    def disable(self, reason: str, stamp: Stamp) -> None:
        """The account signs in no more, and its sessions and tokens stop working."""
        if self.disabled:
            return
        if not reason.strip():
            raise InvalidInput("say why the account is disabled", field="reason")
        self._record(UserDisabled, stamp=stamp, occurred_on=stamp.today, reason=reason.strip())

    def _on_UserDisabled(self, e: UserDisabled) -> None:
        self.disabled = True

    def _refuse_if_disabled(self) -> None:
        if self.disabled:
            raise Conflict(f"the user {self.name} is disabled", existing=str(self.id))

    # --- signing in -------------------------------------------------------------------

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def sign_in(self, matches: bool, stamp: Stamp, *, via: str = "password") -> SignIn:
        """A sign-in whose password ``matches`` (or not), at the stamp's instant.

        A disabled or locked account is refused before the password counts (nothing is
        recorded); a wrong password is recorded, and the fifth in a row locks the account.
        """
        now = stamp.recorded_at
        if self.disabled:
            return SignIn("disabled")
        if self.locked(now):
            return SignIn("locked", locked_until=self.locked_until)
        if not matches:
            failures = self.failures + 1
            self._record(SignInFailed, stamp=stamp, occurred_on=stamp.today, failures=failures)
            if failures >= LOCKOUT_FAILURES:
                until = now + LOCKOUT_PERIOD
                self._record(UserLocked, stamp=stamp, occurred_on=stamp.today, until=until)
                return SignIn("locked", locked_until=until)
            return SignIn("wrong")
        self._record(SignInSucceeded, stamp=stamp, occurred_on=stamp.today, via=via)
        return SignIn("signed_in", principal=self.principal())

    def _on_SignInFailed(self, e: SignInFailed) -> None:
        self.failures = e.failures

    def _on_UserLocked(self, e: UserLocked) -> None:
        self.locked_until = e.until
        self.failures = 0

    def _on_SignInSucceeded(self, e: SignInSucceeded) -> None:
        self.failures = 0
        self.last_sign_in = e.timestamp

    def principal(self) -> Principal:
        """Who the user acts as: its name, its role and scope as they are now."""
        return Principal(
            subject=self.name,
            role=self.role,
            jurisdiction=self.jurisdiction,
            district=self.district,
            institution_id=UUID(self.institution_id) if self.institution_id else None,
            user=self.name,
        )
