"""Where read models live: view tables and tracking positions beside the event store.

This module is the only one in ``projections/`` that names the eventsourcing library.
It provides:

- :class:`Table`, :class:`Column`, :class:`Index`: a read model declares its tables once;
  the DDL for SQLite and PostgreSQL is generated from the declaration.
- :class:`ViewStore`: the read models' database (the event store's SQLite file, or its
  PostgreSQL schema). Its tracking recorder is a subclass of the library's tracking
  recorder whose create statements also create the view tables.
- :class:`ViewSession`: one write transaction in which a batch of view rows and the
  projection's new position are committed together. The library's tracking insert refuses
  a position that is not above the recorded one, so a replayed batch rolls back.
- :class:`NotificationLog`: the application's notification log, read in sections.

Values are converted in one place: dates, instants, UUIDs and JSON come back as Python
objects on both backends, and text compares bytewise on both (``COLLATE "C"`` on
PostgreSQL), so ordering and cursors behave the same everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, partial
from typing import Any, Literal, NamedTuple, cast
from uuid import UUID

from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    StoredEvent,
    Tracking,
    Transcoding,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresTrackingRecorder,
)
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from eventsourcing.utils import TopicError, resolve_topic, retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from config.settings import Settings
from domain.application import OversightApplication
from domain.events import LedgerEvent
from domain.history import History, HistoryFold
from domain.rulebook import Catalogue

ColumnType = Literal["text", "int", "date", "timestamp", "json", "uuid"]
Row = dict[str, Any]

#: The PostgreSQL table holding each projection's position (SQLite's is ``tracking``).
POSTGRES_TRACKING_TABLE = "projection_tracking"
#: At most this many values in one ``IN (...)`` list.
IN_LIST_CHUNK = 500
#: At most this many rows in one INSERT.
MAX_ROWS_PER_INSERT = 1000
#: What follows a table's (and its indexes') name while a rebuild writes it afresh.
REBUILT = "__rebuilt"


# --- table declarations -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "text"
    nullable: bool = True


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[Index, ...] = ()
    types: Mapping[str, ColumnType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "types", {c.name: c.type for c in self.columns})
        unknown = set(self.primary_key) - set(self.types)
        if unknown:
            raise ValueError(f"{self.name}: primary key names unknown columns {unknown}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# --- dialects -----------------------------------------------------------------------------

_NAMED_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")

_SQLITE_TYPES: dict[ColumnType, str] = {
    "text": "TEXT",
    "int": "INTEGER",
    "date": "TEXT",
    "timestamp": "TEXT",
    "json": "TEXT",
    "uuid": "TEXT",
}
_POSTGRES_TYPES: dict[ColumnType, str] = {
    "text": 'text COLLATE "C"',
    "int": "bigint",
    "date": "date",
    "timestamp": "timestamptz",
    "json": "jsonb",
    "uuid": "uuid",
}
_POSTGRES_ARRAYS: dict[ColumnType, str] = {
    "text": "text[]",
    "int": "bigint[]",
    "date": "date[]",
    "timestamp": "timestamptz[]",
    "json": "jsonb[]",
    "uuid": "uuid[]",
}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("instants must carry a time zone")
    return value.astimezone(UTC).isoformat()


class Dialect:
    """The differences between SQLite and PostgreSQL that the views care about."""

    name: Literal["sqlite", "postgres"]
    #: What keeps two stores in one database apart (a PostgreSQL schema).
    schema: str = "main"

    def table(self, name: str) -> str:
        raise NotImplementedError

    def sql(self, statement: str) -> str:
        """A statement written with ``:name`` parameters, in this backend's style.

        (PostgreSQL's become psycopg's ``%(name)s``, so a literal ``%`` must not appear.)
        """
        raise NotImplementedError

    def column_ddl(self, column: Column) -> str:
        raise NotImplementedError

    def lock_statement(self) -> str:
        """Taken first in every write transaction: one writer per projection at a time."""
        raise NotImplementedError

    def to_db(self, value: Any) -> Any:
        raise NotImplementedError

    def from_db(self, kind: ColumnType, value: Any) -> Any:
        raise NotImplementedError

    def create_statements(self, table: Table) -> list[str]:
        return [self.table_statement(table), *self.index_statements(table)]

    def table_statement(self, table: Table, name: str | None = None) -> str:
        """The table's CREATE statement (under ``name`` if given), its indexes apart."""
        columns = [self.column_ddl(c) for c in table.columns]
        key = ", ".join(quote(c) for c in table.primary_key)
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table(name or table.name)} "
            f"({', '.join(columns)}, PRIMARY KEY ({key}))"
        )

    def index_statements(
        self, table: Table, suffix: str = "", name: str | None = None
    ) -> list[str]:
        """The CREATE statements of the table's indexes (on table ``name`` if given, each
        index's name followed by ``suffix``)."""
        statements = []
        for index in table.indexes:
            cols = ", ".join(quote(c) for c in index.columns)
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {quote(index.name + suffix)} "
                f"ON {self.table(name or table.name)} ({cols})"
            )
        return statements

    def drop_statement(self, table: Table) -> str:
        return f"DROP TABLE IF EXISTS {self.table(table.name)}"

    def conflict_clause(self, table: Table, *, replace: bool) -> str:
        """With ``replace``, a row whose primary key exists replaces the stored one."""
        if not replace:
            return ""
        key = ", ".join(quote(c) for c in table.primary_key)
        others = [c for c in table.column_names if c not in table.primary_key]
        if not others:
            return f" ON CONFLICT ({key}) DO NOTHING"
        updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in others)
        return f" ON CONFLICT ({key}) DO UPDATE SET {updates}"

    def insert_rows(
        self, cursor: Any, table: Table, rows: Sequence[Mapping[str, Any]], *, replace: bool
    ) -> None:
        raise NotImplementedError

    def row_from_db(self, table: Table | None, raw: Mapping[str, Any]) -> Row:
        types = table.types if table is not None else {}
        return {k: self.from_db(types.get(k, "text"), v) for k, v in raw.items()}

    def held_row(self, table: Table, row: Mapping[str, Any]) -> Row:
        """The row as it would read back once written: every column, each value as
        :meth:`from_db` gives it (a row held in memory by a rebuild looks like a stored one)."""
        held = self.held_value
        return {
            c: v if (v := row.get(c)) is None or type(v) in _HELD_AS_IS[kind] else held(kind, v)
            for c, kind in table.types.items()
        }

    def held_value(self, kind: ColumnType, value: Any) -> Any:
        if value is None:
            return None
        if kind == "json":
            return _as_json(value)
        if kind == "timestamp" and isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("instants must carry a time zone")
            return value.astimezone(UTC)
        if kind == "uuid" and isinstance(value, UUID):
            return value
        if kind == "date" and type(value) is date:
            return value
        if kind in ("text", "int") and type(value) in (str, int):
            return value
        return self.from_db(kind, self.to_db(value))

    def analyze_statement(self, table: Table) -> str:
        """Gathers the planner's statistics of ``table`` (its rows, each column's values)."""
        return f"ANALYZE {self.table(table.name)}"

    def replace_tables(self, cursor: Any, tables: Sequence[HeldTable]) -> None:
        """Each table dropped and written afresh with the rows held for it, in the
        transaction of ``cursor``; its indexes built after the rows are in."""
        for held in tables:
            cursor.execute(self.drop_statement(held.table))
            cursor.execute(self.table_statement(held.table))
            rows = list(held.rows.values())
            for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
                chunk = rows[start : start + MAX_ROWS_PER_INSERT]
                self.insert_rows(cursor, held.table, chunk, replace=False)
            for statement in self.index_statements(held.table):
                cursor.execute(statement)


