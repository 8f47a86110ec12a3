"""The PostgreSQL recorder of the event store: the library's commit-order lock, taken once
for every command waiting to be recorded at the same moment.

The library's recorder takes ``LOCK TABLE … IN EXCLUSIVE MODE`` in each inserting
transaction, so that notification ids are handed out in commit order and a reader tailing
the log never passes an id that a slower transaction fills in later. Every command of every
process therefore queues for that lock, one transaction (and one flush of the write-ahead
log) after the other.

:class:`CommitOrderRecorder` takes the same lock, of the same mode on the same table, inside
one server-side function called as one statement of its own transaction (the lock is
released by the commit that ends that statement, with no round trip to the client while it
is held), and it records a *group* of commands in that transaction: the commands of this
process that wait to be recorded while the previous group is written (:class:`GroupCommit`,
one writer at a time per process). The function inserts each command's events in a block
of its own; a command whose events collide with recorded ones (another command recorded
that version of the aggregate first, in this group or before) is refused alone and the rest
of the group is recorded. Each caller gets its own notification ids, or its own
:class:`~eventsourcing.persistence.IntegrityError`; a group that fails as a whole (the
connection is lost, the lock times out) records nothing and fails every caller in it.
Processes using either recorder exclude each other, as the lock is the library's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any, Generic, TypeVar

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from config.metrics import COMMANDS_RECORDING

#: Commands recorded together at most (each is a subtransaction of the group's; PostgreSQL
#: keeps up to 64 of them per transaction in shared memory).
GROUP_COMMANDS = 32

Row = TypeVar("Row")


class _Waiting(Generic[Row]):
    __slots__ = ("done", "error", "ids", "rows")

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = rows
        self.ids: list[int] | None = None
        self.error: BaseException | None = None
        self.done = False


class GroupCommit(Generic[Row]):
    """Commands submitted while a group is being written wait and go into the next group,
    written by one of them (the first to find no group under way) with one call of
    ``write``, which returns each command's notification ids, or None for a command refused
    for a collision. One group is written at a time, so the groups of a process are
    recorded in the order they were formed."""

    def __init__(
        self,
        write: Callable[[list[Sequence[Row]]], list[list[int] | None]],
        max_commands: int = GROUP_COMMANDS,
    ) -> None:
        self.write = write
        self.max_commands = max_commands
        self._queue: list[_Waiting[Row]] = []
        self._writing = False
        self._waiting = 0
        self._changed = threading.Condition()

    def submit(self, rows: Sequence[Row]) -> list[int] | None:
        """The notification ids of ``rows``, recorded in one transaction with whatever
        else is submitted meanwhile; None if they collide with recorded events."""
        mine = _Waiting(rows)
        COMMANDS_RECORDING.inc()
        try:
            self._wait_for(mine)
        finally:
            COMMANDS_RECORDING.dec()
        if mine.error is not None:
            raise _own(mine.error)
        return mine.ids

    @property
    def waiting(self) -> int:
        """The commands submitted and not yet recorded or refused."""
        with self._changed:
            return self._waiting

    def _wait_for(self, mine: _Waiting[Row]) -> None:
        with self._changed:
            self._queue.append(mine)
            self._waiting += 1
            while not mine.done:
                if self._writing:
                    self._changed.wait()
                    continue
                group = self._queue[: self.max_commands]
                del self._queue[: self.max_commands]
                self._writing = True
                self._changed.release()
                try:
                    self._write(group)
                finally:
                    self._changed.acquire()
                    self._writing = False
                    for waiting in group:
                        waiting.done = True
                    self._waiting -= len(group)
                    self._changed.notify_all()

    def _write(self, group: list[_Waiting[Row]]) -> None:
        try:
            outcomes = self.write([waiting.rows for waiting in group])
        except BaseException as error:  # every caller of the group gets it
            for waiting in group:
                waiting.error = error
            return
        for waiting, ids in zip(group, outcomes, strict=True):
            waiting.ids = ids


def _own(error: BaseException) -> BaseException:
    """``error`` as a caller of its group raises it: a copy of its own, caused by it (one
    exception object is not raised from several threads at once)."""
    try:
        copy = type(error)(str(error))
    except Exception:
        return error
    copy.__cause__ = error
    return copy


class CommitOrderRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_function_name = f"ledger_insert_commands_{datastore.originator_id_type}"
        schema = Identifier(datastore.schema)
        function = Identifier(self.insert_function_name)
        # ``ends[i]``: the last of ``events`` that command i records. A command's events go
        # in a block of their own; ids are gathered before any is returned, so a refused
        # command returns none (one row with a null id says it was refused).
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                "events {schema}.{event}[], ends integer[]) "
                "RETURNS TABLE (command_no integer, recorded_id bigint) "
                "LANGUAGE plpgsql AS $BODY$ "
                "DECLARE"
                "    first integer := 1;"
                "    ids bigint[];"
                "BEGIN"
                "    SET LOCAL lock_timeout = '{lock_timeout}s';"
                "    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;"
                "    NOTIFY {channel};"
                "    FOR i IN 1 .. coalesce(array_length(ends, 1), 0) LOOP"
                "        BEGIN"
                "            WITH recorded AS ("
                "                INSERT INTO {schema}.{table} AS t ("
                "                originator_id, originator_version, topic, state)"
                "                SELECT e.originator_id, e.originator_version, e.topic, e.state"
                "                FROM unnest(events[first:ends[i]]) AS e"
                "                RETURNING t.notification_id)"
                "            SELECT array_agg(r.notification_id ORDER BY r.notification_id)"
                "            INTO ids FROM recorded AS r;"
                "        EXCEPTION WHEN unique_violation THEN"
                "            ids := ARRAY[NULL]::bigint[];"
                "        END;"
                "        command_no := i;"
                "        FOREACH recorded_id IN ARRAY ids LOOP"
                "            RETURN NEXT;"
                "        END LOOP;"
                "        first := ends[i] + 1;"
                "    END LOOP;"
                "END; $BODY$"
            ).format(
                schema=schema,
                function=function,
                event=Identifier(self.stored_event_type_name),
                lock_timeout=datastore.lock_timeout,
                table=Identifier(self.events_table_name),
                channel=Identifier(self.channel_name),
            )
        )
        # The events in binary (``%b``): the composite's binary dumper writes the state's
        # bytes as they are, where the text one escapes every byte (a tenth of the time).
        self.invoke_insert_function = SQL(
            "SELECT command_no, recorded_id FROM {schema}.{function}(%b, %s::integer[])"
        ).format(schema=schema, function=function)
        self.group = GroupCommit(self.insert_group)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        ids = self.group.submit(rows)
        if ids is None:
            raise IntegrityError(
                "duplicate key value violates unique constraint: an event of this version"
                " of the aggregate is recorded already"
            )
        return ids

    def insert_group(self, commands: list[Sequence[Any]]) -> list[list[int] | None]:
        """Record ``commands`` (each one's rows) in one transaction: each one's ids, or
        None for one refused for a collision."""
        events = [row for rows in commands for row in rows]
        ends = list(accumulate(len(rows) for rows in commands))
        outcomes: list[list[int] | None] = [[] for _ in commands]
        # The connection is in autocommit: the statement is its own transaction.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.invoke_insert_function, (events, ends), prepare=True)
            for row in curs.fetchall():
                n, recorded = row["command_no"] - 1, row["recorded_id"]
                ids = outcomes[n]
                if recorded is None:
                    outcomes[n] = None
                elif ids is not None:
                    ids.append(recorded)
        return outcomes
