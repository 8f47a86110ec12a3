"""Every institution's history in one pass over the event store, ordered by institution.

One query reads the events table in its primary key's order (originator id, version), so
each aggregate's events arrive together and in order: an institution is replayed as soon
as its last event is read, and only one history is held at a time. A stream that does not
start with ``FilingSubmitted`` (a roster, a token, an idempotency record) is passed over by
its topic without decoding; an institution the run does not keep is passed over after its
first event. PostgreSQL streams through a server-side cursor; SQLite through its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Identifier

from domain.commands.impact import Stream
from domain.events import FilingSubmitted
from domain.ledger import LedgerStore

#: Rows fetched from the server per round trip.
FETCH = 5000
SUBMITTED = get_topic(FilingSubmitted)

Row = tuple[Any, int, str, bytes]


class StoredHistories:
    def __init__(self, store: LedgerStore) -> None:
        self.store = store

    def rows(self) -> Iterator[Row]:
        """(originator id, version, topic, state) of every stored event, by originator."""
        recorder: Any = self.store.recorder
        datastore = recorder.datastore
        if isinstance(datastore, PostgresDatastore):
            statement = SQL(
                "SELECT originator_id, originator_version, topic, state FROM {}.{}"
                " ORDER BY originator_id, originator_version"
            ).format(Identifier(datastore.schema), Identifier(recorder.events_table_name))
            with (
                datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor(name="histories") as cursor,
            ):
                cursor.itersize = FETCH
                cursor.execute(statement)
                for row in cursor:
                    yield (
                        row["originator_id"],
                        row["originator_version"],
                        row["topic"],
                        row["state"],
                    )
            return
        statement_text = (
            "SELECT originator_id, originator_version, topic, state FROM"
            f" {recorder.events_table_name} ORDER BY originator_id, originator_version"
        )
        with datastore.transaction(commit=False) as wrapped, wrapped as cursor:
            cursor.execute(statement_text)
            originator, text = None, None
            while batch := cursor.fetchmany(FETCH):
                for row in batch:
                    if row[0] != text:  # SQLite keeps ids as text: read each once
                        text, originator = row[0], UUID(row[0])
                    yield (originator, row[1], row[2], row[3])

    def total(self) -> int:
        return int(self.store.recorder.max_notification_id() or 0)

    def institutions(self, keep: Callable[[FilingSubmitted], bool]) -> Iterator[Stream]:
        total = self.total()
        decode = self.store.mapper.to_domain_event
        read = 0
        for originator, group in groupby(self.rows(), key=lambda r: r[0]):
            rows: Iterator[Row] = iter(group)
            first = next(rows)
            read += 1
            if first[2] != SUBMITTED:
                read += sum(1 for _ in rows)
                continue
            opening = decode(StoredEvent(originator, first[1], first[2], first[3]))
            if not isinstance(opening, FilingSubmitted) or not keep(opening):
                read += sum(1 for _ in rows)
                continue
            events: list[Any] = [opening]
            for _, version, topic, state in rows:
                events.append(decode(StoredEvent(originator, version, topic, state)))
            read += len(events) - 1
            yield Stream(events, read, max(total, read))
