"""Running a command once per Idempotency-Key, shared by every router."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Response

from domain.application import OversightApplication
from domain.errors import DomainError
from domain.ledger import Context


def once(
    app: OversightApplication,
    ctx: Context,
    response: Response,
    command: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The command's result; a replay of the same key returns the first result unchanged."""
    previous = app.previous_result(ctx)
    if previous is None:
        try:
            return command()
        except DomainError:  # refused, because a concurrent twin was recorded meanwhile?
            previous = app.previous_result(ctx)
            if previous is None:
                raise
    response.headers["Idempotent-Replay"] = "true"
    return previous
