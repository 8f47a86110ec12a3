"""The application: the store, the ledger every command works through, and the modules.

``OversightApplication`` only composes. Commands live one module per area under
``domain/commands/`` (filing, findings, cases, supervision, campaigns, access); reads in
``domain/records.py``; the store and the ``Ledger`` service they share in ``ledger.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.commands.access import AccessCommands
from domain.commands.campaigns import CampaignCommands
from domain.commands.cases import CaseCommands
from domain.commands.filing import FilingCommands
from domain.commands.findings import FindingCommands
from domain.commands.impact import ImpactCommands
from domain.commands.officers import OfficerCommands
from domain.commands.register import RegisterCommands
from domain.commands.supervision import SupervisionCommands
from domain.commands.users import UserCommands
from domain.ledger import (
    Clock,
    Context,
    IdempotencyRecord,
    Ledger,
    LedgerStore,
    StoredEvent,
    audit_entry,
)
from domain.records import Records
from domain.rulebook import Catalogue
from domain.users import Passwords


class OversightApplication:
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock,
        catalogue: Catalogue,
        snapshot_interval: int = 50,
        default_defence_days: int = 10,
        passwords: Passwords | None = None,
    ) -> None:
        self.store = LedgerStore(env, snapshot_interval=snapshot_interval)
        self.ledger = Ledger(self.store, clock=clock, catalogue=catalogue)
        self.filing = FilingCommands(self.ledger)
        self.findings = FindingCommands(self.ledger)
        self.cases = CaseCommands(self.ledger, default_defence_days=default_defence_days)
        self.supervision = SupervisionCommands(self.ledger)
        self.campaigns = CampaignCommands(self.ledger)
        self.users = UserCommands(self.ledger, passwords)
        self.access = AccessCommands(self.ledger, self.users)
        self.officers = OfficerCommands(self.ledger)
        self.register = RegisterCommands(self.ledger)
        self.records = Records(self.ledger)
        self.impact = ImpactCommands(self.ledger)

    def close(self) -> None:
        self.store.close()


__all__ = [
    "Clock",
    "Context",
    "IdempotencyRecord",
    "OversightApplication",
    "StoredEvent",
    "audit_entry",
]
