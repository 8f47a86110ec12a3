"""Bearer tokens: issue, list, revoke, and authenticate a caller by its secret."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domain.access import SYSTEM, Principal, Registry, Token, hash_token, registry_id, token_id
from domain.errors import Forbidden, InvalidInput
from domain.ledger import Context, Ledger

TOKEN_REGISTRY = "tokens"


class AccessCommands:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

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
    ) -> Token:
        if jurisdiction is not None and jurisdiction not in self.ledger.catalogue.jurisdictions():
            raise InvalidInput(f"unknown jurisdiction {jurisdiction!r}", field="jurisdiction")
        stamp = self.ledger.stamp(Context(SYSTEM, request_id))
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

    def revoke_token(self, tid: UUID, reason: str, request_id: str = "cli") -> Token:
        token = self.ledger.get(Token, tid)
        token.revoke(reason, self.ledger.stamp(Context(SYSTEM, request_id)))
        self.ledger.store.save(token)
        return token

    def authenticate(self, secret: str) -> Principal:
        token = self.ledger.find(Token, token_id(hash_token(secret)))
        if token is None or not token.accepts(secret, self.ledger.clock()):
            raise Forbidden("unknown, revoked or expired token")
        return token.principal()

    def authenticate_or_none(self, secret: str) -> Principal | None:
        try:
            return self.authenticate(secret)
        except Forbidden:
            return None
