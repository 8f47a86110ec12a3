"""Bearer tokens: issue, list, revoke, and authenticate a caller by its secret.

A token is free-standing (its own subject, role and scope) or a user's (``user=``): a
user's token acts as that user, with the user's role and scope at each request, its events
name the user, and it stops working when the user is disabled.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domain.access import SYSTEM, Principal, Registry, Token, hash_token, registry_id, token_id
from domain.base import Stamp
from domain.commands.users import UserCommands
from domain.errors import Forbidden, InvalidInput
from domain.ledger import Context, Ledger, absent

TOKEN_REGISTRY = "tokens"


class AccessCommands:
    def __init__(self, ledger: Ledger, users: UserCommands | None = None) -> None:
        self.ledger = ledger
        self.users = users or UserCommands(ledger)

    def issue_token(
        self,
        secret: str,
        *,
        subject: str,
        role: str,
        jurisdiction: str | None = None,
        district: str | None = None,
        institution: UUID | None = None,
        note: str = "",
        request_id: str = "cli",
        valid_for: timedelta | None = None,
        ctx: Context | None = None,
    ) -> Token:
        self.users.known_jurisdiction(jurisdiction)
        stamp = self.ledger.stamp(ctx or Context(SYSTEM, request_id))
        token = Token.issue(
            secret,
            subject=subject,
            role=role,
            jurisdiction=jurisdiction,
            district=district,
            institution_id=institution,
            note=note,
            stamp=stamp,
            valid_for=valid_for,
        )
        return self._save(token, stamp)

    def issue_user_token(
        self,
        secret: str,
        user: str,
        *,
        note: str = "",
        valid_for: timedelta | None = None,
        ctx: Context | None = None,
        request_id: str = "cli",
    ) -> Token:
        """A token of the enabled ``user``: issued by an administrator (``ctx`` None: the
        command line) or by the user itself."""
        account = self.users.user(user)
        if account.disabled:
            raise InvalidInput(f"the user {account.name} is disabled", field="user")
        stamp = self.ledger.stamp(ctx or Context(SYSTEM, request_id))
        token = Token.issue(
            secret,
            subject=account.name,
            role=account.role,
            jurisdiction=account.jurisdiction,
            district=account.district,
            institution_id=UUID(account.institution_id) if account.institution_id else None,
            note=note,
            stamp=stamp,
            valid_for=valid_for,
        )
        token.issue_to(account.name, stamp)
        return self._save(token, stamp)

    def _save(self, token: Token, stamp: Stamp) -> Token:
        registry = self.ledger.find(Registry, registry_id(TOKEN_REGISTRY))
        if registry is None:
            registry = Registry.open(TOKEN_REGISTRY, stamp)
        registry.add(token.id, stamp)
        self.ledger.store.save(token, registry)
        return token

    def tokens(self) -> list[Token]:
        registry = self.ledger.find(Registry, registry_id(TOKEN_REGISTRY))
        if registry is None:
            return []
        return [self.ledger.get(Token, UUID(t)) for t in registry.entries]

    def tokens_of(self, user: str) -> list[Token]:
        """The tokens issued to ``user``, newest first."""
        name = user.strip().lower()
        return [t for t in reversed(self.tokens()) if t.user == name]

    def revoke_token(
        self,
        tid: UUID,
        reason: str,
        request_id: str = "cli",
        *,
        ctx: Context | None = None,
    ) -> Token:
        """Revoke a token; a user (``ctx`` of a user's session) revokes only its own."""
        token = self.ledger.get(Token, tid)
        if ctx is not None and ctx.principal.role != "admin" and token.user != ctx.principal.user:
            raise absent(Token, tid)
        token.revoke(reason, self.ledger.stamp(ctx or Context(SYSTEM, request_id)))
        self.ledger.store.save(token)
        return token

    def authenticate(self, secret: str) -> Principal:
        token = self.ledger.find(Token, token_id(hash_token(secret)))
        if token is None or not token.accepts(secret, self.ledger.clock()):
            raise Forbidden("unknown, revoked or expired token")
        if token.user is None:
            return token.principal()
        principal = self.users.principal_of(token.user)
        if principal is None:
            raise Forbidden("the token's user is disabled")
        return principal

    def authenticate_or_none(self, secret: str) -> Principal | None:
        try:
            return self.authenticate(secret)
        except Forbidden:
            return None
