"""Every error leaves as ``application/problem+json`` (RFC 9457), naming field and reason."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
}


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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http", str(exc.detail))
