"""Identity and access: bearer tokens (stored hashed) with a role and a scope.

The policy is a business rule (product.md point 10), so it lives here: regulators act
only inside their jurisdiction or district, institutions see only their own file,
reviewers read and never write.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import LedgerAggregate, Stamp
from domain.errors import Forbidden, InvalidInput
from domain.events import (
    RegistryEntryAdded,
    RegistryOpened,
    TokenExpirySet,
    TokenIssued,
    TokenIssuedToUser,
    TokenRevoked,
)

#: How every token's secret starts (the rest is 256 random bits, made outside the domain).
TOKEN_PREFIX = "sov_"

Role = Literal["admin", "regulator", "supervisor", "institution", "reviewer"]
ROLES: tuple[str, ...] = get_args(Role)
Action = Literal["read", "apply", "decide"]

TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:token")
REGISTRY_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:registry")

#: What each role may do inside its scope.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "apply", "decide"}),
    "regulator": frozenset({"read", "apply", "decide"}),
    "supervisor": frozenset({"read"}),
    "institution": frozenset({"read", "apply"}),
    "reviewer": frozenset({"read"}),
}


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id(secret_hash: str) -> UUID:
    return uuid5(TOKEN_NAMESPACE, secret_hash)


def registry_id(name: str) -> UUID:
    return uuid5(REGISTRY_NAMESPACE, name)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a token's subject with its role and scope."""

    subject: str
    role: str
    jurisdiction: str | None = None
    district: str | None = None
    institution_id: UUID | None = None
    #: The user account it acts for (a user's session or token); None for a free-standing
    #: token. ``subject`` is then the user's name.
    user: str | None = None

    def covers(self, jurisdiction: str, district: str, institution: UUID | None) -> bool:
        if self.role == "admin":
            return True
        if self.institution_id is not None:
            return institution is not None and institution == self.institution_id
        if self.jurisdiction is not None and self.jurisdiction != jurisdiction:
            return False
        return self.district is None or self.district == district

    def knows(self, owner: UUID | None) -> bool:
        """Whether the principal may learn that a record of institution ``owner`` (None: a
        record of no institution) exists. A token scoped to one institution knows only the
        records of its own file: anything else is answered as if it did not exist, so an id
        tells it nothing. Every other token knows of every record and is refused (403) what
        its role or scope does not cover."""
        return self.institution_id is None or owner == self.institution_id

    def require(
        self, action: Action, jurisdiction: str, district: str, institution: UUID | None
    ) -> None:
        if action not in PERMISSIONS.get(self.role, frozenset()):
            raise Forbidden(f"the {self.role} role may not {action}")
        if not self.covers(jurisdiction, district, institution):
            raise Forbidden(f"{jurisdiction}/{district} is outside this token's scope")

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"needs the {' or '.join(roles)} role; this token is {self.role}")


SYSTEM = Principal(subject="system", role="admin")


