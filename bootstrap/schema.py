"""Schema setup, one process at a time: the store's and the read models' tables.

Every process creates what it needs when it starts (``CREATE … IF NOT EXISTS``), and
``oversight migrate`` does all of it at once. On PostgreSQL two processes doing that at the
same moment can collide in the catalogue (``CREATE SCHEMA``, ``CREATE TABLE``, ``CREATE
OR REPLACE FUNCTION`` racing each other), so the setup runs under a session advisory lock
named after the schema, taken on a connection of its own and released when the block ends:
replicas started together set the schema up one after the other, and each after the first
finds everything in place. SQLite serialises writers by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from config.settings import Settings

#: The advisory lock's key, per schema (advisory locks are per database).
LOCK_KEY = "oversight:schema:{schema}"


def connect(
    settings: Settings, *, autocommit: bool = True
) -> psycopg.Connection[tuple[object, ...]]:
    """A connection of its own to the PostgreSQL the settings name."""
    env = settings.eventsourcing_env()
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
        autocommit=autocommit,
    )


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Hold the schema's setup lock during the block (PostgreSQL; nothing on SQLite)."""
    if settings.backend != "postgres":
        yield
        return
    with connect(settings) as conn:
        key = LOCK_KEY.format(schema=settings.database_schema)
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
