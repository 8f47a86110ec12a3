"""The read models' factory: every projection on the application's store."""

from __future__ import annotations

from bootstrap.schema import schema_lock
from config.settings import Settings
from domain.application import OversightApplication
from projections import (
    DEFAULT_BATCH_SIZE,
    READ_MODELS,
    NotificationLog,
    Projection,
    Projections,
    ViewStore,
    notices,
)
from projections.base import ReadModel
from projections.deadlines import Deadlines
from projections.heartbeats import HEARTBEATS


def build_projections(
    settings: Settings,
    application: OversightApplication | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Projections:
    """Every projection on the store named by ``settings``, its tables created.

    ``application`` supplies the notification log the projections read; without it
    they can be queried but not fed (``catch_up`` and ``status`` need it).
    """
    # The deadlines read model recomputes each record's dates through the application.
    models = [Deadlines(application) if make is Deadlines else make() for make in READ_MODELS]
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"two read models share a name: {names}")
    # The notice board's tables live beside the read models' but are not rebuilt with them.
    tables = [*(t for m in models for t in m.tables), *notices.TABLES, HEARTBEATS]
    with schema_lock(settings):
        store = ViewStore.open(settings, tables, application=application)
        for model in models:
            if type(model).prepare is not ReadModel.prepare:
                with store.transaction() as session:
                    session.lock(model.name)
                    model.prepare(session)
    log = NotificationLog(application) if application is not None else None
    return Projections(store, [Projection(m, store, log, batch_size=batch_size) for m in models])
