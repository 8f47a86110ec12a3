"""Commands waiting to be recorded at the same moment are recorded in one transaction.

The store's recorder records the commands of a process that wait while a group is being
written as the next group: one transaction, one commit-order lock, one call of the insert
function. Each command is still recorded or refused on its own: exactly one command records
each version of an aggregate; the others are refused (``IntegrityError``) and the rest of
their group is recorded. Notification ids follow commit order and have no gaps. A group that
fails as a whole (its connection is lost) records nothing and fails every caller in it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent
from psycopg import sql

from bootstrap import build_application
from bootstrap.store import CommitOrderRecorder
from config.settings import Settings
from domain.application import OversightApplication

pytestmark = pytest.mark.postgres

CLIENTS = 12


def recorder_of(app: OversightApplication) -> CommitOrderRecorder:
    recorder = app.store.recorder
    assert isinstance(recorder, CommitOrderRecorder)
    return recorder


def counted(recorder: CommitOrderRecorder) -> list[int]:
    """The number of commands in each group the recorder writes from now on."""
    sizes: list[int] = []
    write = recorder.group.write

    def counting(commands: list[Sequence[Any]]) -> list[list[int] | None]:
        sizes.append(len(commands))
        return write(commands)

    recorder.group.write = counting
    return sizes


def events_table(settings: Settings) -> sql.Composed:
    return sql.SQL("{}.{}").format(
        sql.Identifier(settings.database_schema), sql.Identifier("oversight_events")
    )


def behind_the_lock(settings: Settings, calls: list[Callable[[], None]]) -> None:
    """Start ``calls`` on threads of their own while another transaction holds the
    commit-order lock, so that they queue up, then release it and wait for them."""
    threads = [threading.Thread(target=call) for call in calls]
    with psycopg.connect(settings.database_url) as holder:
        holder.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events_table(settings)))
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        holder.commit()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()


def event(originator: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(originator, version, "tests:Recorded", b'{"n": 1}')


def test_one_command_records_each_version_of_an_aggregate(pg_settings: Settings) -> None:
    app = build_application(pg_settings)
    try:
        recorder = recorder_of(app)
        sizes = counted(recorder)
        originator = uuid.uuid4()
        won: list[Sequence[int] | None] = []
        refused: list[Exception] = []

        def record(version: int) -> Callable[[], None]:
            def run() -> None:
                try:
                    won.append(recorder.insert_events([event(originator, version)]))
                except IntegrityError as exc:
                    refused.append(exc)

            return run

        # Three commands on each of versions 1 and 2, waiting together.
        behind_the_lock(pg_settings, [record(v) for v in (1, 2) for _ in range(3)])
        assert max(sizes) > 1, "the commands were not recorded together"
        assert len(won) == 2
        assert len(refused) == 4
        recorded = recorder.select_events(originator)
        assert [e.originator_version for e in recorded] == [1, 2]
    finally:
        app.close()


def test_every_command_of_a_group_gets_its_own_ids_in_commit_order(
    pg_settings: Settings,
) -> None:
    app = build_application(pg_settings)
    try:
        recorder = recorder_of(app)
        sizes = counted(recorder)
        got: dict[uuid.UUID, Sequence[int] | None] = {}
        originators = [uuid.uuid4() for _ in range(CLIENTS)]

        def record(originator: uuid.UUID) -> Callable[[], None]:
            def run() -> None:
                got[originator] = recorder.insert_events(
                    [event(originator, 1), event(originator, 2)]
                )

            return run

        behind_the_lock(pg_settings, [record(o) for o in originators])
        assert max(sizes) > 1
        assert sum(sizes) == CLIENTS
        notifications = recorder.select_notifications(start=1, limit=1000)
        ids = [n.id for n in notifications]
        assert ids == list(range(1, 2 * CLIENTS + 1)), "ids have gaps or are out of order"
        for originator, mine in got.items():
            assert mine is not None
            assert [n.originator_version for n in notifications if n.id in mine] == [1, 2]
            assert {n.originator_id for n in notifications if n.id in mine} == {originator}
    finally:
        app.close()


def waiting_insert(settings: Settings) -> int | None:
    """The server process of this schema's insert while it waits for the lock."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            (f"%{settings.database_schema}%ledger_insert_commands%",),
        ).fetchone()
    return None if row is None else int(row[0])


def test_a_group_whose_connection_is_lost_records_nothing(pg_settings: Settings) -> None:
    app = build_application(pg_settings)
    try:
        recorder = recorder_of(app)
        sizes = counted(recorder)
        failures: list[BaseException] = []
        lock = threading.Lock()
        originators = [uuid.uuid4() for _ in range(6)]

        def record(originator: uuid.UUID) -> None:
            try:
                recorder.group.submit(
                    [recorder.construct_pg_stored_event(originator, 1, "tests:Recorded", b"{}")]
                )
            except BaseException as exc:
                with lock:
                    failures.append(exc)

        threads = [threading.Thread(target=record, args=(o,)) for o in originators]
        with psycopg.connect(pg_settings.database_url) as holder:
            holder.execute(
                sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events_table(pg_settings))
            )
            threads[0].start()
            killed = 0
            while killed < 2:  # the first alone, then all the others together
                deadline = time.monotonic() + 10
                pid = waiting_insert(pg_settings)
                while pid is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                    pid = waiting_insert(pg_settings)
                assert pid is not None, "no insert waited for the lock"
                if killed == 0:
                    for thread in threads[1:]:
                        thread.start()
                    time.sleep(0.5)
                holder.execute("SELECT pg_terminate_backend(%s)", (pid,))
                killed += 1
                # The next group forms from the callers waiting meanwhile.
                while len(failures) < (1 if killed == 1 else 6) and time.monotonic() < deadline:
                    time.sleep(0.05)
            holder.commit()
        for thread in threads:
            thread.join(30)
        assert sizes == [1, 5]
        assert len(failures) == 6
        assert all(isinstance(f, PersistenceError) for f in failures)
        assert recorder.select_notifications(start=1, limit=100) == []
    finally:
        app.close()
