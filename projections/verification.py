"""Where each formal document's event lies, by its chain hash (for the public check).

Table ``verification_documents``: one row per event that makes a document
(:data:`projections.documents.DOCUMENT_EVENTS`): its chain hash, the institution, the
version, the document's kind and reference. The public page ``/verify/{chain_hash}``
finds the event here and then reads and checks the institution's record itself, so a
row only points: it never vouches for the record.

``locate(store, chain_hash) -> Located | None`` is the typed read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from domain.events import LedgerEvent
from projections.base import ReadModel
from projections.documents import DOCUMENT_EVENTS, kind_of, ref_of
from projections.store import Column, Table, ViewSession, ViewStore

DOCUMENTS = Table(
    name="verification_documents",
    columns=(
        Column("chain_hash", nullable=False),
        Column("institution_id", "uuid", nullable=False),
        Column("version", "int", nullable=False),
        Column("kind", nullable=False),
        Column("ref", nullable=False),
    ),
    primary_key=("chain_hash",),
)


class Verification(ReadModel):
    name: ClassVar[str] = "verification"
    tables: ClassVar[tuple[Table, ...]] = (DOCUMENTS,)
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(DOCUMENT_EVENTS)

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        rows = [
            {
                "chain_hash": e.chain_hash,
                "institution_id": e.originator_id,
                "version": e.originator_version,
                "kind": kind,
                "ref": ref_of(e),
            }
            for e in events
            if (kind := kind_of(e)) is not None
        ]
        session.upsert(DOCUMENTS, rows)


@dataclass(frozen=True)
class Located:
    institution_id: UUID
    version: int
    kind: str
    ref: str


def locate(store: ViewStore, chain_hash: str) -> Located | None:
    """The document event with this chain hash, if one was recorded (and projected)."""
    with store.reading() as session:
        rows = session.fetch(DOCUMENTS, "chain_hash", [chain_hash])
    if not rows:
        return None
    row = rows[0]
    return Located(row["institution_id"], int(row["version"]), row["kind"], row["ref"])
