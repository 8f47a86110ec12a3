"""Every error leaves as ``application/problem+json`` (RFC 9457), naming field and reason.

A store that cannot serve right now (connection lost, no pooled connection in time, the
server shutting down, a read-only transaction, a full disk, a lock not granted in time)
answers 503 with ``Retry-After``. The command may be sent again with the same
``Idempotency-Key``: if it was recorded after all (its acknowledgement lost with the
connection), the replay answers with its result. :func:`store_unavailable` decides, for
PostgreSQL and SQLite alike, from the driver's error class, SQLSTATE or SQLite result code;
any other store error remains a fault (500).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from config.logging import get_logger
from domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleRefusal,
    VersionConflict,
)

PROBLEM = "application/problem+json"

STATUS: list[tuple[type[DomainError], int, str]] = [
    (VersionConflict, 409, "version-conflict"),
    (Conflict, 409, "conflict"),
    (NotFound, 404, "not-found"),
    (Forbidden, 403, "forbidden"),
    (RuleRefusal, 422, "rule-refusal"),
    (InvalidInput, 422, "invalid-input"),
    (DomainError, 422, "refused"),
]

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable content",
    500: "Internal error",
    503: "Service unavailable",
}

log = get_logger("api.errors")


@dataclass(frozen=True)
class Unavailable:
    """Why the store cannot serve now, and when to try again."""

    kind: str
    detail: str
    retry_after: int


READ_ONLY = Unavailable("store-read-only", "the store accepts no writes at the moment", 30)
FULL = Unavailable("store-full", "the store has no space left to record this", 60)
BUSY = Unavailable("store-busy", "the store is busy; nothing was recorded", 1)
DOWN = Unavailable(
    "store-unavailable",
    "the store does not answer; send the command again with the same Idempotency-Key",
    5,
)

#: PostgreSQL SQLSTATEs (or their two-character classes) that mean "not now".
SQLSTATES: dict[str, Unavailable] = {
    "25006": READ_ONLY,  # read_only_sql_transaction
    "53100": FULL,  # disk_full
    "53": DOWN,  # insufficient resources: out of memory, too many connections
    "08": DOWN,  # connection exception
    "57P01": DOWN,  # admin_shutdown
    "57P02": DOWN,  # crash_shutdown
    "57P03": DOWN,  # cannot_connect_now
    "58030": DOWN,  # io_error
    "25P03": DOWN,  # idle_in_transaction_session_timeout: the server closed the session
    "55P03": BUSY,  # lock_not_available (lock_timeout)
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
    "57014": BUSY,  # query_canceled (statement_timeout)
}

#: SQLite primary result codes that mean "not now".
SQLITE_CODES: dict[int, Unavailable] = {
    sqlite3.SQLITE_BUSY: BUSY,
    sqlite3.SQLITE_LOCKED: BUSY,
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_IOERR: DOWN,
    sqlite3.SQLITE_FULL: FULL,
    sqlite3.SQLITE_CANTOPEN: DOWN,
}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it was raised from, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )


def _driver_verdict(exc: BaseException) -> Unavailable | None:
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return SQLITE_CODES.get(code & 0xFF) if isinstance(code, int) else None
    if isinstance(exc, psycopg.Error):
        if exc.sqlstate is None:  # the client's error: the connection broke, or no pooled one
            return (
                DOWN if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) else None
            )
        return SQLSTATES.get(exc.sqlstate) or SQLSTATES.get(exc.sqlstate[:2])
    return None


def store_unavailable(exc: BaseException) -> Unavailable | None:
    """Whether ``exc`` says the store cannot serve now (503) rather than a fault (500)."""
    chain = list(_causes(exc))
    drivers = [e for e in chain if isinstance(e, sqlite3.Error | psycopg.Error)]
    if drivers:
        return _driver_verdict(drivers[0])  # what the driver raised for this failure
    if any(isinstance(e, StoreOperationalError | StoreInterfaceError) for e in chain):
        return DOWN  # raised by the store library itself, e.g. its pool timed out
    return None


class Unauthenticated(Exception):
    pass


def problem(status: int, kind: str, detail: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{kind}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v not in (None, (), [])})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def unavailable(reason: Unavailable) -> JSONResponse:
    response = problem(503, reason.kind, reason.detail, retry_after=reason.retry_after)
    response.headers["Retry-After"] = str(reason.retry_after)
    return response


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        status, kind = next((s, k) for cls, s, k in STATUS if isinstance(exc, cls))
        return problem(
            status,
            kind,
            exc.detail,
            field=exc.field,
            articles=list(exc.articles),
            existing=getattr(exc, "existing", None),
            errors=[{"field": exc.field, "reason": exc.detail}] if exc.field else None,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_of(tuple(e["loc"])), "reason": e["msg"]} for e in exc.errors()]
        first = errors[0] if errors else {"field": "", "reason": "invalid request"}
        return problem(
            422,
            "invalid-input",
            f"{first['field']}: {first['reason']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return problem(401, "unauthenticated", str(exc))

    @app.exception_handler(PersistenceError)
    @app.exception_handler(psycopg.Error)
    @app.exception_handler(sqlite3.Error)
    async def store_error(_: Request, exc: Exception) -> JSONResponse:
        reason = store_unavailable(exc)
        if reason is None:
            raise exc  # a fault, not an outage: the server's 500 and its traceback
        causes = list(_causes(exc))
        log.warning(
            "store.unavailable",
            problem=reason.kind,
            error=[type(e).__name__ for e in causes],
            sqlstate=next((e.sqlstate for e in causes if isinstance(e, psycopg.Error)), None),
        )
        return unavailable(reason)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http", str(exc.detail))
