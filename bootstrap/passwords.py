"""Password hashing for user accounts: argon2id (argon2-cffi), with its parameters.

Hashing draws a random salt, so it is done here and handed to the domain as a
``domain.users.Passwords``.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    """argon2id with argon2-cffi's default (RFC 9106 "low memory") parameters; tests may
    pass cheaper ones."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
