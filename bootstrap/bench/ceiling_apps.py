"""The smallest HTTP servers of this stack, for ``compare ceiling``: what share of raw
one-row transactions any HTTP command can reach on this machine.

    python -m bootstrap.bench.ceiling_apps bare|bare-insert|sync|async

Each serves on ``OVERSIGHT_PORT`` under uvicorn with the loop and HTTP parser of
``oversight serve`` (uvloop, httptools), answering a POST to
``/api/v1/institutions/{iid}/{kind}`` (the command load's paths and bodies) with 201:

- ``bare``: a plain ASGI app that reads the body; no framework, no database;
- ``bare-insert``: the same, inserting the body as one row from a
  ``psycopg_pool.AsyncConnectionPool`` (no framework, no model);
- ``sync``: FastAPI, one pydantic body model, a ``def`` endpoint (run in the thread pool)
  inserting one row with psycopg from a ``psycopg_pool.ConnectionPool``;
- ``async``: the same with ``async def`` and an ``AsyncConnectionPool``.

The row goes into the raw baseline's table (``raw_events`` of ``OVERSIGHT_DATABASE_SCHEMA``,
made by ``load.raw_table``): the same insert, one originator per process, its versions
counted up.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from pydantic import BaseModel

from bootstrap.bench import load
from config.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

APPS = {
    "bare": "bare ASGI 201",
    "bare-insert": "bare ASGI + async pool insert",
    "sync": "FastAPI + pool insert (def)",
    "async": "FastAPI + async pool insert (async def)",
}
PATH = "/api/v1/institutions/{iid}/{kind}"
#: The pool's size: the server's (``pool_size`` 5 with ``pool_max_overflow`` 10).
MIN_SIZE, MAX_SIZE = 5, 15
ANSWER = b'{"status":"recorded"}'


class Command(BaseModel):
    """The command load's finding or batch (each kind's fields optional)."""

    rule_id: str | None = None
    severity: str | None = None
    occurred_on: str | None = None
    source: str | None = None
    reference: str | None = None
    facts: str | None = None
    batch_id: str | None = None
    occupation: str | None = None
    level: int | None = None
    evaluated_on: str | None = None
    site: str | None = None
    candidates: int | None = None
    unqualified_candidates: int | None = None
    passed: int | None = None
    paper_set_id: str | None = None


def bare_app(url: str, schema: str, *, insert: bool) -> Callable[[Scope, Receive, Send], Any]:
    """A plain ASGI app: 201 with a small JSON body to any request once its body is read;
    with ``insert``, after inserting the body as one row from an ``AsyncConnectionPool``."""
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(url, open=False, min_size=MIN_SIZE, max_size=MAX_SIZE)
    statement = load.raw_insert(schema)
    originator = uuid.uuid4()
    versions = itertools.count(1)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"21")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"]
                if kind == "lifespan.startup":
                    if insert:
                        await pool.open(wait=True)
                    await send({"type": "lifespan.startup.complete"})
                elif kind == "lifespan.shutdown":
                    if insert:
                        await pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if insert:
            row = (originator, next(versions), scope["path"].rsplit("/", 1)[-1], body)
            async with pool.connection() as conn:
                await conn.execute(statement, row)
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": ANSWER})

    return app


def fastapi_app(url: str, schema: str, *, asynchronous: bool) -> Any:
    """FastAPI with one body model and one endpoint inserting one row per request."""
    from fastapi import FastAPI
    from psycopg_pool import AsyncConnectionPool, ConnectionPool

    insert = load.raw_insert(schema)
    originator = uuid.uuid4()
    versions = itertools.count(1)

    def row(kind: str, command: Command) -> tuple[Any, ...]:
        return (originator, next(versions), kind, command.model_dump_json().encode())

    if asynchronous:
        apool = AsyncConnectionPool(url, open=False, min_size=MIN_SIZE, max_size=MAX_SIZE)

        @asynccontextmanager
        async def alifespan(app: FastAPI) -> AsyncIterator[None]:
            await apool.open(wait=True)
            yield
            await apool.close()

        app = FastAPI(lifespan=alifespan)

        @app.post(PATH, status_code=201)
        async def arecord(iid: uuid.UUID, kind: str, command: Command) -> dict[str, str]:
            async with apool.connection() as conn:
                await conn.execute(insert, row(kind, command))
            return {"status": "recorded"}

        return app

    pool = ConnectionPool(url, open=False, min_size=MIN_SIZE, max_size=MAX_SIZE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.open(wait=True)
        yield
        pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post(PATH, status_code=201)
    def record(iid: uuid.UUID, kind: str, command: Command) -> dict[str, str]:
        with pool.connection() as conn:
            conn.execute(insert, row(kind, command))
        return {"status": "recorded"}

    return app


def start(settings: Settings, port: int, name: str) -> subprocess.Popen[bytes]:
    """The app ``name`` served in a process of its own, as ``oversight serve`` is."""
    from bootstrap.bench.run import process_env

    return subprocess.Popen(
        [sys.executable, "-m", "bootstrap.bench.ceiling_apps", name],
        env=process_env(settings, port),
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    import uvicorn

    name = sys.argv[1]
    url, schema = os.environ["OVERSIGHT_DATABASE_URL"], os.environ["OVERSIGHT_DATABASE_SCHEMA"]
    if name in ("bare", "bare-insert"):
        app = bare_app(url, schema, insert=name == "bare-insert")
    else:
        app = fastapi_app(url, schema, asynchronous=name == "async")
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["OVERSIGHT_PORT"]),
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
