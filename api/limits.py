"""The size of a request body: over ``OVERSIGHT_MAX_BODY_BYTES`` it is refused with 413
before anything reads or parses it.

A body that declares its size (``Content-Length``) over the limit is refused before the
application is called. A body sent in chunks, without a size, is counted as it arrives:
the chunk that crosses the limit ends the reading, nothing parses it, and the answer is
the 413, whatever the application had begun to answer. Either way nothing is recorded:
every command reads its whole body before it runs.
"""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import invalid


class BodyTooLarge(Exception):
    """The body crossed the limit while it was read (raised to whoever reads it)."""


class BodyLimit:
    """At most ``max_bytes`` of request body, else 413 problem+json: a part of the one ASGI
    middleware (:class:`api.app.RequestContext`), which reads the headers once for both."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    async def serve(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, declared: str
    ) -> None:
        """``app`` on an HTTP request whose ``Content-Length`` header is ``declared``."""
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.refuse(scope, receive, send, f"declares {int(declared)} bytes")
            return
        counted = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal counted, refused
            if refused:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > self.max_bytes:
                    refused = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # what the application answers to a body it could not read
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await app(scope, counting_receive, guarded_send)
        if refused and not started:
            await self.refuse(scope, receive, send, f"sent more than {self.max_bytes} bytes")

    async def refuse(self, scope: Scope, receive: Receive, send: Send, what: str) -> None:
        reason = f"the body {what}; at most {self.max_bytes} are accepted"
        response = invalid(f"body: {reason}", [{"field": "body", "reason": reason}], status=413)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
