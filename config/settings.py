"""Configuration: one Settings class, translated in one place into the store's environment."""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every ``OVERSIGHT_*`` variable the service reads."""

    model_config = SettingsConfigDict(env_prefix="OVERSIGHT_", extra="ignore")

    #: ``sqlite:///var/oversight.db`` (embedded default), ``sqlite:///:memory:`` or
    #: ``postgresql://user:password@host:port/dbname``.
    database_url: str = "sqlite:///var/oversight.db"
    #: PostgreSQL schema for the event store and read models (created if missing).
    database_schema: str = "public"
    #: PostgreSQL connections kept open per process.
    pool_size: int = Field(default=5, ge=1)
    #: Connections opened beyond the pool under load, closed again when returned.
    pool_max_overflow: int = Field(default=10, ge=0)
    #: Seconds a request waits for a pooled PostgreSQL connection. The store library tries
    #: ten times, so while PostgreSQL is down a request answers 503 after about 12 s.
    pool_timeout: int = Field(default=1, ge=1)
    #: Check each PostgreSQL connection with a round trip before lending it out. Off, a
    #: connection broken by a restart fails its first transaction (503 with
    #: ``Retry-After``) and is then replaced; on, every transaction pays one more round trip.
    pool_pre_ping: bool = False
    #: The address ``oversight serve`` listens on (``0.0.0.0`` in a container).
    host: str = "127.0.0.1"
    #: The port ``oversight serve`` listens on.
    port: int = 8000
    #: ``json`` (one object per line), ``console``, or ``auto``: console on a terminal, else JSON.
    log_format: Literal["auto", "json", "console"] = "auto"
    #: The lowest level logged: DEBUG, INFO, WARNING, ERROR.
    log_level: str = "INFO"
    #: Load the demo institutions on first start when the store is empty.
    demo_data: bool = False
    #: Where ``make run`` writes the demo admin token (never logged).
    demo_token_file: Path = Path("var/demo-admin-token")
    #: Events between snapshots of an institution.
    snapshot_interval: int = Field(default=50, ge=2)
    #: Defence period (days) when a rulebook does not state one.
    default_defence_days: int = Field(default=10, ge=1)
    #: The largest request body accepted, in bytes; a larger one is refused with 413
    #: before it is parsed.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: Run the projection and deadline workers inside the web process (embedded mode).
    embedded_workers: bool = False
    #: Seconds between a worker's heartbeats, and between a standby's attempts to take the
    #: lead (PostgreSQL advisory locks): a dead leader is replaced within about this long.
    worker_heartbeat_seconds: float = Field(default=2.0, gt=0)
    #: A heartbeat older than this (seconds) is stale: ``/readyz`` is not ready when every
    #: worker of a kind that reported is stale, or a projection has no live leader.
    worker_stale_seconds: float = Field(default=10.0, gt=0)
    #: Seconds between two passes of the deadline watcher.
    deadline_interval_seconds: float = Field(default=60.0, gt=0)
    #: Encrypt the state of every stored event and snapshot (AES-GCM) with this key: 16, 24
    #: or 32 bytes in base64, as ``oversight keygen`` prints. A store written with a key is
    #: read only with the same key; ids, versions and topics stay readable.
    cipher_key: SecretStr | None = None
    #: The key of the pages' form tokens (CSRF): each form carries an HMAC of the session
    #: cookie under it. Unset, a random one is made when the settings are read, so the forms
    #: of a restarted service must be reloaded; set it when several processes serve the
    #: same pages.
    form_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    #: The key that signs the dashboard's session cookies of users signed in by name and
    #: password (or single sign-on). Unset, a random one is made when the settings are
    #: read, so a restart signs everyone out; set one shared value when several processes
    #: serve the pages.
    session_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    #: How long a user's dashboard session lasts (minutes) from its sign-in; then the user
    #: signs in again.
    session_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    #: Single sign-on (OpenID Connect, authorization code with PKCE): the issuer's URL, e.g.
    #: ``https://sso.example.gov.cn/realms/hrss``. Unset: only names and passwords (and
    #: tokens) sign in. Its discovery document, keys and token endpoint are read from it.
    oidc_issuer: str | None = None
    #: The client id the issuer registered for this service.
    oidc_client_id: str | None = None
    #: The client's secret at the issuer (sent to its token endpoint), if it gave one.
    oidc_client_secret: SecretStr | None = None
    #: The scopes asked for, space-separated.
    oidc_scopes: str = "openid profile"
    #: The id_token claim that names the local user (its user name).
    oidc_username_claim: str = "preferred_username"
    #: A claim carrying the user's role, e.g. ``oversight_role``. Set, the local user's role
    #: follows it at each sign-on (a change is recorded); unset, the local role stands.
    oidc_role_claim: str | None = None
    #: Claim values that stand for a role, as JSON, e.g. ``{"hrss-inspectors": "regulator"}``;
    #: a value not listed must be a role's own name.
    oidc_roles: dict[str, str] = {}
    #: A claim carrying the user's jurisdiction (read with ``oidc_role_claim``).
    oidc_jurisdiction_claim: str | None = None
    #: A claim carrying the user's district (read with ``oidc_role_claim``).
    oidc_district_claim: str | None = None
    #: Create a local user at its first sign-on from the claims (needs ``oidc_role_claim``);
    #: else a name without a local user is refused.
    oidc_create_users: bool = False
    #: Where the files sent with reports are kept, each under its SHA-256 (the events record
    #: the hash, name, size and type). Unset: ``attachments/`` beside the SQLite file, or
    #: ``var/attachments`` with PostgreSQL.
    attachments_dir: Path | None = None
    #: The largest file accepted with a report (bytes).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    #: How many files one report may carry.
    attachment_max_files: int = Field(default=10, ge=1)
    #: The SMTP server notices of deadlines are e-mailed through. Unset, notices are shown
    #: in the service only, and their e-mails wait until a server is set.
    smtp_host: str | None = None
    #: The SMTP server's port (25 plain, 587 with STARTTLS, 465 with TLS).
    smtp_port: int = Field(default=25, ge=1, le=65535)
    #: ``none``, ``starttls`` (upgrade after connecting) or ``tls`` (TLS from the start).
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    #: The user name to log in to the SMTP server with; unset: no login.
    smtp_user: str | None = None
    #: The password of ``OVERSIGHT_SMTP_USER``.
    smtp_password: SecretStr | None = None
    #: The sender address of every notice.
    smtp_from: str = "oversight@localhost"
    #: Seconds to wait for the SMTP server before a send is given up (and retried later).
    smtp_timeout: float = Field(default=10, gt=0)
    #: Days before a defence period ends that the officer and the institution are notified.
    notice_days_defence: int = Field(default=3, ge=0, le=366)
    #: Days before a rectification deadline that they are notified.
    notice_days_rectification: int = Field(default=7, ge=0, le=366)
    #: Days before the report an opinion letter requires is due that they are notified.
    notice_days_report: int = Field(default=7, ge=0, le=366)
    #: Days before a filing expires (renew before then) or lapses that they are notified.
    notice_days_renewal: int = Field(default=30, ge=0, le=366)
    #: Seconds between two passes of the notice worker.
    notice_interval: float = Field(default=60, gt=0)

    @field_validator("cipher_key")
    @classmethod
    def _aes_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None or not key.get_secret_value():
            return None
        try:
            size = len(base64.b64decode(key.get_secret_value(), validate=True))
        except binascii.Error:
            raise ValueError("the cipher key is not base64") from None
        if size not in (16, 24, 32):
            raise ValueError(f"the cipher key has {size} bytes; AES takes 16, 24 or 32")
        return key

    @field_validator("form_secret", "session_secret")
    @classmethod
    def _some_form_secret(cls, secret: SecretStr) -> SecretStr:
        return secret if secret.get_secret_value() else SecretStr(secrets.token_urlsafe(32))

    def notice_days(self) -> dict[str, int]:
        """Days ahead of each kind of deadline that its notice goes out."""
        return {
            "defence": self.notice_days_defence,
            "rectification": self.notice_days_rectification,
            "opinion_report": self.notice_days_report,
            "expiry": self.notice_days_renewal,
            "lapse": self.notice_days_renewal,
        }

    @property
    def backend(self) -> Literal["sqlite", "postgres"]:
        scheme = urlparse(self.database_url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("postgres", "postgresql"):
            return "postgres"
        raise ValueError(f"OVERSIGHT_DATABASE_URL has unsupported scheme {scheme!r}")

    def sqlite_path(self) -> str:
        path = self.database_url.removeprefix("sqlite:///")
        if path in ("", ":memory:"):
            return ":memory:"
        return path

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    def attachments_path(self) -> Path:
        """The attachment store's directory (see ``attachments_dir``)."""
        if self.attachments_dir is not None:
            return self.attachments_dir
        if self.backend == "sqlite" and self.sqlite_path() != ":memory:":
            return Path(self.sqlite_path()).parent / "attachments"
        return Path("var/attachments")

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's persistence variables, derived from these settings."""
        return {**self._store_env(), **self._cipher_env()}

    def _cipher_env(self) -> dict[str, str]:
        if self.cipher_key is None:
            return {}
        return {
            "CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
            "CIPHER_KEY": self.cipher_key.get_secret_value(),
        }

    def _store_env(self) -> dict[str, str]:
        if self.backend == "sqlite":
            path = self.sqlite_path()
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
        url = urlparse(self.database_url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_SCHEMA": self.database_schema,
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.pool_max_overflow),
            "POSTGRES_PRE_PING": "y" if self.pool_pre_ping else "n",
            "POSTGRES_CONNECT_TIMEOUT": str(self.pool_timeout),
            "POSTGRES_LOCK_TIMEOUT": "5",
            "CREATE_TABLE": "y",
        }
