"""``Keyed``: the state's keyed collections, a mapping that is never changed.

``keyed.set(key, value)`` is a new mapping with the one entry added or replaced, made
without copying the others: the values sit in a persistent hash map (``immutables.Map``,
a HAMT: a change copies one path of its tree), and the order of the keys, as a dict keeps
it (first insertion), in a list that grows only. A mapping owns the first ``len`` keys of
that list; the first one to add a key after the last appends to the list in place, and
every other one (an older state changed again) copies its own part first. So folding
``n`` events is linear in ``n`` instead of copying every mapping on every event, and a
state kept from before any of them reads exactly what it read when it was made.

Read like a dict (``[]``, ``get``, ``in``, ``len``, iteration in insertion order, ``==``
with any mapping); there is nothing to change it in place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar, overload

from immutables import Map

K = TypeVar("K")
V = TypeVar("V")
V_co = TypeVar("V_co", covariant=True)
D = TypeVar("D")


class _Order:
    """The keys in insertion order, shared by mappings made one from another; grows only."""

    __slots__ = ("keys", "lock")

    def __init__(self, keys: list[Any]) -> None:
        self.keys = keys
        self.lock = threading.Lock()

    def extended(self, owned: int, added: list[Any]) -> _Order:
        """An order holding the first ``owned`` keys, then ``added``: this one, grown in
        place, when nothing was added after those keys yet; else a copy. An empty
        mapping's order is never grown (an empty mapping may be :func:`empty`, shared by
        every state)."""
        if not owned:
            return _Order(list(added))
        with self.lock:
            if len(self.keys) == owned:
                self.keys.extend(added)
                return self
        return _Order([*self.keys[:owned], *added])


class Keyed(Mapping[K, V_co]):
    """An insertion-ordered mapping that is never changed; :meth:`set` and
    :meth:`updated` return new ones, sharing what is unchanged."""

    __slots__ = ("_count", "_map", "_order")

    def __init__(self, items: Mapping[K, V_co] | Iterable[tuple[K, V_co]] = ()) -> None:
        entries = dict(items)
        self._map: Map[K, V_co] = Map(entries)
        self._order = _Order(list(entries))
        self._count = len(entries)

    @classmethod
    def deferred(cls, count: int, load: Callable[[], Mapping[K, V_co]]) -> Keyed[K, V_co]:
        """The mapping of the ``count`` entries ``load`` gives, called the first time the
        entries are read (a snapshot's batches: tens of thousands, which an assessment
        never reads); ``len`` needs no load."""
        return _Deferred(count, load)

    @classmethod
    def _made(cls, values: Map[K, V_co], order: _Order, count: int) -> Keyed[K, V_co]:
        made = object.__new__(Keyed)
        made._map, made._order, made._count = values, order, count
        return made

    # --- new mappings ---------------------------------------------------------------------

    def set(self, key: K, value: V_co) -> Keyed[K, V_co]:  # type: ignore[misc]
        """This mapping with ``key`` set to ``value`` (a new key goes last)."""
        if key in self._map:
            return self._made(self._map.set(key, value), self._order, self._count)
        order = self._order.extended(self._count, [key])
        return self._made(self._map.set(key, value), order, self._count + 1)

    def updated(self, changes: Mapping[K, V_co]) -> Keyed[K, V_co]:
        """This mapping with every entry of ``changes`` set (new keys last, in order)."""
        added = [key for key in changes if key not in self._map]
        values = self._map.update(changes)
        if not added:
            return self._made(values, self._order, self._count)
        order = self._order.extended(self._count, added)
        return self._made(values, order, self._count + len(added))

    # --- reading --------------------------------------------------------------------------

    def __getitem__(self, key: K) -> V_co:
        return self._map[key]

    @overload
    def get(self, key: K) -> V_co | None: ...
    @overload
    def get(self, key: K, default: V_co | D) -> V_co | D: ...
    def get(self, key: K, default: Any = None) -> Any:
        return self._map.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._map

    def __iter__(self) -> Iterator[K]:
        return iter(self._order.keys[: self._count])

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Keyed):
            return bool(self._map == other._map)
        if isinstance(other, Mapping):
            return len(other) == self._count and all(
                key in other and other[key] == value for key, value in self.items()
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like a dict

    def __repr__(self) -> str:
        return f"Keyed({dict(self.items())!r})"

    def __reduce__(self) -> tuple[type[Keyed[K, V_co]], tuple[dict[K, V_co]]]:
        return Keyed, (dict(self.items()),)


class _Deferred(Keyed[K, V_co]):
    """A :class:`Keyed` whose entries are loaded on first read (``Keyed.deferred``); then
    it reads and changes as any other."""

    __slots__ = ("_load", "_lock")

    def __init__(self, count: int, load: Callable[[], Mapping[K, V_co]]) -> None:
        self._count = count
        self._load: Callable[[], Mapping[K, V_co]] | None = load
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # Called only while ``_map`` or ``_order`` is not set yet: the entries not loaded.
        if name not in ("_map", "_order"):
            raise AttributeError(name)
        with self._lock:
            try:
                object.__getattribute__(self, "_map")  # loaded meanwhile by another thread
            except AttributeError:
                assert self._load is not None  # dropped only once loaded
                entries = dict(self._load())
                if len(entries) != self._count:
                    raise ValueError(
                        f"{len(entries)} entries loaded, {self._count} expected"
                    ) from None
                self._order = _Order(list(entries))
                self._map = Map(entries)  # last: a mapping with it set is loaded
                self._load = None  # what it read from (a snapshot's text) is not kept
        return object.__getattribute__(self, name)


_EMPTY: Keyed[Any, Any] = Keyed()


def empty() -> Keyed[Any, Any]:
    """The empty mapping, one for every state: a state holds ten keyed collections, most
    of them empty, and an empty one made anew costs about 280 bytes."""
    return _EMPTY
