"""A user's dashboard session: a signed cookie naming the user, until when it holds.

The cookie reads ``u1.<name>.<password version>.<expires, Unix seconds>.<signature>``
where the signature is an HMAC-SHA256 of the rest under ``Settings.session_secret``. It
holds no secret of the user: a changed cookie fails the signature, an expired one is
refused at the instant the application's clock reads, and each request loads the user
again, so a disabled user, a new password (another version) or a changed role takes
effect at the next request. The cookie is HttpOnly and SameSite=Lax, Secure over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import Settings

PREFIX = "u1."


@dataclass(frozen=True)
class Session:
    user: str
    password_version: int
    expires: datetime


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


class SessionSigner:
    def __init__(self, secret: str, lifetime: timedelta) -> None:
        self.key = hashlib.sha256(b"session:" + secret.encode()).digest()
        self.lifetime = lifetime

    @classmethod
    def of(cls, settings: Settings) -> SessionSigner:
        return cls(
            settings.session_secret.get_secret_value(),
            timedelta(minutes=settings.session_minutes),
        )

    def _signature(self, body: str) -> str:
        return hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, user: str, password_version: int, now: datetime) -> str:
        expires = int((now + self.lifetime).timestamp())
        body = f"{PREFIX}{_b64(user)}.{password_version}.{expires}"
        return f"{body}.{self._signature(body)}"

    def read(self, value: str, now: datetime) -> Session | None:
        """The session the cookie names, or None when it is not ours, changed or expired."""
        if not value.startswith(PREFIX) or len(value) > 512:
            return None
        body, _, signature = value.rpartition(".")
        if not hmac.compare_digest(signature, self._signature(body)):
            return None
        try:
            name, version, expires = body.removeprefix(PREFIX).split(".")
            session = Session(
                _unb64(name), int(version), datetime.fromtimestamp(int(expires), now.tzinfo)
            )
        except ValueError:
            return None
        return session if now < session.expires else None


def is_user_session(value: str) -> bool:
    return value.startswith(PREFIX)
