"""Typed reads of the ratings read model (:mod:`projections.ratings`).

``rated_institutions(store, catalogue, day, jurisdiction=None, *, limit=None)
-> Iterator[RatedInstitution]``
    The institutions whose rating may be published on ``day`` (those whose rulebook in
    force then publishes it, and any whose kept standing was computed under another
    rulebook), by name then id (the first ``limit``, or all), each with its standing on
    ``day`` — or ``standing=None`` when the kept standing cannot tell that day (a day
    before its last fact, another rulebook): the caller replays the history then.
    Institutions never approved are never rated, so they are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from domain.credit import RatingStanding
from domain.rulebook import Catalogue
from projections.querying import Select
from projections.ratings import INSTITUTIONS, STANDINGS
from projections.store import Row, ViewStore

#: What a read returns: a standing with its institution's name and credit code.
SHAPE = replace(
    STANDINGS,
    columns=(
        *STANDINGS.columns,
        *(c for c in INSTITUTIONS.columns if c.name in ("name", "credit_code")),
    ),
)


@dataclass(frozen=True)
class RatedInstitution:
    id: UUID
    name: str
    credit_code: str
    jurisdiction: str
    #: The standing on the day asked about; None: replay the history for that day.
    standing: RatingStanding | None


def _standing(row: Row) -> RatingStanding:
    return RatingStanding(
        rulebook=row["rulebook"],
        grade=row["grade"],
        state=row["state"],
        since=row["since"],
        last_fact_on=row["last_fact_on"],
        approved=bool(row["approved"]),
    )


def rated_institutions(
    store: ViewStore,
    catalogue: Catalogue,
    day: date,
    jurisdiction: str | None = None,
    *,
    limit: int | None = None,
) -> Iterator[RatedInstitution]:
    places = [jurisdiction] if jurisdiction is not None else catalogue.jurisdictions()
    wanted: list[str] = []
    params: dict[str, object] = {}
    in_force = {}
    for n, place in enumerate(places):
        rulebook = catalogue.in_force(place, day)
        in_force[place] = rulebook
        params[f"j{n}"] = place
        if rulebook is None:
            wanted.append(f"r.jurisdiction = :j{n}")
            continue
        params[f"r{n}"] = rulebook.ref
        rules = rulebook.credit_rating
        if rules is not None and rules.published:
            publishes = f"(r.rulebook <> :r{n} OR r.state <> 'unrated')"
        else:
            publishes = f"r.rulebook <> :r{n}"
        wanted.append(f"(r.jurisdiction = :j{n} AND {publishes})")
    if not wanted:
        return
    select = (
        Select(store.dialect, STANDINGS, "r")
        .join(INSTITUTIONS, "i", "i.id = r.id")
        .columns("r.*, i.name, i.credit_code")
        .where("r.approved = 1")
        .where("(" + " OR ".join(wanted) + ")", **params)
        .order_by("i.name, r.id")
    )
    if limit is not None:
        select.limit(limit)
    rows = select.read(store, SHAPE)
    for row in rows:
        rulebook = in_force.get(row["jurisdiction"])
        standing = None
        if rulebook is not None:
            standing = _standing(row).on(rulebook, day)
        yield RatedInstitution(
            row["id"], row["name"], row["credit_code"], row["jurisdiction"], standing
        )
