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
    #: Encrypt the state of every stored event and snapshot (AES-GCM) with this key: 16, 24
    #: or 32 bytes in base64, as ``oversight keygen`` prints. A store written with a key is
    #: read only with the same key; ids, versions and topics stay readable.
    cipher_key: SecretStr | None = None
    #: The key of the pages' form tokens (CSRF): each form carries an HMAC of the session
    #: cookie under it. Unset, a random one is made when the settings are read, so the forms
    #: of a restarted service must be reloaded; set it when several processes serve the
    #: same pages.
    form_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    #: Where the files sent with reports are kept, each under its SHA-256 (the events record
    #: the hash, name, size and type). Unset: ``attachments/`` beside the SQLite file, or
    #: ``var/attachments`` with PostgreSQL.
    attachments_dir: Path | None = None
    #: The largest file accepted with a report (bytes).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    #: How many files one report may carry.
    attachment_max_files: int = Field(default=10, ge=1)

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

    @field_validator("form_secret")
    @classmethod
    def _some_form_secret(cls, secret: SecretStr) -> SecretStr:
        return secret if secret.get_secret_value() else SecretStr(secrets.token_urlsafe(32))

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
