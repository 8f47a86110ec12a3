"""Every error leaves as ``application/problem+json`` (RFC 9457), naming field and reason.

A store that cannot serve right now (connection lost, no pooled connection in time, the
server shutting down, a read-only transaction, a full disk, a lock not granted in time)
answers 503 with ``Retry-After``. The command may be sent again with the same
``Idempotency-Key``: if it was recorded after all (its acknowledgement lost with the
connection), the replay answers with its result. :func:`store_unavailable` decides, for
PostgreSQL and SQLite alike, from the driver's error class, SQLSTATE or SQLite result code;
any other store error remains a fault (500).

A refused input answers 422 naming the field: for a body that is not JSON at all, the
field is ``body`` and the detail says where the parser stopped. The OpenAPI declares
these answers for every operation (:func:`declare_problems`), so a client (and the fuzz
tests) can hold the service to them.
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
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.fields import ALLOWED_CONTROLS, first_control
from config.logging import get_logger
from domain.draft import DraftError
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
    413: "Content too large",
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


class FieldError(BaseModel):
    field: str = Field(min_length=1, description="the field, dotted: scope.0.levels")
    reason: str


class Problem(BaseModel):
    """An error (RFC 9457), as every refusal answers with ``application/problem+json``."""

    type: str = Field(examples=["/problems/invalid-input"])
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="the field refused, if one was")
    errors: list[FieldError] | None = None
    articles: list[str] | None = Field(default=None, description="the rules that refuse it")
    existing: str | None = Field(default=None, description="the record it conflicts with")
    retry_after: int | None = Field(default=None, description="seconds; also a header")


class InvalidProblem(Problem):
    """A refused input: names the field and, in ``errors``, every field and its reason."""

    field: str = Field(min_length=1, examples=["scope.0.levels"])
    errors: list[FieldError] = Field(min_length=1)


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


def invalid(detail: str, errors: list[dict[str, str]], status: int = 422) -> JSONResponse:
    """A refused input: the first field in ``field``, each field and reason in ``errors``."""
    kind = "invalid-input" if status == 422 else "body-too-large"
    return problem(status, kind, detail, field=errors[0]["field"], errors=errors)


def _field_of(error: dict[str, Any]) -> str:
    """The dotted field of a validation error; ``body`` for a body that is not JSON."""
    loc = tuple(error["loc"])
    if error["type"] == "json_invalid":
        return "body"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def reason_of(error: dict[str, Any]) -> str:
    """A validation error worded for people; the position of a JSON syntax error and of
    a control character is given, since neither is visible in the value."""
    ctx = error.get("ctx") or {}
    if error["type"] == "json_invalid":
        position = error["loc"][-1] if len(error["loc"]) > 1 else None
        where = f" at character {position}" if isinstance(position, int) else ""
        return f"the body is not valid JSON: {ctx.get('error', 'malformed')}{where}"
    value = error.get("input")
    if error["type"] == "string_pattern_mismatch" and isinstance(value, str):
        allowed = ALLOWED_CONTROLS.get(str(ctx.get("pattern")))
        if allowed is not None:
            found = first_control(value, allowed)
            assert found is not None  # the pattern refused one
            at, char = found
            lines = "; only tab and line breaks are allowed" if allowed else ""
            return f"holds the control character U+{ord(char):04X} at {at}{lines}"
    return str(error["msg"]).removeprefix("Value error, ")


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

    @app.exception_handler(DraftError)
    async def draft_error(_: Request, exc: DraftError) -> JSONResponse:
        errors = [
            {"field": p.field or "draft", "reason": p.reason, "file": p.file, "line": p.line}
            for p in exc.problems
        ]
        return problem(
            422,
            "invalid-input",
            str(exc),
            field=errors[0]["field"],
            errors=errors,
            line=exc.problems[0].line,
            file=exc.problems[0].file,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_of(e), "reason": reason_of(e)} for e in exc.errors()]
        errors = errors or [{"field": "body", "reason": "invalid request"}]
        return invalid(f"{errors[0]['field']}: {errors[0]['reason']}", errors)

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return problem(401, "unauthenticated", str(exc), field="Authorization")

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
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # the body could not be read as JSON at all, e.g. it is not UTF-8
            reason = f"the body is not valid JSON: {exc.__cause__}"
            return invalid(f"body: {reason}", [{"field": "body", "reason": reason}])
        return problem(exc.status_code, "http", str(exc.detail))

    declare_problems(app)


# --- the OpenAPI: which problems each operation may answer ------------------------------------

#: Every operation of the API may answer these, with a :class:`Problem`.
API_PROBLEMS: dict[int, tuple[type[Problem], str]] = {
    404: (Problem, "A record it names does not exist, or is outside the caller's scope"),
    409: (Problem, "It conflicts with the record as it stands (or If-Match is stale)"),
    422: (InvalidProblem, "Refused input or a rule refusing it; names the field"),
    503: (Problem, "The store cannot serve now; retry after Retry-After seconds"),
}
#: ... those that need a caller these, and those with a body 413.
SIGNED_IN_PROBLEMS: dict[int, tuple[type[Problem], str]] = {
    401: (Problem, "No token, or one unknown, revoked or expired"),
    403: (Problem, "The token's role or scope does not allow it"),
}
BODY_PROBLEMS: dict[int, tuple[type[Problem], str]] = {
    413: (InvalidProblem, "The body is over the service's limit (OVERSIGHT_MAX_BODY_BYTES)"),
}


def _problem_response(model: type[Problem], description: str, status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }
    if status == 503:
        response["headers"] = {
            "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}}
        }
    return response


def _problems_of(operation: dict[str, Any]) -> dict[int, tuple[type[Problem], str]]:
    parameters = {(p["in"], p["name"].lower()) for p in operation.get("parameters", [])}
    problems = dict(API_PROBLEMS)
    if ("header", "authorization") in parameters:
        problems.update(SIGNED_IN_PROBLEMS)
    if "requestBody" in operation:
        problems.update(BODY_PROBLEMS)
    return dict(sorted(problems.items()))


def declare_problems(app: FastAPI) -> None:
    """Declare in the OpenAPI the problems each ``/api/`` operation may answer (in place
    of FastAPI's default 422, which is not the body this service sends)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for model in (Problem, InvalidProblem):
            definitions = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definitions.pop("$defs", {}))
            components[model.__name__] = definitions
        for path, operations in schema["paths"].items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, (model, description) in _problems_of(operation).items():
                    responses[str(status)] = _problem_response(model, description, status)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