#: By column type, the types of value held as they are (they read back unchanged).
_HELD_AS_IS: dict[ColumnType, tuple[type, ...]] = {
    "text": (str,),
    "int": (int,),
    "date": (date,),
    "timestamp": (),
    "json": (str, int, float),
    "uuid": (UUID,),
}


def _as_json(value: Any) -> Any:
    """``value`` as a JSON column gives it back (tuples become lists, keys strings)."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dict):
        return {k if type(k) is str else _json_key(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json(v) for v in value]
    raise TypeError(f"a {type(value).__name__} is not JSON")


def _json_key(key: Any) -> str:
    if key is None or isinstance(key, str | int | float):
        return json.dumps(key)
    raise TypeError(f"a {type(key).__name__} is not a JSON key")


class SQLiteDialect(Dialect):
    name: Literal["sqlite", "postgres"] = "sqlite"

    def table(self, name: str) -> str:
        return quote(name)

    def sql(self, statement: str) -> str:
        return statement

    def column_ddl(self, column: Column) -> str:
        null = "" if column.nullable else " NOT NULL"
        return f"{quote(column.name)} {_SQLITE_TYPES[column.type]}{null}"

    def lock_statement(self) -> str:
        # A write as the first statement takes SQLite's write lock (waiting for it) before
        # anything is read, so the position read next is the latest one.
        return (
            "UPDATE tracking SET notification_id = notification_id "
            "WHERE application_name = :application_name"
        )

    def insert_rows(
        self, cursor: Any, table: Table, rows: Sequence[Mapping[str, Any]], *, replace: bool
    ) -> None:
        names = table.column_names
        cols = ", ".join(quote(c) for c in names)
        marks = ", ".join("?" * len(names))
        cursor.executemany(
            f"INSERT INTO {self.table(table.name)} ({cols}) VALUES ({marks})"
            + self.conflict_clause(table, replace=replace),
            [[self.to_db(row.get(c)) for c in names] for row in rows],
        )

    def to_db(self, value: Any) -> Any:
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime):
            return _utc_iso(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict | list | tuple):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return value

    def from_db(self, kind: ColumnType, value: Any) -> Any:
        if value is None:
            return None
        if kind == "uuid":
            return UUID(value)
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "timestamp":
            return datetime.fromisoformat(value)
        if kind == "json":
            return json.loads(value)
        return value


class PostgresDialect(Dialect):
    name: Literal["sqlite", "postgres"] = "postgres"

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def table(self, name: str) -> str:
        return f"{quote(self.schema)}.{quote(name)}"

    def sql(self, statement: str) -> str:
        return _NAMED_PARAM.sub(r"%(\1)s", statement)

    def column_ddl(self, column: Column) -> str:
        null = "" if column.nullable else " NOT NULL"
        return f"{quote(column.name)} {_POSTGRES_TYPES[column.type]}{null}"

    def lock_statement(self) -> str:
        # Advisory locks are per database; the schema keeps two stores in one database apart.
        return self.sql("SELECT pg_advisory_xact_lock(hashtext(:lock_key))")

    def insert_rows(
        self, cursor: Any, table: Table, rows: Sequence[Mapping[str, Any]], *, replace: bool
    ) -> None:
        # One array per column, zipped back into rows by unnest: one short statement
        # whatever the number of rows, parsed and planned once.
        names = table.column_names
        cols = ", ".join(quote(c) for c in names)
        arrays = ", ".join(f"%s::{_POSTGRES_ARRAYS[table.types[c]]}" for c in names)
        cursor.execute(
            f"INSERT INTO {self.table(table.name)} ({cols}) SELECT * FROM unnest({arrays})"
            + self.conflict_clause(table, replace=replace),
            [[self.to_db(row.get(c)) for row in rows] for c in names],
        )

    def to_db(self, value: Any) -> Any:
        if isinstance(value, dict | list | tuple):
            return Jsonb(value)
        return value

    def from_db(self, kind: ColumnType, value: Any) -> Any:
        if value is None:
            return None
        if kind == "timestamp" and isinstance(value, datetime):
            return value.astimezone(UTC)
        return value

    def held_value(self, kind: ColumnType, value: Any) -> Any:
        if kind == "uuid" and isinstance(value, str):
            return UUID(value)
        return super().held_value(kind, value)

    def replace_tables(self, cursor: Any, tables: Sequence[HeldTable]) -> None:
        """Each table written afresh under a new name with ``COPY``, its indexes built
        after the rows, then swapped in for the old one: readers of the old table wait
        only for the swap (and see the new rows once the transaction commits)."""
        for held in tables:
            table, fresh = held.table, held.table.name + REBUILT
            cursor.execute(f"DROP TABLE IF EXISTS {self.table(fresh)}")
            cursor.execute(self.table_statement(table, fresh))
            names = table.column_names
            cols = ", ".join(quote(c) for c in names)
            # Held values are as read back: only JSON needs its wrapper to be written.
            json_at = [i for i, c in enumerate(names) if table.types[c] == "json"]
            with cursor.copy(f"COPY {self.table(fresh)} ({cols}) FROM STDIN") as copy:
                for row in held.rows.values():
                    values = [row[c] for c in names]
                    for i in json_at:
                        values[i] = self.to_db(values[i])
                    copy.write_row(values)
            for statement in self.index_statements(table, REBUILT, fresh):
                cursor.execute(statement)
        for held in tables:
            table, fresh = held.table, held.table.name + REBUILT
            cursor.execute(self.drop_statement(table))
            cursor.execute(f"ALTER TABLE {self.table(fresh)} RENAME TO {quote(table.name)}")
            renamed = [(f"{fresh}_pkey", f"{table.name}_pkey")]
            renamed += [(index.name + REBUILT, index.name) for index in table.indexes]
            for old, new in renamed:
                cursor.execute(f"ALTER INDEX {self.table(old)} RENAME TO {quote(new)}")


# --- the tracking recorders with the view tables ------------------------------------------


class SQLiteViewRecorder(SQLiteTrackingRecorder):
    """The library's SQLite tracking recorder, also creating the view tables."""

    def __init__(self, datastore: SQLiteDatastore, *, tables: Sequence[Table]) -> None:
        self.view_tables = tuple(tables)
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        statements: list[str] = super().construct_create_table_statements()
        dialect = SQLiteDialect()
        for table in self.view_tables:
            statements.extend(dialect.create_statements(table))
        return statements


