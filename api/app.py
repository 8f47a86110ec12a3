"""``create_app``: the one factory that builds the web service, for tests and for ``make run``."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response

from api.bootstrap import build_application, system_clock
from api.errors import install_error_handlers
from api.logging import configure_logging, get_logger
from api.routes import casework, documents, health, institutions, metrics, rulebooks, supervision
from api.routes.pages import install_pages
from api.settings import Settings
from domain.application import Clock, OversightApplication
from projections import Projections, build_projections

log = get_logger("api")


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = system_clock,
    application: OversightApplication | None = None,
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_format, settings.log_level)
    oversight = application or build_application(settings, clock=clock)
    projections = build_projections(settings, oversight)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("service.started", backend=settings.backend)
        stop = threading.Event()
        workers = start_embedded_workers(settings, oversight, projections, stop)
        app.state.workers = workers
        yield
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
        projections.close()
        oversight.close()

    app = FastAPI(
        title="skills-oversight",
        version="0.1.0",
        summary="Supervision ledger for skills-evaluation institutions (技能人才评价机构监管台账)",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.oversight = oversight
    app.state.projections = projections
    app.state.workers = []
    app.state.requests = metrics.RequestCounter()
    install_error_handlers(app)

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if 0 < len(incoming) <= 100 else uuid.uuid4().hex
        request.state.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, method=request.method, path=request.url.path
        )
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        elapsed = time.perf_counter() - started
        request.app.state.requests.record(
            request.method, metrics.route_of(request), response.status_code, elapsed
        )
        log.info("request", status=response.status_code, ms=round(elapsed * 1000, 1))
        return response

    app.include_router(health.router)
    app.include_router(institutions.router)
    app.include_router(casework.router)
    app.include_router(rulebooks.router)
    app.include_router(supervision.router)
    app.include_router(metrics.router)
    app.include_router(documents.router)
    install_pages(app)
    return app


def start_embedded_workers(
    settings: Settings,
    oversight: OversightApplication,
    projections: Projections,
    stop: threading.Event,
) -> list[threading.Thread]:
    """In embedded mode (``make run``) the workers run as threads of the web process."""
    if not settings.embedded_workers:
        return []
    from workers import deadlines
    from workers import projections as projection_worker

    threads = [
        threading.Thread(
            target=projection_worker.run,
            args=(settings, stop),
            kwargs={"projections": projections, "poll_interval": 0.5},
            name="projections",
            daemon=True,
        ),
        threading.Thread(
            target=deadlines.run, args=(oversight, stop), name="deadlines", daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    return threads
