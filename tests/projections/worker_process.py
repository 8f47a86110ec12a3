"""The projection worker as a separate process, for the crash and shutdown tests.

``python -m tests.projections.worker_process [--slow]`` runs what ``oversight worker
projections`` runs (``bootstrap.cli.projection_worker_process``) on the store named by the
``OVERSIGHT_*`` variables, in batches of three. ``--slow`` holds each batch's transaction
open a little after its rows are written, so that a kill lands inside a transaction.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from bootstrap.cli import projection_worker_process
from config.settings import Settings
from domain.events import LedgerEvent
from projections.register import Register
from projections.store import ViewSession

BATCH_SIZE = 3
HOLD_SECONDS = 0.04


def hold_each_batch() -> None:
    write = Register.apply

    def slow_apply(self: Register, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        write(self, session, events)
        time.sleep(HOLD_SECONDS)

    Register.apply = slow_apply  # type: ignore[method-assign]


if __name__ == "__main__":
    if "--slow" in sys.argv:
        hold_each_batch()
    projection_worker_process(Settings(), poll_interval=0.05, batch_size=BATCH_SIZE)
