"""The base aggregate: events are stamped by the caller and linked into a hash chain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.calendar import shanghai_date
from domain.chain import GENESIS, link_hash
from domain.events import LedgerCreated, LedgerEvent


@dataclass(frozen=True)
class Stamp:
    """Who causes an event and when the store records it (the caller's clock)."""

    actor: str
    role: str
    request_id: str
    recorded_at: datetime

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None:
            raise ValueError("recorded_at must carry a time zone")

    @property
    def today(self) -> date:
        """The business date (Asia/Shanghai) of the recording instant."""
        return shanghai_date(self.recorded_at)


class LedgerAggregate(Aggregate):
    """An aggregate whose events carry both clocks, an author and a chain link.

    Public command methods validate and then call ``_record``; the ``_on_<Event>``
    methods only assign state, because they run again on every replay. (``Institution``
    asks pure deciders instead and folds its state in ``when``.)
    """

    def __init__(self) -> None:
        self.chain_head: str = GENESIS

    @classmethod
    def _start(
        cls,
        event_class: type[LedgerCreated],
        *,
        id: UUID,
        stamp: Stamp,
        occurred_on: date,
        **fields: Any,
    ) -> Self:
        kwargs = linked_fields(
            event_class,
            originator_id=id,
            originator_version=cls.INITIAL_VERSION,
            originator_topic=get_topic(cls),
            prev_hash=GENESIS,
            stamp=stamp,
            occurred_on=occurred_on,
            fields=fields,
        )
        del kwargs["originator_id"], kwargs["originator_version"], kwargs["originator_topic"]
        return cls._create(event_class, id=id, **kwargs)

    def _record(
        self,
        event_class: type[LedgerEvent],
        *,
        stamp: Stamp,
        occurred_on: date,
        **fields: Any,
    ) -> None:
        kwargs = linked_fields(
            event_class,
            originator_id=self.id,
            originator_version=self.version + 1,
            prev_hash=self.chain_head,
            stamp=stamp,
            occurred_on=occurred_on,
            fields=fields,
        )
        del kwargs["originator_id"], kwargs["originator_version"]
        self.trigger_event(event_class, **kwargs)

    def when(self, event: LedgerEvent) -> None:
        self.chain_head = event.chain_hash
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is None:
            raise TypeError(f"{type(self).__name__} has no handler for {type(event).__name__}")
        handler(event)


def linked_fields(
    event_class: type[LedgerEvent],
    *,
    originator_id: UUID,
    originator_version: int,
    prev_hash: str,
    stamp: Stamp,
    occurred_on: date,
    fields: Mapping[str, Any],
    originator_topic: str | None = None,
) -> dict[str, Any]:
    """Every field of an event: its own, both clocks, the author and its chain link."""
    kwargs: dict[str, Any] = {
        "originator_id": originator_id,
        "originator_version": originator_version,
        **({"originator_topic": originator_topic} if originator_topic is not None else {}),
        "timestamp": stamp.recorded_at,
        "occurred_on": occurred_on,
        "actor": stamp.actor,
        "role": stamp.role,
        "request_id": stamp.request_id,
        "prev_hash": prev_hash,
        **fields,
    }
    kwargs["chain_hash"] = link_hash(get_topic(event_class), kwargs)
    return kwargs
