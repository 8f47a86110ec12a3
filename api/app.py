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
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext

import structlog
from fastapi import FastAPI, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    app.add_middleware(RequestContext, max_bytes=settings.max_body_bytes)
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


class RequestContext:
    """ASGI middleware: every request gets an id (``X-Request-ID``), bound to its log lines
    and counted, and its body is held to the limit (:class:`api.limits.BodyLimit`, inside
    the id: a 413 has one too). One plain ASGI middleware: no task and no streams of its own
    per request, the headers read once."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.limit = BodyLimit(max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        request_id = incoming if 0 < len(incoming) <= 100 else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, method=scope["method"], path=scope["path"]
        )
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        declared = headers.get("content-length", "")
        await self.limit.serve(self.app, scope, receive, send_with_id, declared)
        elapsed = time.perf_counter() - started
        request = Request(scope)
        request.app.state.requests.record(
            scope["method"], metrics.route_of(request), status, elapsed
        )
        log.info("request", status=status, ms=round(elapsed * 1000, 1))
