"""The composition root: the only place that reads the wall clock and builds things.

``build_application`` here and ``bootstrap.read_models.build_projections`` build the
application and its read models; ``bootstrap.service.web_service`` builds the web service
on them, with the embedded workers when the settings ask for them. The command line
(:mod:`bootstrap.cli`) and the tests' fixtures build through these and hand what they built
to the API (``api.app.create_app``) and the workers (``workers.*``), which build nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from psycopg import sql

from bootstrap.histories import StoredHistories
from bootstrap.passwords import Argon2Passwords
from bootstrap.schema import connect, schema_lock
from config.settings import Settings
from domain.application import Clock, OversightApplication
from domain.rulebook import Catalogue, default_catalogue


def system_clock() -> datetime:
    return datetime.now(UTC)


def ensure_schema(settings: Settings) -> None:
    """Create the PostgreSQL schema named in the settings (the library expects it)."""
    if settings.backend != "postgres" or settings.database_schema == "public":
        return
    with connect(settings) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(settings.database_schema)
            )
        )


def build_application(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    catalogue: Catalogue | None = None,
) -> OversightApplication:
    env = settings.eventsourcing_env()
    if settings.backend == "postgres":
        env["APPLICATION_RECORDER_TOPIC"] = "bootstrap.store:CommitOrderRecorder"
    with schema_lock(settings):  # replicas starting together set the schema up in turn
        ensure_schema(settings)
        app = OversightApplication(
            env,
            clock=clock,
            catalogue=catalogue or default_catalogue(),
            snapshot_interval=settings.snapshot_interval,
            default_defence_days=settings.default_defence_days,
            passwords=Argon2Passwords(),
        )
    app.impact.source = StoredHistories(app.store)  # one pass over the store
    return app
