"""The workers' coordination as the settings ask for it: advisory-lock leadership on
PostgreSQL (a connection of its own per worker), the sole process on SQLite; heartbeats
written to the read models' store."""

from __future__ import annotations

from bootstrap.schema import connect, schema_lock
from config.settings import Settings
from domain.application import OversightApplication
from projections.heartbeats import HEARTBEATS
from projections.store import ViewStore
from workers.coordination import (
    AdvisoryLeadership,
    Coordinator,
    Leadership,
    SoleProcess,
    this_worker,
)


def leadership(settings: Settings) -> Leadership:
    if settings.backend == "postgres":
        return AdvisoryLeadership(lambda: connect(settings), settings.database_schema)
    return SoleProcess()


def coordinator(settings: Settings, kind: str, store: ViewStore) -> Coordinator:
    return Coordinator(
        this_worker(kind), leadership(settings), store, interval=settings.worker_heartbeat_seconds
    )


def heartbeat_store(settings: Settings, application: OversightApplication) -> ViewStore:
    """The read models' store with only the heartbeats' table, for the deadline watcher
    (one connection: a beat every few seconds)."""
    one = settings.model_copy(update={"pool_size": 1, "pool_max_overflow": 1})
    with schema_lock(settings):
        return ViewStore.open(one, [HEARTBEATS], application=application)
