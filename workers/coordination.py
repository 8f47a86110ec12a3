"""Several workers of a kind against one store: one leads each piece of work, the others
stand by, and each reports its heartbeat.

:class:`AdvisoryLeadership` (PostgreSQL) holds a *session-level* advisory lock for each
thing the worker leads (a projection's name, or ``deadlines``) on a connection of its own.
The lock lives as long as that connection: a worker that dies, however it dies, closes it,
PostgreSQL releases the lock, and a standby's next attempt (every heartbeat interval)
takes it. A worker whose connection breaks gives up everything it led and tries again.
Its keys are two 32-bit numbers (``hashtext('oversight:leader')``, ``hashtext(schema:name)``),
so they never meet the one-number keys of the projections' per-batch locks.

Leadership keeps the work from being done twice for nothing; it is not what makes it
correct: a projection batch still takes its transaction lock and checks its position, and
a deadline pass still loses a version conflict to a twin, so a short overlap (a holder
cut off from PostgreSQL but still running) changes no result.

:class:`SoleProcess` is SQLite's: one process uses the file, so it leads everything.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from config.logging import get_logger
from projections.heartbeats import Worker, beat, forget
from projections.store import ViewStore

log = get_logger("workers.coordination")

#: The first number of every leadership key.
LEADER_NAMESPACE = "oversight:leader"


class Leadership(Protocol):
    def try_lead(self, name: str) -> bool:
        """Lead ``name`` if nobody does; whether this worker leads it now."""

    def check(self) -> None:
        """Give up everything led if the hold on it was lost."""

    def leading(self) -> frozenset[str]: ...

    def close(self) -> None: ...


class SoleProcess:
    """One process on the store (SQLite): it leads whatever it asks for."""

    def __init__(self) -> None:
        self._led: set[str] = set()

    def try_lead(self, name: str) -> bool:
        self._led.add(name)
        return True

    def check(self) -> None:
        return None

    def leading(self) -> frozenset[str]:
        return frozenset(self._led)

    def close(self) -> None:
        self._led.clear()


class AdvisoryLeadership:
    """Session advisory locks on a dedicated PostgreSQL connection (``connect()`` opens it,
    in autocommit)."""

    def __init__(self, connect: Callable[[], Any], schema: str) -> None:
        self._connect = connect
        self._schema = schema
        self._conn: Any = None
        self._led: set[str] = set()

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._led.clear()
            self._conn = self._connect()
        return self._conn

    def try_lead(self, name: str) -> bool:
        if name in self._led:
            return True
        try:
            row = (
                self._connection()
                .execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))",
                    (LEADER_NAMESPACE, f"{self._schema}:{name}"),
                )
                .fetchone()
            )
        except Exception:
            self._lost("try_lead")
            return False
        if row and row[0]:
            self._led.add(name)
            log.info("leadership.taken", of=name)
            return True
        return False

    def check(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute("SELECT 1")
        except Exception:
            self._lost("check")

    def _lost(self, during: str) -> None:
        if self._led:
            log.warning("leadership.lost", of=sorted(self._led), during=during)
        self._led.clear()
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken; nothing to release
                log.debug("leadership.close_failed")
            self._conn = None

    def leading(self) -> frozenset[str]:
        return frozenset(self._led)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the locks go with the session
            self._conn = None
        self._led.clear()


def this_worker(kind: str) -> Worker:
    host = socket.gethostname()
    pid = os.getpid()
    return Worker(f"{host}:{pid}:{kind}:{uuid.uuid4().hex[:8]}", kind, host, pid)


class Coordinator:
    """One worker's leadership and heartbeat.

    ``lead`` tries for what the worker does not lead yet, at most once per ``interval``
    seconds (``time.monotonic``), and beats at once when that changed what it leads;
    ``start`` beats every ``interval`` seconds from a thread of its own, so a long pass or
    rebuild does not make the worker look dead; ``close`` stops beating, removes the row and
    gives up the leadership.
    """

    def __init__(
        self,
        worker: Worker,
        leadership: Leadership,
        store: ViewStore,
        *,
        interval: float,
    ) -> None:
        self.worker = worker
        self.leadership = leadership
        self.store = store
        self.interval = interval
        self._next_attempt = 0.0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._beating: threading.Thread | None = None

    def lead(self, names: Iterable[str]) -> frozenset[str]:
        """What this worker leads among ``names``, trying for the rest when it is time."""
        now = time.monotonic()
        if now < self._next_attempt:
            return self.leading()
        self._next_attempt = now + self.interval
        with self._lock:
            before = self.leadership.leading()
            self.leadership.check()
            for name in names:
                self.leadership.try_lead(name)
            after = self.leadership.leading()
        if after != before and self._beating is not None:
            self.beat()  # show the change at once
        return after

    def leading(self) -> frozenset[str]:
        with self._lock:
            return self.leadership.leading()

    def beat(self) -> None:
        """Write the heartbeat now."""
        try:
            beat(self.store, self.worker, sorted(self.leading()))
        except Exception:  # the store is away; the next beat tries again
            log.warning("heartbeat.failed", worker=self.worker.worker_id, exc_info=True)

    def start(self) -> None:
        """Beat now, then every ``interval`` seconds until ``close``."""
        self.beat()

        def beating() -> None:
            while not self._stopped.wait(self.interval):
                self.beat()

        self._beating = threading.Thread(
            target=beating, name=f"heartbeat-{self.worker.kind}", daemon=True
        )
        self._beating.start()

    def close(self) -> None:
        self._stopped.set()
        if self._beating is not None:
            self._beating.join(timeout=self.interval + 10)
        try:
            forget(self.store, self.worker)
        except Exception:  # the row goes stale instead
            log.warning("heartbeat.forget_failed", worker=self.worker.worker_id)
        with self._lock:
            self.leadership.close()
