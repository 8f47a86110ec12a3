"""Hash chain over an aggregate's events: each hash covers the event and its predecessor."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from domain.recent import Recent

T = TypeVar("T")

GENESIS = "0" * 64
HASH_FIELDS_EXCLUDED = frozenset({"chain_hash"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, set | frozenset) else items
    return value


def canonical(topic: str, fields: Mapping[str, Any]) -> bytes:
    """Stable bytes for an event's content, the same before and after storage."""
    body = {k: v for k, v in fields.items() if k not in HASH_FIELDS_EXCLUDED}
    return json.dumps(
        {"topic": topic, "fields": _plain(body)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def link_hash(topic: str, fields: Mapping[str, Any]) -> str:
    """The chain hash of an event whose ``fields`` include its ``prev_hash``."""
    return hashlib.sha256(canonical(topic, fields)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    position: int  # the aggregate version at which the chain first fails
    reason: str


def link_error(previous: str, topic: str, fields: Mapping[str, Any]) -> str | None:
    """Why the event does not follow the link hash ``previous``, or None if it does."""
    if fields.get("prev_hash") != previous:
        return "prev_hash does not match the preceding event's hash"
    if fields.get("chain_hash") != link_hash(topic, fields):
        return "content does not match its chain_hash"
    return None


def verify_chain(
    links: Sequence[tuple[str, Mapping[str, Any]]], previous: str = GENESIS
) -> ChainBreak | None:
    """Check ``(topic, fields)`` pairs in version order, the first following the link hash
    ``previous`` (the genesis by default); the first break, or None."""
    for topic, fields in links:
        reason = link_error(previous, topic, fields)
        if reason is not None:
            return ChainBreak(int(fields.get("originator_version", 0)), reason)
        previous = str(fields["chain_hash"])
    return None


Link = Callable[[T], tuple[str, Mapping[str, Any]]]


class VerifiedChains:
    """The verified prefix of each aggregate's chain this process has checked: the last
    version up to which the chain held, and that event's hash. A later check verifies from
    there on: the events after the prefix are always checked, its own events are not
    checked again (a full check — :func:`verify_chain` over every event — is what finds a
    stored event altered after it was once verified).

    Bounded; the least recently checked go first. Safe across threads."""

    def __init__(self, size: int = 65_536) -> None:
        self.size = size
        # A prefix is a version and a hash, whatever the chain's length: bounded by count.
        self._kept: Recent[str] = Recent(max_items=size, max_events=sys.maxsize)

    def prefix(self, aggregate_id: UUID) -> tuple[int, str] | None:
        """The verified prefix kept for the aggregate: its last version and hash."""
        return self._kept.get(aggregate_id)

    def keep(self, aggregate_id: UUID, version: int, chain_hash: str) -> None:
        """Keep the prefix up to ``version`` unless a longer one is kept already."""
        self._kept.put(aggregate_id, version, chain_hash)

    def verify(self, aggregate_id: UUID, events: Sequence[T], link: Link[T]) -> ChainBreak | None:
        """Where the chain of ``events`` (versions 1 to n, in order; ``link`` gives an
        event's topic and fields) first fails, checking from the kept prefix on; the prefix
        is extended to the last event that held."""
        if not events:
            return None
        _, last = link(events[-1])
        if int(last.get("originator_version", 0)) != len(events):
            # Not the versions 1 to n (e.g. picked by business date): checked in full.
            return verify_chain([link(e) for e in events])
        kept = self.prefix(aggregate_id)
        start, previous = 0, GENESIS
        if kept is not None:
            version, chain_hash = kept
            if len(events) <= version:
                return None  # within the verified prefix
            if link(events[version - 1])[1].get("chain_hash") == chain_hash:
                start, previous = version, chain_hash
        broken = verify_chain([link(e) for e in events[start:]], previous)
        held = len(events) if broken is None else broken.position - 1
        if held > start:
            self.keep(aggregate_id, held, str(link(events[held - 1])[1]["chain_hash"]))
        return broken
