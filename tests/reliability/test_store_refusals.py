"""A store that refuses writes (read-only, disk full) answers 503, not 500, and keeps nothing.

The read-only database and the full disks are real: ``default_transaction_read_only`` on
the test cluster's database, a tablespace and an SQLite file on a tmpfs of a few hundred
KiB filled to the brim. The table of error classes, SQLSTATEs and SQLite result codes is
checked on its own first, with the errors the drivers raise.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import psycopg
import psycopg.errors
import psycopg_pool
import pytest
from eventsourcing.persistence import ConnectionUnavailableError, IntegrityError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.persistence import ProgrammingError as StoreProgrammingError
from fastapi.testclient import TestClient
from psycopg import sql

from api.errors import store_unavailable
from bootstrap import build_application
from bootstrap.service import web_service
from config.settings import Settings
from tests.reliability.cluster import Cluster, tiny_filesystem
from tests.reliability.server import BASE, LiveServer, live_server

# --- the mapping ----------------------------------------------------------------------------


def wrapped(error: Exception, outer: type[Exception] = StoreOperationalError) -> Exception:
    """``error`` as the store library raises it: its own class, raised from the driver's."""
    try:
        try:
            raise error
        except Exception as exc:
            raise outer(str(exc)) from exc
    except Exception as raised:
        return raised


def sqlite_error(provoke: Callable[[Path], None], directory: Path) -> sqlite3.Error:
    directory.mkdir(parents=True, exist_ok=True)
    try:
        provoke(directory / "store.db")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("SQLite raised nothing")


def write_to_read_only(path: Path) -> None:
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("INSERT INTO t VALUES (1)")


def write_while_locked(path: Path) -> None:
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)  # held: its lock stays
    holder.execute("BEGIN IMMEDIATE")
    try:
        sqlite3.connect(path, timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")
    finally:
        holder.close()


def read_a_missing_table(path: Path) -> None:
    sqlite3.connect(path).execute("SELECT * FROM missing")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (psycopg.errors.DiskFull("could not extend file"), "store-full"),
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), "store-read-only"),
        (psycopg.errors.AdminShutdown("terminating connection"), "store-unavailable"),
        (psycopg.errors.CrashShutdown("crash of another server process"), "store-unavailable"),
        (
            psycopg.errors.CannotConnectNow("the database system is starting up"),
            "store-unavailable",
        ),
        (psycopg.errors.TooManyConnections("too many clients"), "store-unavailable"),
        (psycopg.errors.ConnectionFailure("connection failure"), "store-unavailable"),
        (
            psycopg.OperationalError("server closed the connection unexpectedly"),
            "store-unavailable",
        ),
        (psycopg.InterfaceError("the connection is closed"), "store-unavailable"),
        (psycopg_pool.PoolTimeout("couldn't get a connection after 1.00 sec"), "store-unavailable"),
        (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), "store-busy"),
        (psycopg.errors.SerializationFailure("could not serialize access"), "store-busy"),
        (psycopg.errors.DeadlockDetected("deadlock detected"), "store-busy"),
        (psycopg.errors.UniqueViolation("duplicate key value"), None),
        (psycopg.errors.UndefinedTable("relation does not exist"), None),
        (psycopg.errors.ProgramLimitExceeded("index row size exceeds maximum"), None),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_each_store_error_is_an_outage_or_a_fault(error: Exception, kind: str | None) -> None:
    for raised in (error, wrapped(error)):
        found = store_unavailable(raised)
        assert (found.kind if found else None) == kind
        if found is not None:
            assert found.retry_after > 0


@pytest.mark.parametrize(
    ("provoke", "kind"),
    [
        (write_to_read_only, "store-read-only"),
        (write_while_locked, "store-busy"),
        (read_a_missing_table, None),
    ],
    ids=["readonly", "busy", "missing-table"],
)
def test_sqlite_result_codes_are_read_the_same_way(
    provoke: Callable[[Path], None], kind: str | None, tmp_path: Path
) -> None:
    error = sqlite_error(provoke, tmp_path)
    for raised in (error, wrapped(error), wrapped(error, StoreProgrammingError)):
        found = store_unavailable(raised)
        assert (found.kind if found else None) == kind


def test_the_store_librarys_own_timeouts_are_outages_and_conflicts_are_not() -> None:
    own = store_unavailable(ConnectionUnavailableError("timed out waiting for a connection"))
    assert own is not None
    assert own.kind == "store-unavailable"
    assert store_unavailable(IntegrityError("version conflict")) is None
    assert store_unavailable(ValueError("not the store's")) is None
    assert store_unavailable(wrapped(psycopg.errors.UniqueViolation("dup"), IntegrityError)) is None


def test_the_service_answers_an_outage_with_503_and_a_fault_with_500(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}")
    web = web_service(settings, build_application(settings))
    locked = wrapped(sqlite_error(write_while_locked, tmp_path / "a"))
    missing = wrapped(sqlite_error(read_a_missing_table, tmp_path / "b"), StoreProgrammingError)

    @web.get("/locked")
    def store_locked() -> None:
        raise locked

    @web.get("/missing")
    def store_missing() -> None:
        raise missing

    with TestClient(web, raise_server_exceptions=False) as client:
        busy = client.get("/locked")
        assert_refused_with(busy, "store-busy")
        assert busy.json()["retry_after"] == int(busy.headers["retry-after"])
        assert client.get("/missing").status_code == 500


# --- real refusals, through the live service -----------------------------------------------


def details(n: int) -> dict[str, Any]:
    return {"contact": {"name": f"联系人{n}", "phone": f"028-{n:08d}"}}


