"""Workers' heartbeats: who runs, where, since when, what it leads, and when it last beat.

Each separately run worker (``oversight worker projections|deadlines``, and the embedded
workers of a web process) writes its row of ``worker_heartbeats`` every few seconds, on the
database's clock (``now()``), so beats from several hosts compare without trusting theirs;
the age of a beat is computed by the database too. A worker stopping cleanly removes its
row; a killed one leaves it to go stale, and rows stale for longer than
:data:`PRUNE_AFTER` are removed by the next beat of any worker.

``/readyz`` and ``/metrics`` read them (:func:`heartbeats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from projections.store import Column, Table, ViewSession, ViewStore

HEARTBEATS = Table(
    "worker_heartbeats",
    (
        Column("worker_id", "text", nullable=False),
        Column("kind", "text", nullable=False),
        Column("host", "text", nullable=False),
        Column("pid", "int", nullable=False),
        Column("started_at", "timestamp", nullable=False),
        Column("beat_at", "timestamp", nullable=False),
        #: The names of what the worker leads (projections, or ``deadlines``), as JSON.
        Column("leader_of", "json", nullable=False),
    ),
    primary_key=("worker_id",),
)

#: Rows whose last beat is older than this (seconds) are removed.
PRUNE_AFTER = 3600.0

#: The database's clock and the age of a beat, per backend.
_NOW = {"postgres": "now()", "sqlite": "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"}
_AGE = {
    "postgres": "EXTRACT(EPOCH FROM now() - beat_at)::float8",
    "sqlite": "(julianday('now') - julianday(beat_at)) * 86400.0",
}


@dataclass(frozen=True)
class Worker:
    """Who beats: an id of its own, its kind, and where it runs."""

    worker_id: str
    kind: str
    host: str
    pid: int


@dataclass(frozen=True)
class Heartbeat:
    worker_id: str
    kind: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    leader_of: tuple[str, ...]
    #: Seconds since the last beat, on the database's clock.
    age: float

    def fresh(self, stale_after: float) -> bool:
        return self.age <= stale_after


def _table(session: ViewSession) -> str:
    return session.dialect.table(HEARTBEATS.name)


def beat(store: ViewStore, worker: Worker, leader_of: Sequence[str]) -> None:
    """Record that ``worker`` is alive now and leads ``leader_of``."""
    with store.transaction() as session:
        now = _NOW[session.dialect.name]
        session.execute(
            session.dialect.sql(
                f"INSERT INTO {_table(session)} "
                "(worker_id, kind, host, pid, started_at, beat_at, leader_of) "
                f"VALUES (:worker_id, :kind, :host, :pid, {now}, {now}, :leader_of) "
                "ON CONFLICT (worker_id) DO UPDATE "
                "SET beat_at = excluded.beat_at, leader_of = excluded.leader_of"
            ),
            {
                "worker_id": worker.worker_id,
                "kind": worker.kind,
                "host": worker.host,
                "pid": worker.pid,
                "leader_of": sorted(leader_of),
            },
        )
        session.execute(
            session.dialect.sql(
                f"DELETE FROM {_table(session)} WHERE {_AGE[session.dialect.name]} > :prune"
            ),
            {"prune": PRUNE_AFTER},
        )


def forget(store: ViewStore, worker: Worker) -> None:
    """Remove the worker's row (it stops cleanly)."""
    with store.transaction() as session:
        session.execute(
            session.dialect.sql(f"DELETE FROM {_table(session)} WHERE worker_id = :worker_id"),
            {"worker_id": worker.worker_id},
        )


def heartbeats(store: ViewStore) -> list[Heartbeat]:
    """Every worker's last beat, by kind and start."""
    with store.reading() as session:
        rows = session.rows(
            f"SELECT *, {_AGE[session.dialect.name]} AS age FROM {_table(session)} "
            "ORDER BY kind, started_at, worker_id",
            table=HEARTBEATS,
        )
    return [
        Heartbeat(
            worker_id=r["worker_id"],
            kind=r["kind"],
            host=r["host"],
            pid=int(r["pid"]),
            started_at=r["started_at"],
            beat_at=r["beat_at"],
            leader_of=tuple(r["leader_of"]),
            age=max(0.0, float(r["age"])),
        )
        for r in rows
    ]