class PostgresViewRecorder(PostgresTrackingRecorder):
    """The library's PostgreSQL tracking recorder, also creating the schema and view tables."""

    def __init__(self, datastore: PostgresDatastore, *, tables: Sequence[Table]) -> None:
        super().__init__(datastore, tracking_table_name=POSTGRES_TRACKING_TABLE)
        self.view_tables = tuple(tables)
        self.sql_create_statements.insert(
            0, SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(datastore.schema))
        )
        dialect = PostgresDialect(datastore.schema)
        for table in self.view_tables:
            for statement in dialect.create_statements(table):
                self.sql_create_statements.append(SQL(statement))  # type: ignore[arg-type]


# --- sessions and the store ---------------------------------------------------------------


class StalePosition(Exception):
    """A batch would move a projection to a position it has already passed."""


class ViewSession:
    """One transaction on the view tables; the position is recorded in the same one."""

    #: Whether rows found are the ones held (a rebuild's :class:`HeldSession`) rather
    #: than fresh copies read from the database.
    holds_rows = False

    def __init__(self, store: ViewStore, cursor: Any) -> None:
        self.store = store
        self.dialect = store.dialect
        self._cursor = cursor

    def execute(self, statement: str, params: Mapping[str, Any] | None = None) -> None:
        self._cursor.execute(statement, self._params(params))

    def keep_alive(self) -> None:
        """A statement that keeps a transaction waiting on other work from the server's
        idle-in-transaction timeout."""
        self.execute("SELECT 1")

    def rows(
        self, statement: str, params: Mapping[str, Any] | None = None, table: Table | None = None
    ) -> list[Row]:
        self._cursor.execute(statement, self._params(params))
        return [self.dialect.row_from_db(table, dict(r)) for r in self._cursor.fetchall()]

    def _params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        return {k: self.dialect.to_db(v) for k, v in (params or {}).items()}

    def fetch(self, table: Table, column: str, values: Collection[Any]) -> list[Row]:
        """The rows of ``table`` whose ``column`` is one of ``values``."""
        found: list[Row] = []
        ordered = list(values)
        for start in range(0, len(ordered), IN_LIST_CHUNK):
            chunk = ordered[start : start + IN_LIST_CHUNK]
            names = [f"v{i}" for i in range(len(chunk))]
            statement = self.dialect.sql(
                f"SELECT * FROM {self.dialect.table(table.name)} "
                f"WHERE {quote(column)} IN ({', '.join(':' + n for n in names)})"
            )
            found.extend(self.rows(statement, dict(zip(names, chunk, strict=True)), table))
        return found

    def delete(self, table: Table, column: str, values: Collection[Any]) -> None:
        ordered = list(values)
        for start in range(0, len(ordered), IN_LIST_CHUNK):
            chunk = ordered[start : start + IN_LIST_CHUNK]
            names = [f"v{i}" for i in range(len(chunk))]
            self.execute(
                self.dialect.sql(
                    f"DELETE FROM {self.dialect.table(table.name)} "
                    f"WHERE {quote(column)} IN ({', '.join(':' + n for n in names)})"
                ),
                dict(zip(names, chunk, strict=True)),
            )

    def upsert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert the rows, replacing any with the same primary key (the last one wins)."""
        unique = {tuple(row.get(c) for c in table.primary_key): row for row in rows}
        self._insert(table, list(unique.values()), replace=True)

    def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        self._insert(table, rows, replace=False)

    def _insert(self, table: Table, rows: Sequence[Mapping[str, Any]], *, replace: bool) -> None:
        for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
            chunk = rows[start : start + MAX_ROWS_PER_INSERT]
            self.dialect.insert_rows(self._cursor, table, chunk, replace=replace)

    def position(self, name: str) -> int:
        rows = self.rows(
            self.dialect.sql(
                f"SELECT notification_id FROM {self.dialect.table(self.store.tracking_table)} "
                "WHERE application_name = :name"
            ),
            {"name": name},
        )
        return int(rows[0]["notification_id"]) if rows else 0

    def lock(self, name: str) -> None:
        self.execute(
            self.dialect.lock_statement(),
            {"application_name": name}
            if self.dialect.name == "sqlite"
            else {"lock_key": f"{self.store.schema}:{name}"},
        )

    def record_position(self, name: str, notification_id: int) -> None:
        """Record the projection's new position, refusing one not above the last.

        Raises :class:`StalePosition`, which rolls back the transaction and with it the
        view rows written for the refused events.
        """
        try:
            self.store.recorder._insert_tracking(
                self._cursor, Tracking(application_name=name, notification_id=notification_id)
            )
        except IntegrityError as exc:
            raise StalePosition(
                f"projection {name} is already past notification {notification_id}"
            ) from exc

    def forget_position(self, name: str) -> None:
        self.execute(
            self.dialect.sql(
                f"DELETE FROM {self.dialect.table(self.store.tracking_table)} "
                "WHERE application_name = :name"
            ),
            {"name": name},
        )


Key = tuple[Any, ...]


class HeldTable:
    """A view table's rows held in memory while a rebuild computes them, by primary key.

    Rows are kept as :meth:`Dialect.held_row` gives them, so they read as stored ones. A
    row found here is the one held, not a copy: a read model changing it writes it back
    (``upsert``), as it would to the database; the column indexes follow the writes.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.dialect = dialect
        self.rows: dict[Key, Row] = {}
        self._key = table.primary_key
        #: By column: the keys of the rows holding each value, and each row's value.
        self._index: dict[str, dict[Any, dict[Key, None]]] = {}
        self._indexed: dict[str, dict[Key, Any]] = {}

    def put(self, row: Mapping[str, Any], *, replace: bool) -> None:
        held = self.dialect.held_row(self.table, row)
        key = tuple(held[c] for c in self._key)
        if not replace and key in self.rows:
            raise IntegrityError(f"{self.table.name}: a row with the key {key} is held")
        self.rows[key] = held
        for column in self._index:
            self._reindex(column, key, held[column])

    def find(self, column: str, values: Collection[Any]) -> list[Row]:
        kind = self.table.types[column]
        wanted = dict.fromkeys(self.dialect.held_value(kind, v) for v in values)
        wanted.pop(None, None)
        if self._key == (column,):
            return [row for v in wanted if (row := self.rows.get((v,))) is not None]
        index = self._index_of(column)
        return [
            self.rows[key]
            for v in wanted
            for key in index.get(v, ())
            if self.rows[key][column] == v
        ]

    def remove(self, column: str, values: Collection[Any]) -> None:
        for row in self.find(column, values):
            key = tuple(row[c] for c in self._key)
            del self.rows[key]
            for name, index in self._index.items():
                value = self._indexed[name].pop(key)
                self._unindex(index, value, key)

    def _index_of(self, column: str) -> dict[Any, dict[Key, None]]:
        index = self._index.get(column)
        if index is None:
            index = self._index[column] = {}
            self._indexed[column] = {}
            for key, row in self.rows.items():
                self._reindex(column, key, row[column])
        return index

    def _reindex(self, column: str, key: Key, value: Any) -> None:
        index, indexed = self._index[column], self._indexed[column]
        if key in indexed:
            old = indexed[key]
            if old == value:
                return
            self._unindex(index, old, key)
        indexed[key] = value
        index.setdefault(value, {})[key] = None

    @staticmethod
    def _unindex(index: dict[Any, dict[Key, None]], value: Any, key: Key) -> None:
        keys = index.get(value)
        if keys is not None:
            keys.pop(key, None)
            if not keys:
                del index[value]