def assert_refused_with(response: httpx.Response, kind: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["type"] == f"/problems/{kind}"


def dbname(settings: Settings) -> str:
    return urlparse(settings.database_url).path.lstrip("/")


def set_read_only(cluster: Cluster, database: str, read_only: bool) -> None:
    """Make new sessions read-only (or not) and end the open ones, as a failover would."""
    name = sql.Identifier(database)
    cluster.execute(
        sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(name)
        if read_only
        else sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only").format(name)
    )
    cluster.execute(
        sql.SQL(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = {} AND pid <> pg_backend_pid()"
        ).format(sql.Literal(database))
    )


@pytest.mark.postgres
@pytest.mark.faults
def test_a_read_only_database_answers_503_and_still_serves_reads(
    cluster: Cluster, cluster_settings: Settings
) -> None:
    with live_server(cluster_settings) as live, live.client() as http:
        iid = live.submit(1)
        change = {"Idempotency-Key": uuid.uuid4().hex}
        set_read_only(cluster, dbname(cluster_settings), True)

        assert_refused_with(
            http.post(f"{BASE}/{iid}/details", json=details(1), headers=change), "store-read-only"
        )
        assert http.get(f"{BASE}/{iid}").status_code == 200
        assert len(live.events(iid)) == 1

        set_read_only(cluster, dbname(cluster_settings), False)
        again = http.post(f"{BASE}/{iid}/details", json=details(1), headers=change)
        assert again.status_code == 200, again.text
        assert [e["type"] for e in live.events(iid)] == ["FilingSubmitted", "DetailsChanged"]


@dataclass(frozen=True)
class Refusal:
    response: httpx.Response
    #: The refused request, to send again.
    body: dict[str, Any]
    headers: dict[str, str]
    #: The institution's events when it was refused.
    events: int


def until_refused(live: LiveServer, iid: str, limit: int = 60) -> Refusal:
    """Change the details until the store refuses (a full disk takes a few first)."""
    with live.client() as http:
        for n in range(limit):
            key = {"Idempotency-Key": uuid.uuid4().hex}
            before = len(live.events(iid))
            response = http.post(f"{BASE}/{iid}/details", json=details(n), headers=key)
            if response.status_code != 200:
                return Refusal(response, details(n), key, before)
    raise AssertionError(f"the store took {limit} commands on a full disk")


def assert_lands_once_more(live: LiveServer, iid: str, refusal: Refusal) -> None:
    """The refused command, sent again with its key once there is room, lands once."""
    assert len(live.events(iid)) == refusal.events
    with live.client() as http:
        path = f"{BASE}/{iid}/details"
        again = http.post(path, json=refusal.body, headers=refusal.headers)
        assert again.status_code == 200, again.text
        replay = http.post(path, json=refusal.body, headers=refusal.headers)
        assert replay.headers.get("idempotent-replay") == "true"
    assert len(live.events(iid)) == refusal.events + 1
    assert live.app.records.verify_aggregate(uuid.UUID(iid)) is None


def fill_tablespace(url: str, tablespace: str) -> None:
    """Fill the tablespace's file system until PostgreSQL says the disk is full."""
    create = sql.SQL("CREATE TABLE filler (x text) TABLESPACE {}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(create.format(sql.Identifier(tablespace)))
        for _ in range(1000):
            try:
                conn.execute(
                    "INSERT INTO filler SELECT repeat('x', 1500) FROM generate_series(1, 50)"
                )
            except psycopg.errors.DiskFull:
                return
    raise AssertionError("the tablespace never filled up")


@pytest.mark.postgres
@pytest.mark.faults
def test_a_full_disk_under_postgres_answers_503_and_the_command_lands_once_space_is_back(
    cluster: Cluster, cluster_settings: Settings
) -> None:
    tablespace = f"tiny_{uuid.uuid4().hex[:8]}"
    owner = "postgres" if cluster.as_root else None
    with tiny_filesystem(cluster.root / tablespace, size_kib=512, owner=owner) as disk:
        location = sql.Literal(str(disk))
        cluster.execute(
            sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(sql.Identifier(tablespace), location)
        )
        try:
            with live_server(cluster_settings) as live:
                iid = live.submit(1)
                url = cluster_settings.database_url
                move = sql.SQL("ALTER TABLE oversight_events SET TABLESPACE {}")
                cluster.execute(move.format(sql.Identifier(tablespace)), dbname(cluster_settings))
                fill_tablespace(url, tablespace)

                refusal = until_refused(live, iid)
                assert_refused_with(refusal.response, "store-full")
                cluster.execute("DROP TABLE filler", dbname(cluster_settings))
                assert_lands_once_more(live, iid, refusal)
        finally:
            cluster.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(dbname(cluster_settings))
                )
            )
            cluster.execute(
                sql.SQL("DROP TABLESPACE IF EXISTS {}").format(sql.Identifier(tablespace))
            )


def fill_directory(directory: Path) -> Path:
    """Write a file until the file system is full."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for _ in range(100_000):
            try:
                os.write(fd, b"\0" * 65536)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return filler
    finally:
        os.close(fd)
    raise AssertionError("the file system never filled up")


@pytest.mark.faults
def test_a_full_disk_under_sqlite_answers_503_and_the_command_lands_once_space_is_back(
    tmp_path: Path,
) -> None:
    with tiny_filesystem(tmp_path / "disk", size_kib=8192) as disk:
        settings = Settings(database_url=f"sqlite:///{disk / 'store.db'}")
        with live_server(settings) as live:
            iid = live.submit(1)
            filler = fill_directory(disk)

            refusal = until_refused(live, iid)
            assert_refused_with(refusal.response, "store-full")
            filler.unlink()
            assert_lands_once_more(live, iid, refusal)
