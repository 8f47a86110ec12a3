"""The PostgreSQL recorder of the event store: the library's, with its commit-order lock
held for less time.

The library's recorder takes ``LOCK TABLE … IN EXCLUSIVE MODE`` in each inserting
transaction, so that notification ids are handed out in commit order and a reader tailing
the log never passes an id that a slower transaction fills in later. It then inserts, reads
the ids back and commits: two round trips to the client while the lock is held, and in a
process with many threads each of them waits for the interpreter lock as well, so the
writers of every process queue for the sum of it.

:class:`CommitOrderRecorder` takes the same lock, of the same mode on the same table, but
inside one server-side function that locks, notifies and inserts, called as one statement
of its own transaction: the lock is taken as late as it can be, and it is released by the
commit that ends that statement, with no round trip to the client while it is held. The
guarantee is the one the library gives, and the lock is the one it takes, so processes
using either recorder exclude each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier


class CommitOrderRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_function_name = f"ledger_insert_events_{datastore.originator_id_type}"
        schema = Identifier(datastore.schema)
        function = Identifier(self.insert_function_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN"
                "    SET LOCAL lock_timeout = '{lock_timeout}s';"
                "    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;"
                "    NOTIFY {channel};"
                "    RETURN QUERY"
                "    INSERT INTO {schema}.{table} AS t ("
                "    originator_id, originator_version, topic, state)"
                "    SELECT originator_id, originator_version, topic, state"
                "    FROM unnest(events)"
                "    RETURNING notification_id;"
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
        self.invoke_insert_function = SQL("SELECT * FROM {schema}.{function}((%s))").format(
            schema=schema, function=function
        )

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
        # The connection is in autocommit: the statement is its own transaction.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.invoke_insert_function, (rows,), prepare=True)
            return [row[self.insert_function_name] for row in curs.fetchall()]
