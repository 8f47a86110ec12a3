"""Hash chain over an aggregate's events: each hash covers the event and its predecessor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

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


def verify_chain(links: list[tuple[str, Mapping[str, Any]]]) -> ChainBreak | None:
    """Check ``(topic, fields)`` pairs in version order; the first break, or None."""
    previous = GENESIS
    for topic, fields in links:
        reason = link_error(previous, topic, fields)
        if reason is not None:
            return ChainBreak(int(fields.get("originator_version", 0)), reason)
        previous = str(fields["chain_hash"])
    return None
