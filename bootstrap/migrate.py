"""``oversight migrate``: set up the store's and every read model's tables, then exit.

Idempotent (everything is ``CREATE … IF NOT EXISTS``; an existing table, its rows and the
read models' positions are left as they are) and safe to run from every replica at once:
the setup runs under the schema's advisory lock (:mod:`bootstrap.schema`). A deployment
runs it before starting the services (the compose file's and the systemd units' first step);
the services would create the same tables themselves, under the same lock.
"""

from __future__ import annotations

from contextlib import closing

from bootstrap import build_application
from bootstrap.read_models import build_projections
from config.settings import Settings


def migrate(settings: Settings) -> list[str]:
    """Create whatever is missing; the names of the read models now in place."""
    with (
        closing(build_application(settings)) as app,
        closing(build_projections(settings, app)) as projections,
    ):
        return list(projections)


def command(settings: Settings) -> int:
    names = migrate(settings)
    where = (
        f"schema {settings.database_schema}" if settings.backend == "postgres" else "SQLite file"
    )
    print(f"ok  {where}: the event store and {len(names)} read models ({', '.join(names)})")
    return 0
