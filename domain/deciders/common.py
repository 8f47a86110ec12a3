"""What every decider returns, and the refusals several of them share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.errors import Conflict, InvalidInput
from domain.events import LedgerEvent
from domain.state import InstitutionState


@dataclass(frozen=True)
class NewEvent:
    """An event a decider decided to record: its class, business date and own fields.

    The author, the recording instant and the chain link are not the decider's to know:
    the aggregate adds them when it records the event (``LedgerAggregate._record``).
    """

    type: type[LedgerEvent]
    occurred_on: date
    fields: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.type.__name__


def new(event_class: type[LedgerEvent], occurred_on: date, **fields: Any) -> NewEvent:
    return NewEvent(event_class, occurred_on, fields)


def require_reason(text: str) -> None:
    if not text.strip():
        raise InvalidInput("a reason is required", field="reason")


def require_status(state: InstitutionState, allowed: str | tuple[str, ...], action: str) -> None:
    allowed_t = (allowed,) if isinstance(allowed, str) else allowed
    if state.status not in allowed_t:
        raise Conflict(
            f"cannot {action}: the filing is {state.status} (needs {' or '.join(allowed_t)})",
            existing=str(state.id),
        )
