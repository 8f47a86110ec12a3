"""``create_app``: the one factory that builds the web service, for tests and for ``make run``.

It builds nothing and starts nothing of its own: the caller (``oversight serve``, a test's
fixture, both through ``bootstrap``) builds the application and its read models and passes
them in; the service closes them when it stops. What else runs while it serves (the
embedded workers) is the caller's ``background``: entered at startup, left at shutdown, its
threads are the ones ``/readyz`` and ``/metrics`` report on.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext

import structlog
from fastapi import FastAPI, Request, Response

from api.attachments import AttachmentStore
from api.errors import install_error_handlers
from api.impact_jobs import ImpactRuns
from api.limits import BodyLimit
from api.oidc import OidcClient
from api.routes import (
    attachments,
    casework,
    docs,
    documents,
    health,
    institutions,
    metrics,
    officers,
    rulebook_impact,
    rulebooks,
    supervision,
)
from api.routes.pages import install_pages
from api.sessions import SessionSigner
from config.logging import get_logger
from config.metrics import RequestMetrics
from config.settings import Settings
from domain.application import OversightApplication
from projections import Projections

log = get_logger("api")

#: What runs beside the service while it serves, as threads (the embedded workers).
Background = Callable[[], AbstractContextManager[Sequence[threading.Thread]]]


def create_app(
    settings: Settings,
    *,
    application: OversightApplication,
    projections: Projections,
    background: Background | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("service.started", backend=settings.backend)
        with background() if background else nullcontext(()) as workers:
            app.state.workers = list(workers)
            yield
        projections.close()
        application.close()

    app = FastAPI(
        title="skills-oversight",
        version="0.1.0",
        summary="Supervision ledger for skills-evaluation institutions (技能人才评价机构监管台账)",
        lifespan=lifespan,
        docs_url=None,  # served from vendored files by api/routes/docs.py
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.oversight = application
    app.state.projections = projections
    app.state.attachments = AttachmentStore.of(settings)
    app.state.sessions = SessionSigner.of(settings)
    app.state.oidc = OidcClient.of(settings)
    app.state.workers = []
    app.state.impact_runs = ImpactRuns(application)
    app.state.requests = RequestMetrics()
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # inside the request id
    install_request_context(app)
    for router in ROUTERS:
        app.include_router(router)
    install_pages(app)
    return app


ROUTERS = (
    health.router,
    docs.router,
    institutions.router,
    casework.router,
    rulebooks.router,
    rulebook_impact.router,
    supervision.router,
    metrics.router,
    documents.router,
    attachments.router,
    officers.router,
)


def install_request_context(app: FastAPI) -> None:
    """Every request gets an id (``X-Request-ID``), bound to its log lines and counted."""

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