def check_scope(
    role: str,
    jurisdiction: str | None,
    district: str | None,
    institution_id: UUID | None,
    *,
    holder: str,
) -> None:
    """A role with a scope it can act in (``holder``: "token" or "user", for the message)."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    if role == "institution" and institution_id is None:
        raise InvalidInput(f"an institution {holder} names its institution", field="institution")
    if role in ("regulator", "supervisor") and jurisdiction is None:
        raise InvalidInput(f"a {role} {holder} names its jurisdiction", field="jurisdiction")
    if district is not None and jurisdiction is None:
        raise InvalidInput("a district scope needs its jurisdiction", field="district")


class Token(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.token_hash: str = ""
        self.subject: str = ""
        self.role: str = ""
        self.jurisdiction: str | None = None
        self.district: str | None = None
        self.institution_id: str | None = None
        self.note: str = ""
        self.issued_at: str = ""
        self.expires_at: datetime | None = None  # None: issued before tokens expired
        self.revoked: bool = False
        self.user: str | None = None  # the user whose credential it is, if any

    @classmethod
    def issue(
        cls,
        secret: str,
        *,
        subject: str,
        role: str,
        jurisdiction: str | None,
        district: str | None,
        institution_id: UUID | None,
        note: str,
        stamp: Stamp,
        valid_for: timedelta | None = None,
    ) -> Token:
        """A new token; with ``valid_for`` it is refused from that long after its issue."""
        if not subject.strip():
            raise InvalidInput("subject must not be empty", field="subject")
        check_scope(role, jurisdiction, district, institution_id, holder="token")
        if valid_for is not None and valid_for <= timedelta(0):
            raise InvalidInput("a token's validity must be positive", field="expires_in")
        digest = hash_token(secret)
        token = cls._start(
            TokenIssued,
            id=token_id(digest),
            stamp=stamp,
            occurred_on=stamp.today,
            token_hash=digest,
            subject=subject,
            role=role,
            jurisdiction=jurisdiction,
            district=district,
            institution_id=str(institution_id) if institution_id else None,
            note=note,
        )
        if valid_for is not None:
            token._record(
                TokenExpirySet,
                stamp=stamp,
                occurred_on=stamp.today,
                expires_at=stamp.recorded_at + valid_for,
            )
        return token

    def _on_TokenIssued(self, e: TokenIssued) -> None:
        self.token_hash = e.token_hash
        self.subject = e.subject
        self.role = e.role
        self.jurisdiction = e.jurisdiction
        self.district = e.district
        self.institution_id = e.institution_id
        self.note = e.note
        self.issued_at = e.timestamp.isoformat()
        self.revoked = False

    def _on_TokenExpirySet(self, e: TokenExpirySet) -> None:
        self.expires_at = e.expires_at

    def issue_to(self, user: str, stamp: Stamp) -> None:
        """Make the token a credential of ``user`` (right after its issue)."""
        self._record(TokenIssuedToUser, stamp=stamp, occurred_on=stamp.today, user=user)

    def _on_TokenIssuedToUser(self, e: TokenIssuedToUser) -> None:
        self.user = e.user

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def accepts(self, secret: str, now: datetime) -> bool:
        """Whether ``secret`` is this token's (compared in constant time) and the token is
        neither revoked nor expired at ``now``."""
        matches = hmac.compare_digest(self.token_hash, hash_token(secret))
        return matches and not self.revoked and not self.expired(now)

    def revoke(self, reason: str, stamp: Stamp) -> None:
        if self.revoked:
            return
        self._record(TokenRevoked, stamp=stamp, occurred_on=stamp.today, reason=reason)

    def _on_TokenRevoked(self, e: TokenRevoked) -> None:
        self.revoked = True

    def principal(self) -> Principal:
        return Principal(
            subject=self.subject,
            role=self.role,
            jurisdiction=self.jurisdiction,
            district=self.district,
            institution_id=UUID(self.institution_id) if self.institution_id else None,
        )


class Registry(LedgerAggregate):
    """An append-only list of ids (e.g. every token issued), for listing without a scan."""

    def __init__(self) -> None:
        super().__init__()
        self.name: str = ""
        self.entries: list[str] = []

    @classmethod
    def open(cls, name: str, stamp: Stamp) -> Registry:
        return cls._start(
            RegistryOpened, id=registry_id(name), stamp=stamp, occurred_on=stamp.today, name=name
        )

    def _on_RegistryOpened(self, e: RegistryOpened) -> None:
        self.name = e.name
        self.entries = []

    def add(self, entry_id: UUID, stamp: Stamp) -> None:
        if str(entry_id) not in self.entries:
            self._record(
                RegistryEntryAdded, stamp=stamp, occurred_on=stamp.today, entry_id=str(entry_id)
            )

    def _on_RegistryEntryAdded(self, e: RegistryEntryAdded) -> None:
        self.entries.append(e.entry_id)
