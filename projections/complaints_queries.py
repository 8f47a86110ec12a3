"""Typed reads of the complaint statistics (:mod:`projections.complaints`).

Public function (confined to the caller's scope by the ``allowed_*`` arguments of
:func:`projections.queries.allowed_scope`; a filter outside the scope matches nothing):

``complaint_stats(store, *, by="month", jurisdiction=None, district=None,
institution_id=None, month_from=None, month_to=None, allowed_jurisdiction=None,
allowed_district=None, allowed_institution_id=None) -> list[ComplaintStat]``
    One row per group: ``by="month"`` (month of receipt, "YYYY-MM"), ``"district"``,
    ``"jurisdiction"`` or ``"institution"``, in that key's order (institutions by name).
    Each row counts the complaints received in the group and splits them into
    substantiated, unsubstantiated (both verified) and pending (not yet verified), so
    ``received == substantiated + unsubstantiated + pending``. Complaints are counted in
    the month they were received and under the district the institution had then.
    ``month_from``/``month_to`` are inclusive "YYYY-MM" bounds on the month of receipt.
    Districts of two jurisdictions that share a name are counted together unless
    ``jurisdiction`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from domain.errors import InvalidInput
from projections.complaints import COMPLAINTS, COUNTS, INSTITUTIONS
from projections.querying import Select
from projections.store import Row, ViewStore

GroupBy = Literal["month", "district", "jurisdiction", "institution"]
GROUPS: tuple[str, ...] = ("month", "district", "jurisdiction", "institution")


@dataclass(frozen=True)
class ComplaintStat:
    #: The group: a month "YYYY-MM", a district, a jurisdiction or an institution id.
    key: str
    #: What to show for it: the key itself, or the institution's current name.
    label: str
    received: int
    substantiated: int
    unsubstantiated: int
    pending: int


def complaint_stats(
    store: ViewStore,
    *,
    by: GroupBy = "month",
    jurisdiction: str | None = None,
    district: str | None = None,
    institution_id: UUID | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    allowed_jurisdiction: str | None = None,
    allowed_district: str | None = None,
    allowed_institution_id: UUID | None = None,
) -> list[ComplaintStat]:
    """Complaints received, substantiated, unsubstantiated and pending, per group."""
    if by not in GROUPS:
        raise InvalidInput(f"by must be one of {', '.join(GROUPS)}", field="by")
    if by != "institution" and institution_id is None and allowed_institution_id is None:
        # Summed from the counts the statistics keep by place, month and outcome.
        kept = Select(
            store.dialect,
            COUNTS,
            "c",
            allowed_jurisdiction=allowed_jurisdiction,
            allowed_district=allowed_district,
        )
        outcome = "SUM(CASE WHEN c.outcome = '{}' THEN c.complaints ELSE 0 END) AS {}"
        rows = (
            kept.months(month_from, month_to)
            .in_place(jurisdiction, district)
            .columns(
                f"c.{by} AS grp, c.{by} AS label, SUM(c.complaints) AS received, "
                + ", ".join(
                    outcome.format(name, name)
                    for name in ("substantiated", "unsubstantiated", "pending")
                )
            )
            .group_by(f"c.{by}")
            .order_by(f"c.{by}")
            .read(store)
        )
        return [_stat(r) for r in rows]
    select = (
        Select(
            store.dialect,
            COMPLAINTS,
            "c",
            allowed_jurisdiction=allowed_jurisdiction,
            allowed_district=allowed_district,
            allowed_institution_id=allowed_institution_id,
        )
        .months(month_from, month_to)
        .in_place(jurisdiction, district, institution_id)
    )
    key = label = group = f"c.{by}"
    if by == "institution":
        # Institutions are shown by their current name, and ordered by it.
        select.join(INSTITUTIONS, "i", "i.id = c.institution_id")
        key, label, group = "c.institution_id", "i.name", "i.name, c.institution_id"
    rows = (
        select.columns(
            f"{key} AS grp, {label} AS label, COUNT(*) AS received,"
            " SUM(CASE WHEN c.substantiated = 1 THEN 1 ELSE 0 END) AS substantiated,"
            " SUM(CASE WHEN c.substantiated = 0 THEN 1 ELSE 0 END) AS unsubstantiated,"
            " SUM(CASE WHEN c.substantiated IS NULL THEN 1 ELSE 0 END) AS pending"
        )
        .group_by(group)
        .order_by(group)
        .read(store)
    )
    return [_stat(r) for r in rows]


def _stat(r: Row) -> ComplaintStat:
    return ComplaintStat(
        key=str(r["grp"]),
        label=str(r["label"]),
        received=int(r["received"]),
        substantiated=int(r["substantiated"]),
        unsubstantiated=int(r["unsubstantiated"]),
        pending=int(r["pending"]),
    )
