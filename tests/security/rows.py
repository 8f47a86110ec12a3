"""The store's raw rows, read past the application: what a copy of the database discloses."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from config.settings import Settings

#: The event store's own tables (the state of each event and snapshot), by backend.
STORE_TABLES = {
    "sqlite": ("stored_events", "stored_snapshots"),
    "postgres": ("oversight_events", "oversight_snapshots"),
}


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def raw_rows(settings: Settings, only: tuple[str, ...] | None = None) -> dict[str, list[bytes]]:
    """Every row of every table (or of the tables named), each as the bytes of its values."""
    if settings.backend == "sqlite":
        with closing(sqlite3.connect(settings.sqlite_path())) as conn:
            names = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            return {
                name: [
                    b"\x1f".join(_bytes(v) for v in row)
                    for row in conn.execute(f'SELECT * FROM "{name}"')
                ]
                for name in names
                if only is None or name in only
            }
    schema = settings.database_schema
    with psycopg.connect(settings.database_url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        return {
            name: [
                b"\x1f".join(_bytes(v) for v in row)
                for row in conn.execute(
                    sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, name))
                )
            ]
            for name in names
            if only is None or name in only
        }


def store_files(settings: Settings) -> bytes:
    """An embedded store's files as they lie on disk (the database and its write-ahead log)."""
    path = Path(settings.sqlite_path())
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