class HeldSession(ViewSession):
    """A rebuild's session: the views' rows held in memory, no database in between.

    Offers what read models write with (``fetch``, ``upsert``, ``insert``, ``delete``);
    :meth:`ViewStore.replace` then writes every held table in one transaction.
    """

    holds_rows = True

    def __init__(self, store: ViewStore, tables: Sequence[Table]) -> None:
        super().__init__(store, None)
        self.tables = {t.name: HeldTable(t, store.dialect) for t in tables}
        #: What a read model keeps across the rebuild's batches besides its rows (by a
        #: name of its own), dropped with the session.
        self.kept: dict[str, Any] = {}

    def keep_alive(self) -> None:
        return None  # no transaction is open while a rebuild's batches are applied

    def fetch(self, table: Table, column: str, values: Collection[Any]) -> list[Row]:
        return self.tables[table.name].find(column, values)

    def delete(self, table: Table, column: str, values: Collection[Any]) -> None:
        self.tables[table.name].remove(column, values)

    def _insert(self, table: Table, rows: Sequence[Mapping[str, Any]], *, replace: bool) -> None:
        held = self.tables[table.name]
        for row in rows:
            held.put(row, replace=replace)

    def upsert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        self._insert(table, rows, replace=True)

    def execute(self, statement: str, params: Mapping[str, Any] | None = None) -> None:
        raise TypeError("a rebuild holds its views in memory: it runs no SQL")

    def rows(
        self, statement: str, params: Mapping[str, Any] | None = None, table: Table | None = None
    ) -> list[Row]:
        raise TypeError("a rebuild holds its views in memory: it runs no SQL")


