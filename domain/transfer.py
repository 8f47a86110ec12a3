"""Export and restore: every recorded event as JSON lines, and back into an empty store.

An export holds one line per event, in notification order: its notification id, originator
id and version, topic, recording instant and its state (every field, ``prev_hash`` and
``chain_hash`` included, in the store's own JSON transcoding, so each value keeps its type).
A closing summary line gives the number of event lines and the SHA-256 of their bytes.

An import checks the whole file before it writes anything: each line's form, the
notification order, each record's versions (1, 2, 3, … with none missing or out of place),
each event's hash chain link, and the summary (which a cut or a removed last line breaks).
The first fault is refused naming its line. Only an empty store takes an import; the
events are written in the file's order, through the store's mapper (so a store with a
cipher encrypts them with its own key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Mapper, Transcoder
from eventsourcing.utils import TopicError, get_topic, resolve_topic

from domain.chain import GENESIS, link_error
from domain.errors import Conflict, InvalidInput
from domain.events import LedgerEvent

FORMAT = "skills-oversight-export"
FORMAT_VERSION = 1
#: Notifications read, and events written, per round trip to the store.
BATCH = 500
EVENT_KEYS = frozenset(
    {"notification_id", "originator_id", "originator_version", "topic", "recorded_at", "state"}
)

Store = Application[UUID]


class ImportRefused(InvalidInput):
    """A line of the export is malformed or breaks a hash chain; nothing was imported."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# --- export -------------------------------------------------------------------------------


def export_events(store: Store, out: TextIO) -> int:
    """Write every event of ``store`` to ``out``, then the summary line; the event count."""
    digest = hashlib.sha256()
    count = 0
    start = 1
    while batch := store.recorder.select_notifications(start=start, limit=BATCH):
        for notification in batch:
            event = store.mapper.to_domain_event(notification)
            line = _dumps(_line_of(store.mapper.transcoder, notification.id, event)) + "\n"
            digest.update(line.encode())
            out.write(line)
            count += 1
        start = batch[-1].id + 1
    summary = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "events": count,
        "sha256": digest.hexdigest(),
    }
    out.write(_dumps(summary) + "\n")
    return count


def _line_of(
    transcoder: Transcoder, notification_id: int, event: DomainEventProtocol[Any]
) -> dict[str, Any]:
    state = dict(vars(event))
    originator_id = state.pop("originator_id")
    version = state.pop("originator_version")
    return {
        "notification_id": notification_id,
        "originator_id": str(originator_id),
        "originator_version": version,
        "topic": get_topic(type(event)),
        "recorded_at": cast(Any, event).timestamp.isoformat(),
        "state": json.loads(transcoder.encode(state)),
    }


# --- import -------------------------------------------------------------------------------


def import_events(store: Store, source: TextIO) -> int:
    """Check all of ``source`` (an export; it is read twice, so it must be seekable), then
    write its events into ``store``, which must be empty. Returns the event count."""
    if store.recorder.max_notification_id():
        raise Conflict("the store already holds events; an import needs an empty store")
    count = check_export(store.mapper, source)
    source.seek(0)
    batch: list[Any] = []
    for event in _events(store.mapper.transcoder, source):
        batch.append(store.mapper.to_stored_event(event))
        if len(batch) == BATCH:
            store.recorder.insert_events(batch)
            batch = []
    if batch:
        store.recorder.insert_events(batch)
    return count


