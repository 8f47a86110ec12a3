"""Commands over HTTP, for every router: once per Idempotency-Key, and the record they left.

A command handler parses its body, makes one call through ``Once`` and answers with a
response model::

    def appoint_supervisor(sid: UUID, body: Dated, app: AppDep, once: OnceDep) -> SupervisorOut:
        result = once(app.supervision.appoint_supervisor, sid, on(app, body))
        return SUPERVISOR.left_by(once, result)

``Once`` runs the command unless the request's Idempotency-Key was seen with the same body;
then it answers the first result and marks the response ``Idempotent-Replay: true``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar
from uuid import UUID

from fastapi import Depends, Response

from api.deps import AppDep, ContextDep
from api.schemas.casework import CommandResult, SessionRequest
from api.schemas.institutions import Dated
from config.metrics import COMMAND_SECONDS
from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import DomainError
from domain.ledger import AlreadyRecorded, Context, Receipt
from domain.records import Records

P = ParamSpec("P")
R = TypeVar("R")


class Once:
    """The command context of one request; runs its command at most once per key."""

    def __init__(self, app: OversightApplication, ctx: Context, response: Response) -> None:
        self.app = app
        self.ctx = ctx
        self.response = response
        #: The result of the first request with this key, when this one repeats it.
        self.replayed: dict[str, Any] | None = None

    @property
    def principal(self) -> Principal:
        return self.ctx.principal

    @property
    def replayed_version(self) -> int | None:
        return int(self.replayed["version"]) if self.replayed is not None else None

    def __call__(
        self,
        command: Callable[Concatenate[Context, P], R],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R | dict[str, Any]:
        """``command(ctx, *args, **kwargs)``, or the stored result of its first run.

        The command runs first, with no read of the key's record before it: a repeat of a
        request that was recorded is refused at its save, where the key's record collides
        with the stored one (:class:`AlreadyRecorded`), or earlier by the rules, because the
        first run changed the record; either way the stored result is the answer (and a
        different request under the same key is refused). A concurrent twin of the request
        is answered the same way. The record is read only when the command saved nothing
        (it changes nothing now) or was refused. A replay is not timed as a command.
        """
        key = self.ctx.idempotency_key
        receipt = Receipt()
        ctx = replace(self.ctx, receipt=receipt) if key else self.ctx
        previous: dict[str, Any] | None = None
        started = time.perf_counter()
        try:
            result = command(ctx, *args, **kwargs)
        except AlreadyRecorded as twin:
            previous = twin.result
        except DomainError:
            previous = self.app.ledger.previous_result(self.ctx)
            if previous is None:
                raise
        else:
            if not key or receipt.saved:
                return result
            previous = self.app.ledger.previous_result(self.ctx)
            if previous is None:
                return result
        finally:
            if previous is None:  # a command run, not a replay
                COMMAND_SECONDS.labels(getattr(command, "__name__", "command")).observe(
                    time.perf_counter() - started
                )
        self.replayed = previous
        self.response.headers["Idempotent-Replay"] = "true"
        return previous


async def get_once(app: AppDep, ctx: ContextDep, response: Response) -> Once:
    # ``async``: built on the event loop, not by way of the thread pool.
    return Once(app, ctx, response)


OnceDep = Annotated[Once, Depends(get_once)]


def on(app: OversightApplication, body: Dated) -> date:
    """The business date a body names, by default the day it is recorded."""
    return body.occurred_on or app.ledger.today()


def etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


# --- the record a command answers with ------------------------------------------------------


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)
Out = TypeVar("Out")


@dataclass(frozen=True)
class RecordView(Generic[V, Out]):
    """How one kind of record answers: read (authorised) now or at a version, with its ETag."""

    #: The field of a command's result that names the record, e.g. ``"supervisor_id"``.
    key: str
    #: Where the records of this kind live, for the ``Location`` of a new one.
    location: str
    read: Callable[[Records, Principal, UUID, int | None], V]
    out: Callable[[OversightApplication, V], Out]

    def of(self, app: OversightApplication, response: Response, record: V) -> Out:
        etag(response, record.version)
        return self.out(app, record)

    def current(
        self,
        app: OversightApplication,
        principal: Principal,
        response: Response,
        record_id: UUID,
        version: int | None = None,
    ) -> Out:
        return self.of(app, response, self.read(app.records, principal, record_id, version))

    def left_by(self, once: Once, result: dict[str, Any]) -> Out:
        """The record at the version the command (or the one replayed) left it."""
        record_id, version = UUID(result[self.key]), int(result["version"])
        return self.current(once.app, once.principal, once.response, record_id, version)

    def created(self, once: Once, result: dict[str, Any]) -> Out:
        """A new record, with its ``Location``."""
        once.response.headers["Location"] = f"{self.location}/{result[self.key]}"
        return self.left_by(once, result)


# --- on-site steps of an evaluation session (hunan-2023/17.3) -------------------------------


@dataclass(frozen=True)
class SessionStep:
    """``POST …/{owner}/sessions/{session_id}/<step>``: the owner (an institution or an
    assignment), the session, the business date, the body and the command context."""

    owner: UUID
    session_id: str
    on: date
    body: SessionRequest
    once: Once

    def run(
        self,
        command: Callable[Concatenate[Context, UUID, str, date, P], dict[str, Any]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> CommandResult:
        return CommandResult.of(
            self.once(command, self.owner, self.session_id, self.on, *args, **kwargs)
        )
