"""Typed reads of the projections, for the API and dashboards (never rebuilding aggregates).

Every function takes the caller's scope as ``allowed_*`` arguments (see
:func:`allowed_scope`): a regulator sees its jurisdiction or district, an institution its
own record. A filter outside the scope simply matches nothing.

Lists are ordered by (name, id) with text compared bytewise on both backends, and paged
with an opaque cursor naming the last row returned; rows added or changed between pages
never make a page repeat or skip a row that kept its name.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain.access import Principal
from domain.errors import InvalidInput
from projections.register import INSTITUTIONS, OCCUPATIONS
from projections.store import Row, ViewStore

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True)
class ScopeEntry:
    occupation: str
    levels: tuple[int, ...]


@dataclass(frozen=True)
class PendingScopeChange:
    change_id: str
    scope: tuple[ScopeEntry, ...]
    test_sites: tuple[str, ...]


@dataclass(frozen=True)
class RegisterEntry:
    """One institution as the register shows it."""

    id: UUID
    credit_code: str
    name: str
    kind: str
    jurisdiction: str
    district: str
    status: str
    receipt_number: str | None
    valid_from: date | None
    valid_until: date | None
    occupations: tuple[ScopeEntry, ...]
    test_sites: tuple[str, ...]
    pending_scope_change: PendingScopeChange | None
    renewal_requested_on: date | None
    #: Evaluation is suspended by these decisions' rectification orders.
    suspended_by: tuple[str, ...]
    ban_until: date | None
    ban_indefinite: bool
    #: Aggregate version of the last event the register read for this institution.
    version: int
    submitted_on: date
    #: When the store recorded that event.
    last_event_at: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: Pass back as ``cursor`` for the next page; ``None`` on the last page.
    next_cursor: str | None


def allowed_scope(principal: Principal) -> dict[str, Any]:
    """The ``allowed_*`` arguments that confine reads to what ``principal`` may see."""
    if principal.role == "admin":
        return {}
    if principal.institution_id is not None:
        return {"allowed_institution_id": principal.institution_id}
    return {
        "allowed_jurisdiction": principal.jurisdiction,
        "allowed_district": principal.district,
    }


def _scope(lines: Any) -> tuple[ScopeEntry, ...]:
    return tuple(
        ScopeEntry(occupation=str(line["occupation"]), levels=tuple(int(v) for v in line["levels"]))
        for line in lines or ()
    )


def _entry(row: Row) -> RegisterEntry:
    pending = row["pending_scope_change"]
    return RegisterEntry(
        id=row["id"],
        credit_code=row["credit_code"],
        name=row["name"],
        kind=row["kind"],
        jurisdiction=row["jurisdiction"],
        district=row["district"],
        status=row["status"],
        receipt_number=row["receipt_number"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        occupations=_scope(row["occupations"]),
        test_sites=tuple(row["test_sites"]),
        pending_scope_change=(
            PendingScopeChange(
                change_id=pending["change_id"],
                scope=_scope(pending["scope"]),
                test_sites=tuple(pending["test_sites"]),
            )
            if pending
            else None
        ),
        renewal_requested_on=row["renewal_requested_on"],
        suspended_by=tuple(row.get("suspensions") or ()),
        ban_until=row.get("ban_until"),
        ban_indefinite=bool(row.get("ban_indefinite")),
        version=int(row["version"]),
        submitted_on=row["submitted_on"],
        last_event_at=row["last_event_at"],
    )


def encode_cursor(name: str, institution_id: UUID) -> str:
    raw = json.dumps([name, str(institution_id)], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, iid = json.loads(raw)
        return str(name), UUID(str(iid))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidInput("the cursor is not one this service issued", field="cursor") from exc


class _Where:
    """Conditions and parameters of a query on the register, the caller's scope included."""

    def __init__(
        self,
        *,
        allowed_jurisdiction: str | None,
        allowed_district: str | None,
        allowed_institution_id: UUID | None,
    ) -> None:
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}
        self.equals("jurisdiction", allowed_jurisdiction, "allowed_jurisdiction")
        self.equals("district", allowed_district, "allowed_district")
        self.equals("id", allowed_institution_id, "allowed_institution_id")

    def equals(self, column: str, value: Any, param: str | None = None) -> None:
        if value is None:
            return
        param = param or column
        self.clauses.append(f"i.{column} = :{param}")
        self.params[param] = value

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1 = 1"


def list_institutions(
    store: ViewStore,
    *,
    jurisdiction: str | None = None,
    district: str | None = None,
    status: str | None = None,
    occupation: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> Page[RegisterEntry]:
    """Institutions in the register, by name, filtered and confined to the caller's scope."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    where = _Where(
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    where.equals("jurisdiction", jurisdiction)
    where.equals("district", district)
    where.equals("status", status)
    dialect = store.dialect
    if occupation is not None:
        where.add(
            f"EXISTS (SELECT 1 FROM {dialect.table(OCCUPATIONS.name)} o"
            " WHERE o.occupation = :occupation AND o.institution_id = i.id)",
            occupation=occupation,
        )
    if cursor is not None:
        after_name, after_id = decode_cursor(cursor)
        where.add(
            "(i.name > :after_name OR (i.name = :after_name AND i.id > :after_id))",
            after_name=after_name,
            after_id=after_id,
        )
    statement = dialect.sql(
        f"SELECT i.* FROM {dialect.table(INSTITUTIONS.name)} i WHERE {where.sql()}"
        " ORDER BY i.name, i.id LIMIT :limit"
    )
    with store.reading() as session:
        rows = session.rows(statement, {**where.params, "limit": limit + 1}, INSTITUTIONS)
    items = [_entry(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(
        items=items,
        next_cursor=encode_cursor(items[-1].name, items[-1].id) if more and items else None,
    )


def get_institution(
    store: ViewStore,
    institution_id: UUID,
    *,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> RegisterEntry | None:
    """One institution's register row, or None if absent or outside the caller's scope."""
    where = _Where(
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    where.equals("id", institution_id)
    dialect = store.dialect
    statement = dialect.sql(
        f"SELECT i.* FROM {dialect.table(INSTITUTIONS.name)} i WHERE {where.sql()}"
    )
    with store.reading() as session:
        rows = session.rows(statement, where.params, INSTITUTIONS)
    return _entry(rows[0]) if rows else None


def count_by_status(
    store: ViewStore,
    *,
    jurisdiction: str | None = None,
    district: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> dict[str, int]:
    """How many institutions are in each status (statuses with none are absent)."""
    where = _Where(
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )
    where.equals("jurisdiction", jurisdiction)
    where.equals("district", district)
    dialect = store.dialect
    statement = dialect.sql(
        f"SELECT i.status AS status, COUNT(*) AS n FROM {dialect.table(INSTITUTIONS.name)} i"
        f" WHERE {where.sql()} GROUP BY i.status ORDER BY i.status"
    )
    with store.reading() as session:
        rows = session.rows(statement, where.params)
    return {str(r["status"]): int(r["n"]) for r in rows}