def check_export(mapper: Mapper[UUID], source: TextIO) -> int:
    """The number of events in a sound export; raises ``ImportRefused`` at the first fault."""
    chains: dict[UUID, tuple[int, str]] = {}
    digest = hashlib.sha256()
    last_notification = count = summary_at = 0
    for number, line in enumerate(source, start=1):
        if summary_at:
            raise ImportRefused(number, f"a line follows the summary line ({summary_at})")
        obj = _parse(number, line)
        if "format" in obj:
            _check_summary(number, obj, count, digest.hexdigest())
            summary_at = number
            continue
        digest.update(line.rstrip("\r\n").encode() + b"\n")
        notification_id, event = _entry(number, obj, mapper.transcoder)
        if notification_id <= last_notification:
            raise ImportRefused(
                number,
                f"notification {notification_id} comes after {last_notification}:"
                " lines are out of order",
            )
        last_notification = notification_id
        chains[event.originator_id] = _check_link(number, event, chains)
        count += 1
    if not summary_at:
        raise ImportRefused(count + 1, "the export ends without its summary line (cut short?)")
    return count


def _events(transcoder: Transcoder, source: TextIO) -> Iterator[DomainEventProtocol[UUID]]:
    for number, line in enumerate(source, start=1):
        obj = _parse(number, line)
        if "format" not in obj:
            yield _entry(number, obj, transcoder)[1]


def _parse(number: int, line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise ImportRefused(number, f"not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ImportRefused(number, "not a JSON object")
    return obj


def _entry(
    number: int, obj: dict[str, Any], transcoder: Transcoder
) -> tuple[int, DomainEventProtocol[UUID]]:
    """The notification id and the event a line holds, as the store's mapper would read it."""
    if set(obj) != EVENT_KEYS:
        raise ImportRefused(number, f"an event line has exactly the keys {sorted(EVENT_KEYS)}")
    notification_id, version = obj["notification_id"], obj["originator_version"]
    if not all(type(n) is int and n > 0 for n in (notification_id, version)):
        raise ImportRefused(number, "notification_id and originator_version are positive")
    try:
        originator_id = UUID(obj["originator_id"])
        cls = resolve_topic(obj["topic"])
        state = transcoder.decode(json.dumps(obj["state"]).encode())
    except (TypeError, ValueError, TopicError, ImportError, AttributeError) as exc:
        raise ImportRefused(number, f"cannot be read ({type(exc).__name__}: {exc})") from None
    if not (isinstance(cls, type) and issubclass(cls, LedgerEvent)):
        raise ImportRefused(number, f"{obj['topic']} is not a ledger event")
    if not isinstance(state, dict) or {"originator_id", "originator_version"} & set(state):
        raise ImportRefused(number, "the state is an object without the originator's id")
    state.update(originator_id=originator_id, originator_version=version)
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    timestamp = state.get("timestamp")
    if not isinstance(timestamp, datetime) or timestamp.isoformat() != obj["recorded_at"]:
        raise ImportRefused(number, "recorded_at differs from the event's timestamp")
    return notification_id, cast(DomainEventProtocol[UUID], event)


def _check_link(
    number: int, event: DomainEventProtocol[UUID], chains: dict[UUID, tuple[int, str]]
) -> tuple[int, str]:
    """The record's new (version, chain head), if the event is its next sound link."""
    version, head = chains.get(event.originator_id, (Aggregate.INITIAL_VERSION - 1, GENESIS))
    if event.originator_version != version + 1:
        raise ImportRefused(
            number,
            f"record {event.originator_id} has version {event.originator_version} where"
            f" {version + 1} was due: a line of it is missing or out of order",
        )
    fields = dict(vars(event))
    reason = link_error(head, get_topic(type(event)), fields)
    if reason is not None:
        raise ImportRefused(
            number, f"{reason} (record {event.originator_id}, version {version + 1})"
        )
    return version + 1, str(fields["chain_hash"])


def _check_summary(number: int, summary: dict[str, Any], count: int, sha256: str) -> None:
    if summary.get("format") != FORMAT or summary.get("version") != FORMAT_VERSION:
        raise ImportRefused(number, f"not a {FORMAT} version {FORMAT_VERSION} summary line")
    if summary.get("events") != count:
        raise ImportRefused(
            number, f"the summary counts {summary.get('events')} events; the file holds {count}"
        )
    if summary.get("sha256") != sha256:
        raise ImportRefused(number, "the event lines do not match the summary's SHA-256")
