"""Typed reads of the projections, for the API and dashboards (never rebuilding aggregates).

Every function takes the caller's scope as ``allowed_*`` arguments (see
:func:`allowed_scope`): a regulator sees its jurisdiction or district, an institution its
own record. A filter outside the scope simply matches nothing.

Lists are ordered by (name, id) with text compared bytewise on both backends, and paged
with an opaque cursor naming the last row returned; rows added or changed between pages
never make a page repeat or skip a row that kept its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.access import Principal

# The API reads the limit and the page from here, with the register's reads.
from projections.querying import MAX_LIMIT as MAX_LIMIT
from projections.querying import Page as Page
from projections.querying import (
    Select,
    check_limit,
    decode_key,
    decode_uuid,
    encode_key,
    page,
)
from projections.register import COUNTS, INSTITUTIONS, OCCUPATIONS
from projections.store import Row, ViewStore


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


def _select(
    store: ViewStore,
    allowed_jurisdiction: str | None,
    allowed_district: str | None,
    allowed_institution_id: UUID | None,
) -> Select:
    """A query on the register, confined to the caller's scope."""
    return Select(
        store.dialect,
        INSTITUTIONS,
        "i",
        id_column="id",
        allowed_jurisdiction=allowed_jurisdiction,
        allowed_district=allowed_district,
        allowed_institution_id=allowed_institution_id,
    )


def _after(cursor: str) -> tuple[tuple[str, str, Any], ...]:
    """The sort key of the institution a cursor of :func:`list_institutions` names."""
    name, iid = decode_key(cursor, 2)
    return ("i.name", "after_name", name), ("i.id", "after_id", decode_uuid(iid))


def _cursor(last: RegisterEntry) -> str:
    return encode_key(last.name, str(last.id))


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
    check_limit(limit)
    select = _select(store, allowed_jurisdiction, allowed_district, allowed_institution_id)
    select.in_place(jurisdiction, district).equals("status", status)
    if occupation is not None:
        select.exists(
            OCCUPATIONS,
            "o",
            "o.occupation = :occupation AND o.institution_id = i.id",
            occupation=occupation,
        )
    if cursor is not None:
        select.after(*_after(cursor))
    rows = select.order_by("i.name, i.id").limit(limit + 1).read(store, INSTITUTIONS)
    return page(rows, limit, _entry, _cursor)


def get_institution(
    store: ViewStore,
    institution_id: UUID,
    *,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> RegisterEntry | None:
    """One institution's register row, or None if absent or outside the caller's scope."""
    select = _select(store, allowed_jurisdiction, allowed_district, allowed_institution_id)
    rows = select.in_place(None, None, institution_id).read(store, INSTITUTIONS)
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
    """How many institutions are in each status (statuses with none are absent): from the
    counts the register keeps by place and status; an institution's own, from its row."""
    if allowed_institution_id is not None:
        select = _select(store, allowed_jurisdiction, allowed_district, allowed_institution_id)
    else:
        select = Select(
            store.dialect,
            COUNTS,
            "c",
            allowed_jurisdiction=allowed_jurisdiction,
            allowed_district=allowed_district,
        )
    alias = select.alias
    count = "COUNT(*)" if allowed_institution_id is not None else "SUM(c.institutions)"
    rows = (
        select.in_place(jurisdiction, district)
        .columns(f"{alias}.status AS status, {count} AS n")
        .group_by(f"{alias}.status")
        .order_by(f"{alias}.status")
        .read(store)
    )
    return {str(r["status"]): int(r["n"]) for r in rows if int(r["n"]) > 0}
