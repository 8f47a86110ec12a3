"""The route of a command endpoint: the whole command in one hand-off to the thread pool.

FastAPI answers a plain (sync) command endpoint in three hops through the thread pool (the
bearer token's dependency, the endpoint, the validation of what it returns against its
response model) after solving its dependencies one by one on the event loop. A route of
:class:`CommandRoute` whose endpoint takes only path parameters, at most one body, the
application (``AppDep``) and the command context (``OnceDep``) is answered by
:class:`CommandHandler` instead:

- on the event loop, the body is read and parsed and the path parameters and the body are
  validated with the route's own fields, as FastAPI does (a body that is not JSON is refused
  first, with the same error);
- then in one hop: the bearer token (401 before any other refusal), the context's headers,
  the endpoint, and the response body encoded once from the model the endpoint returns;
  the refusals are the same, in the same order, as FastAPI's.

The OpenAPI document is FastAPI's, from the same signature; every other endpoint (a query
parameter, another dependency, an ``async`` one) is answered by FastAPI itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.message
import inspect
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import HTTPException, Response
from fastapi import routing as fastapi_routing
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from starlette.requests import Request

from api.commands import Once, get_once
from api.deps import app_dependency, command_context, get_app, get_context, get_principal

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

#: The threads that run commands: as many as the framework's thread pool has (anyio's 40).
COMMAND_THREADS = 40
_threads: list[ThreadPoolExecutor] = []


def command_threads() -> ThreadPoolExecutor:
    """The pool the commands run in (made on first use, on the event loop's thread).

    A pool of its own rather than the framework's: handing a call to it and back costs
    about half as much (a C queue and the loop's own future, no capacity limiter or
    cancel scope). A request cancelled while its command waits for a thread drops the
    command; one cancelled while it runs lets it finish (it records all or nothing).
    """
    if not _threads:
        _threads.append(ThreadPoolExecutor(COMMAND_THREADS, thread_name_prefix="command"))
    return _threads[0]


class CommandRoute(APIRoute):
    """An API route whose command endpoint, when it has the shape above, is answered by a
    :class:`CommandHandler`; any other endpoint by FastAPI."""

    def get_route_handler(self) -> Handler:
        route = _effective(self)
        framework = super().get_route_handler()
        handler = CommandHandler.of(route, framework)
        return handler.handle if handler is not None else framework


def _effective(route: APIRoute) -> Any:
    """The route as included in the application (its path, status, dependencies), which
    FastAPI passes to ``get_route_handler`` by a context variable while it includes it."""
    current = getattr(fastapi_routing, "_effective_route_context_var", None)
    context = current.get() if current is not None else None
    return context if context is not None and context.original_route is route else route


def _named(dependant: Dependant, call: Callable[..., Any]) -> Dependant | None:
    """The dependency ``call`` among ``dependant``'s, at any depth."""
    for sub in dependant.dependencies:
        if sub.call is call:
            return sub
        found = _named(sub, call)
        if found is not None:
            return found
    return None


class CommandHandler:
    """One command route's request handler (see the module)."""

    def __init__(self, route: Any, context: Dependant, framework: Handler) -> None:
        dependant: Dependant = route.dependant
        #: FastAPI's own handler, for a request while a dependency is overridden (tests).
        self.framework = framework
        self.overrides = route.dependency_overrides_provider
        assert dependant.call is not None
        self.endpoint: Callable[..., Any] = dependant.call
        self.path_fields = dependant.path_params
        self.body_field = route.body_field
        self.embed_body = bool(route._embed_body_fields)
        strict = route.strict_content_type
        self.strict_content_type = bool(
            strict.value if isinstance(strict, DefaultPlaceholder) else strict
        )
        self.context_headers = context.header_params
        self.names = {sub.call: str(sub.name) for sub in dependant.dependencies}
        self.status_code: int = route.status_code or 200
        self.response_field = route.response_field
        model = route.response_model
        self.response_model: type[BaseModel] | None = (
            model if isinstance(model, type) and issubclass(model, BaseModel) else None
        )

    @classmethod
    def of(cls, route: Any, framework: Handler) -> CommandHandler | None:
        """The handler of ``route``, or None when its endpoint is not of the shape above."""
        dependant: Dependant | None = getattr(route, "dependant", None)
        if dependant is None or dependant.call is None:
            return None
        if inspect.iscoroutinefunction(dependant.call) or inspect.isgeneratorfunction(
            dependant.call
        ):
            return None
        if dependant.query_params or dependant.header_params or dependant.cookie_params:
            return None
        if len(dependant.body_params) > 1 or {s.call for s in dependant.dependencies} != {
            app_dependency,
            get_once,
        }:
            return None
        if any(
            getattr(dependant, name)
            for name in (
                "request_param_name",
                "websocket_param_name",
                "http_connection_param_name",
                "response_param_name",
                "background_tasks_param_name",
                "security_scopes_param_name",
            )
        ):
            return None
        shaped = (
            route.response_model_include,
            route.response_model_exclude,
            route.response_model_exclude_unset,
            route.response_model_exclude_defaults,
            route.response_model_exclude_none,
            not route.response_model_by_alias,
        )
        if any(shaped) or route.status_code in (204, 304):  # FastAPI answers those bodiless
            return None
        body = route.body_field
        if body is not None and type(body.field_info).__name__ in ("Form", "File"):
            return None
        context = _named(dependant, get_context)
        if context is None:
            return None
        return cls(route, context, framework)

    async def handle(self, request: Request) -> Response:
        if getattr(self.overrides, "dependency_overrides", None):
            return await self.framework(request)
        raw, body = await self.read(request)
        values, errors = request_params_to_args(self.path_fields, request.path_params)
        if self.body_field is not None:
            body_values, body_errors = await request_body_to_args(
                [self.body_field], body, self.embed_body
            )
            values.update(body_values)
            errors += body_errors
        context = contextvars.copy_context()  # the request's log context, in the thread
        return await asyncio.get_running_loop().run_in_executor(
            command_threads(), context.run, self.run, request, raw, body, values, errors
        )

    async def read(self, request: Request) -> tuple[bytes, Any]:
        """The body's bytes, and the body as FastAPI reads it: JSON when the content type
        says so, else the bytes; refused as FastAPI refuses it when it cannot be read."""
        try:
            raw = await request.body()
            return raw, self.parsed(request, raw)
        except json.JSONDecodeError as e:
            error = {
                "type": "json_invalid",
                "loc": ("body", e.pos),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": e.msg},
            }
            raise RequestValidationError([error], body=e.doc) from e
        except Exception as e:  # e.g. not UTF-8; FastAPI's answer, with the cause
            detail = "There was an error parsing the body"
            raise HTTPException(status_code=400, detail=detail) from e

    def parsed(self, request: Request, raw: bytes) -> Any:
        if not raw:
            return PydanticUndefined
        kind = request.headers.get("content-type")
        if kind is None:
            is_json = not self.strict_content_type
        elif kind == "application/json":
            is_json = True
        else:
            message = email.message.Message()
            message["content-type"] = kind
            subtype = message.get_content_subtype()
            is_json = message.get_content_maintype() == "application" and (
                subtype == "json" or subtype.endswith("+json")
            )
        return json.loads(raw) if is_json else raw

    def run(
        self, request: Request, raw: bytes, body: Any, values: dict[str, Any], errors: list[Any]
    ) -> Response:
        """The token, the context, the command and its response, in that order (in a
        thread of the pool)."""
        app = get_app(request)
        principal = get_principal(request, app, request.headers.get("authorization"))
        headers, header_errors = request_params_to_args(self.context_headers, request.headers)
        if header_errors:
            raise RequestValidationError(header_errors + errors, body=body)
        ctx = command_context(request, principal, raw, **headers)
        if errors:
            raise RequestValidationError(errors, body=body)
        set_by_command = Response()
        del set_by_command.headers["content-length"]
        set_by_command.status_code = None  # type: ignore[assignment]
        once = Once(app, ctx, set_by_command)
        values[self.names[app_dependency]] = app
        values[self.names[get_once]] = once
        result = self.endpoint(**values)
        if isinstance(result, Response):
            response = result
        else:
            response = Response(
                self.encoded(result),
                status_code=set_by_command.status_code or self.status_code,
                media_type="application/json",
            )
        response.headers.raw.extend(set_by_command.headers.raw)
        return response

    def encoded(self, result: Any) -> bytes:
        """The response body: the returned model encoded as it stands when it is the route's
        response model, else validated against that model first, as FastAPI does."""
        if self.response_model is not None and type(result) is self.response_model:
            return result.model_dump_json(by_alias=True).encode()
        if self.response_field is None:
            return json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode()
        value, errors = self.response_field.validate(result, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=result)
        encoded: bytes = self.response_field.serialize_json(value, by_alias=True)
        return encoded
