"""The web service as ``oversight serve`` runs it: its read models and, in embedded mode
(``make run``), the workers as threads of the web process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from fastapi import FastAPI

from api.app import create_app
from bootstrap.coordination import coordinator
from bootstrap.read_models import build_projections
from config.logging import configure_logging
from config.settings import Settings
from domain.application import OversightApplication
from projections import Projections
from projections.deadlines import DueIndex
from projections.notices import NoticeBoard
from workers import deadlines, notices
from workers import projections as projection_worker

#: How long stopping waits for each thread to finish its pass.
JOIN_TIMEOUT = 10.0


def web_service(settings: Settings, oversight: OversightApplication) -> FastAPI:
    """The web service on ``oversight`` and its read models, with the workers running inside
    it while it serves when ``settings.embedded_workers``. Logging is configured here, once
    for the process."""
    configure_logging(settings.log_format, settings.log_level)
    projections = build_projections(settings, oversight)
    background = (
        partial(embedded_workers, settings, oversight, projections)
        if settings.embedded_workers
        else None
    )
    return create_app(
        settings, application=oversight, projections=projections, background=background
    )


@contextmanager
def embedded_workers(
    settings: Settings, oversight: OversightApplication, projections: Projections
) -> Iterator[list[threading.Thread]]:
    """The projection, deadline and notice workers as threads while the block runs; they
    are stopped and joined at its end. The projection and deadline workers lead and beat as
    separate ones would, so several web processes in embedded mode share the work as
    separate workers do."""
    stop = threading.Event()
    index = DueIndex(projections)
    threads = [
        threading.Thread(
            target=projection_worker.run,
            args=(projections, stop),
            kwargs={
                "poll_interval": 0.5,
                "coordinator": coordinator(settings, "projections", projections.store),
                "clock": oversight.ledger.clock,
            },
            name="projections",
            daemon=True,
        ),
        threading.Thread(
            target=deadlines.run,
            args=(oversight, stop),
            kwargs={
                "interval": settings.deadline_interval_seconds,
                "coordinator": coordinator(settings, "deadlines", projections.store),
                "index": index,
            },
            name="deadlines",
            daemon=True,
        ),
    ]
    board = NoticeBoard(projections.store)
    threads.append(
        threading.Thread(
            target=notices.run,
            args=(oversight, board, settings, stop, index),
            name="notices",
            daemon=True,
        )
    )
    for thread in threads:
        thread.start()
    try:
        yield threads
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=JOIN_TIMEOUT)
