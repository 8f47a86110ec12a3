"""A bounded map of what a process keeps of the records it read lately."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar
from uuid import UUID

V = TypeVar("V")


class Recent(Generic[V]):
    """Values by id, each with the version it stands at, the least recently used dropped
    first once there are more than ``max_items`` or their versions add up to more than
    ``max_events`` (what a file holds in memory grows with its events, so a count alone
    would let a few large files take any amount). Safe across threads: the map is changed
    under a lock, and the values are never changed."""

    def __init__(self, max_items: int, max_events: int) -> None:
        self.max_items = max_items
        self.max_events = max_events
        self._kept: OrderedDict[UUID, tuple[int, V]] = OrderedDict()
        self._events = 0
        self._lock = threading.Lock()

    def get(self, key: UUID) -> tuple[int, V] | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def put(self, key: UUID, version: int, value: V, *, newer_only: bool = True) -> None:
        """Keep ``value`` at ``version``; with ``newer_only``, unless a later or the same
        version is kept already. A value larger than the bound alone is not kept."""
        if version > self.max_events:
            with self._lock:
                self._drop(key)
            return
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                if newer_only and kept[0] >= version:
                    return
                self._drop(key)
            self._kept[key] = (version, value)
            self._events += version
            while len(self._kept) > self.max_items or self._events > self.max_events:
                _, (dropped, _value) = self._kept.popitem(last=False)
                self._events -= dropped

    def _drop(self, key: UUID) -> None:
        kept = self._kept.pop(key, None)
        if kept is not None:
            self._events -= kept[0]

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def events(self) -> int:
        """The versions of the values kept, added up."""
        return self._events