class ViewStore:
    """The read models' database and its tracking recorder."""

    def __init__(
        self,
        dialect: Dialect,
        recorder: SQLiteViewRecorder | PostgresViewRecorder,
        *,
        owns_datastore: bool,
    ) -> None:
        self.dialect = dialect
        self.recorder = recorder
        self._owns_datastore = owns_datastore
        self.schema = dialect.schema
        self.tracking_table = (
            "tracking" if isinstance(recorder, SQLiteViewRecorder) else POSTGRES_TRACKING_TABLE
        )

    @classmethod
    def open(
        cls,
        settings: Settings,
        tables: Sequence[Table],
        application: OversightApplication | None = None,
    ) -> ViewStore:
        """The store in the event store's database, as named by the settings.

        It keeps its own connections, except for an in-memory SQLite store, whose
        only copy of the data is behind the application's connections.
        """
        in_memory = settings.backend == "sqlite" and settings.sqlite_path() == ":memory:"
        if in_memory:
            if application is None:
                raise ValueError("an in-memory store's views need the application")
            datastore: Any = getattr(application.store.recorder, "datastore", None)
        else:
            factory: Any = InfrastructureFactory.construct(settings.eventsourcing_env())
            datastore = factory.datastore
        recorder: SQLiteViewRecorder | PostgresViewRecorder
        dialect: Dialect
        if isinstance(datastore, SQLiteDatastore):
            recorder = SQLiteViewRecorder(datastore, tables=tables)
            dialect = SQLiteDialect()
        elif isinstance(datastore, PostgresDatastore):
            recorder = PostgresViewRecorder(datastore, tables=tables)
            dialect = PostgresDialect(datastore.schema)
        else:
            raise TypeError(f"no view store for {type(datastore).__name__}")
        recorder.create_table()
        return cls(dialect, recorder, owns_datastore=not in_memory)

    @contextmanager
    def transaction(self) -> Iterator[ViewSession]:
        """A write transaction: committed if the block ends normally, else rolled back."""
        with self.recorder.datastore.transaction(commit=True) as cursor:
            yield ViewSession(self, cursor)

    @contextmanager
    def reading(self, *, unhurried: bool = False) -> Iterator[ViewSession]:
        """A read-only transaction (one consistent snapshot), always rolled back.

        ``unhurried``: the caller works between its statements for longer than the store's
        idle-in-transaction timeout may allow (a digest of a whole view, say), and this
        transaction is exempt from it on PostgreSQL.
        """
        with self.recorder.datastore.transaction(commit=False) as cursor:
            session = ViewSession(self, cursor)
            if unhurried and self.dialect.name == "postgres":
                session.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            yield session

    def position(self, name: str) -> int:
        return self.recorder.max_tracking_id(name) or 0

    def holding(self, tables: Sequence[Table]) -> HeldSession:
        """A session holding ``tables`` in memory, empty, for a rebuild to fill."""
        return HeldSession(self, tables)

    def replace(self, held: HeldSession, positions: Mapping[str, int]) -> None:
        """Every table ``held`` keeps written afresh with its rows and each projection's
        position set, in one transaction: a crash leaves the old views and positions.

        Each projection's lock is taken first, so a runner's batch either commits before
        (and is replaced) or starts after, from the new position. The new tables are then
        analysed, after the commit (the swap holds its locks no longer for it), so that
        the planner has their statistics at once rather than at the next autovacuum.
        """
        with self.transaction() as session:
            for name in sorted(positions):
                session.lock(name)
            self.dialect.replace_tables(session._cursor, list(held.tables.values()))
            for name, position in positions.items():
                session.forget_position(name)
                if position:
                    session.record_position(name, position)
        with self.transaction() as session:
            for table in held.tables.values():
                session.execute(self.dialect.analyze_statement(table.table))

    def close(self) -> None:
        if self._owns_datastore:
            self.recorder.datastore.close()


