"""Who is in charge: assigning the officer of an institution's file or of a work item.

The command authorises the caller to decide on the record, loads it (at the If-Match
version if one is named), lets the ``Institution`` decide between a first assignment and a
reassignment, and saves it.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.ledger import Context, Ledger


class OfficerCommands:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def assign_officer(
        self,
        ctx: Context,
        iid: UUID,
        on: date,
        *,
        item_kind: str,
        item_id: str,
        officer: str,
        reason: str = "",
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        recorded = inst.assign_officer(
            on, self.ledger.stamp(ctx), item_kind, item_id, officer, reason
        )
        return self.ledger.save_result(
            ctx,
            inst,
            item_kind=item_kind,
            item_id=item_id,
            officer=officer.strip(),
            recorded=recorded[-1],
        )