# --- the notification log -----------------------------------------------------------------


class LoggedEvent(NamedTuple):
    """One notification: its position, what it is about, and its stored state (decoded
    on demand). A tuple: a rebuild makes one per event, and a tuple is made fastest."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def _logged_rows(cursor: Any) -> Callable[[Sequence[Any]], LoggedEvent]:
    """psycopg's row maker of :class:`LoggedEvent` (a tuple made from the row's values
    without a call of Python code)."""
    return partial(tuple.__new__, LoggedEvent)


@cache
def event_class(topic: str) -> type[LedgerEvent] | None:
    """The ledger event class a stored topic names (renamed topics included), if any."""
    try:
        cls = resolve_topic(topic)
    except (TopicError, ImportError, AttributeError):
        return None
    return cls if isinstance(cls, type) and issubclass(cls, LedgerEvent) else None


@cache
def _touchable(topic: str) -> type[LedgerEvent] | None:
    """The class a stored topic names if its state is stored as it is now (not upcast)."""
    cls = event_class(topic)
    return cls if cls is not None and getattr(cls, "class_version", 1) == 1 else None


class NotificationLog:
    """The application's notification log: every recorded event, in commit order."""

    def __init__(self, application: OversightApplication) -> None:
        self._recorder = application.store.recorder
        self._mapper = application.store.mapper
        self._ledger = application.ledger
        mapper = self._mapper
        transcoder = mapper.transcoder
        #: The transcodings of instants and days, where the stored state is plain JSON
        #: (neither encrypted nor compressed) that :meth:`decode_touch` can read the
        #: start of.
        self._instants: Transcoding | None = None
        self._days: Transcoding | None = None
        if (
            isinstance(transcoder, JSONTranscoder)
            and mapper.cipher is None
            and mapper.compressor is None
        ):
            self._instants = transcoder.names.get("datetime_iso")
            self._days = transcoder.names.get("date_iso")

    @property
    def catalogue(self) -> Catalogue:
        """The rulebooks the application judges by."""
        return self._ledger.catalogue

    def history(self, iid: UUID, upto: int) -> History:
        """An institution's history up to version ``upto`` (for a read model that keeps
        what the domain derives from it)."""
        return self._ledger.fold(iid, upto=upto).history

    def histories(self, upto: Mapping[UUID, int]) -> dict[UUID, History]:
        """Each institution's history up to its version in ``upto``, as :meth:`history`
        gives it, with the events after the kept folds read in one query for all of them
        (on PostgreSQL; one query each elsewhere)."""
        recorder = self._recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            return {iid: self.history(iid, version) for iid, version in upto.items()}
        folds = self._ledger.folds
        found: dict[UUID, History] = {}
        after: dict[UUID, HistoryFold | None] = {}
        for iid, version in upto.items():
            kept = folds.get(iid)
            if kept is not None and kept.version == version:
                found[iid] = kept.history
            else:
                after[iid] = kept if kept is not None and kept.version < version else None
        if not after:
            return found
        events: dict[UUID, list[Any]] = {iid: [] for iid in after}
        for stored in self._select_after(recorder, after, upto):
            events[cast(UUID, stored.originator_id)].append(self._mapper.to_domain_event(stored))
        for iid, kept in after.items():
            fold = HistoryFold.of(events[iid]) if kept is None else kept.extended(events[iid])
            folds.put(iid, fold)
            found[iid] = fold.history
        return found

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _select_after(
        self,
        recorder: PostgresApplicationRecorder,
        after: Mapping[UUID, HistoryFold | None],
        upto: Mapping[UUID, int],
    ) -> list[StoredEvent]:
        """The stored events of each institution after its kept fold up to its version
        in ``upto``, in version order."""
        statement = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state"
            " FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[]) AS w(id, gt, lte)"
            " JOIN {}.{} AS e ON e.originator_id = w.id"
            " AND e.originator_version > w.gt AND e.originator_version <= w.lte"
            " ORDER BY e.originator_id, e.originator_version"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        ids = list(after)
        gts = [0 if after[i] is None else cast(HistoryFold, after[i]).version for i in ids]
        ltes = [upto[i] for i in ids]
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(statement, (ids, gts, ltes))
            return [StoredEvent(*row) for row in curs.fetchall()]

    def read(self, start: int, limit: int) -> list[LoggedEvent]:
        """Up to ``limit`` notifications from id ``start`` on."""
        if isinstance(self._recorder, PostgresApplicationRecorder):
            return cast(list[LoggedEvent], self._read_postgres(self._recorder, start, limit))
        return [
            LoggedEvent(
                notification_id=n.id,
                originator_id=cast(UUID, n.originator_id),
                originator_version=n.originator_version,
                topic=n.topic,
                state=n.state,
            )
            for n in self._recorder.select_notifications(start=start, limit=limit)
        ]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _read_postgres(
        self, recorder: PostgresApplicationRecorder, start: int, limit: int
    ) -> list[LoggedEvent]:
        """The library's ``select_notifications`` (the same statement and retries),
        with plain rows made straight into :class:`LoggedEvent` (each row read into a
        dictionary and a notification first was a fifth of a rebuild's reading)."""
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM {}.{} WHERE notification_id>=%s ORDER BY notification_id LIMIT %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(statement, (start, limit), prepare=True)
            return [
                LoggedEvent(nid, oid, version, topic, state)
                for nid, oid, version, topic, state in curs.fetchall()
            ]

    def stream(self, start: int, upto: int, size: int) -> Iterator[list[LoggedEvent]]:
        """The notifications from id ``start`` up to id ``upto``, in lists of up to
        ``size``: on PostgreSQL from one server-side cursor (one statement, fetched
        ``size`` rows at a time, in one read-only snapshot that the store's idle-in-transaction
        timeout does not end while the caller works on a list), elsewhere a page at a time."""
        recorder = self._recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            while start <= upto:
                entries = [e for e in self.read(start, size) if e.notification_id <= upto]
                if not entries:
                    return
                yield entries
                start = entries[-1].notification_id + 1
            return
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM {}.{} WHERE notification_id>=%s AND notification_id<=%s"
            " ORDER BY notification_id"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with (
            recorder.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor("notification_stream", row_factory=_logged_rows) as curs,
        ):
            # The caller works between two fetches for as long as a batch takes (a
            # rebuild's, under load, more than the store's idle-in-transaction timeout):
            # this read-only transaction is exempt from that timeout.
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            curs.itersize = size
            curs.execute(statement, (start, upto))
            while rows := curs.fetchmany(size):
                yield rows

    def head(self) -> int:
        """The id of the last notification (0 for an empty store)."""
        return self._recorder.max_notification_id() or 0

    def decode(self, entry: LoggedEvent) -> LedgerEvent:
        stored = StoredEvent(
            entry.originator_id, entry.originator_version, entry.topic, entry.state
        )
        return cast(LedgerEvent, self._mapper.to_domain_event(stored))

    def decode_touch(self, entry: LoggedEvent) -> LedgerEvent:
        """The event with only its id, version, ``timestamp`` and ``occurred_on`` (for a
        read model that reads nothing else of it), from the start of its stored state
        alone; the whole event where that start is not the plain JSON the application
        writes.

        The values are the ones :meth:`decode` gives: the same transcodings read the same
        characters (ISO strings, which JSON holds without escapes). Reading any other
        attribute of the event raises ``AttributeError``.
        """
        cls = _touchable(entry.topic)
        instants, days = self._instants, self._days
        if instants is None or days is None or cls is None:
            return self.decode(entry)
        start = _TOUCHED_START(entry.state)
        if start is None:
            return self.decode(entry)
        at, on = start.groups()
        event = object.__new__(cls)
        object.__setattr__(
            event,
            "__dict__",
            {
                "timestamp": instants.decode(at.decode("ascii")),
                "occurred_on": days.decode(on.decode("ascii")),
                "originator_id": entry.originator_id,
                "originator_version": entry.originator_version,
            },
        )
        return event


#: How the application's stored event state starts: the library writes the event's
#: attributes in order, ``timestamp`` first, as its transcoding of instants, and then
#: the ledger event's first field, its business day, as its transcoding of days. Only
#: the characters ISO instants and days are written with (no escapes) are read so.
_TOUCHED_START = re.compile(
    rb'\{"timestamp":\{"_type_":"datetime_iso","_data_":"([-+.:0-9T]+)"\},'
    rb'"occurred_on":\{"_type_":"date_iso","_data_":"([-0-9]+)"\}'
).match
