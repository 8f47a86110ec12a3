"""The ratings read model: the public page's credit ratings from the kept standings are
those a replay of every institution's history gives, on every day asked about."""

from __future__ import annotations

from datetime import date

import pytest

from domain.access import SYSTEM
from domain.application import OversightApplication
from projections import Projections
from projections.dashboard import PublicRating, public_lists, public_page
from projections.filters import every_row
from projections.queries import list_institutions
from projections.ratings_queries import rated_institutions
from tests.conftest import FakeClock
from tests.projections.casework import LATER, Casework, busy_year, day

#: Before and after each lowering, on and either side of a recovery's date, and later.
DAYS = (
    "2024-02-29",
    "2024-03-01",
    "2024-04-25",
    "2024-06-24",
    "2024-06-25",
    "2024-07-01",
    "2025-06-24",
    "2025-06-25",
    "2025-06-26",
    "2026-06-01",
    "2027-06-25",
    "2030-01-01",
)


def replayed(
    app: OversightApplication, projections: Projections, on: date, jurisdiction: str | None
) -> list[PublicRating]:
    """Each listed institution's rating replayed from its history, as the page did before
    it had the read model."""
    store = projections.store
    entries = every_row(
        lambda cursor, limit: list_institutions(
            store, jurisdiction=jurisdiction, limit=limit, cursor=cursor
        )
    )
    ratings = []
    for entry in entries:
        rating = app.records.credit_rating(SYSTEM, entry.id, on)
        if rating["published"] and rating["state"] != "unrated":
            ratings.append(
                PublicRating(
                    entry.name,
                    entry.credit_code,
                    entry.jurisdiction,
                    rating["grade"],
                    rating["state"],
                    rating["rulebook"],
                )
            )
    return ratings


@pytest.fixture
def province(app: OversightApplication, projections: Projections, clock: FakeClock) -> None:
    """Casework of every kind, a lowered chengdu institution left clean to recover, another
    lowered twice and one approved without a case; every read model caught up."""
    clock.set(LATER)
    busy_year(app)
    twice = Casework.filed(app, 5, jurisdiction="chengdu", name="成都乙中心")
    first = twice.finding("chengdu-2024/30.11", "2024-04-01")
    twice.case([first], "2024-04-10", decide_on="2024-04-25")
    again = twice.finding("chengdu-2024/30.4", "2024-06-01")
    twice.case([again], "2024-06-10", decide_on="2024-06-25")
    Casework.filed(app, 6, jurisdiction="chengdu", name="成都丙中心")
    projections.catch_up()


@pytest.mark.usefixtures("province")
@pytest.mark.parametrize("jurisdiction", [None, "chengdu", "hunan", "huangshi"])
def test_the_public_ratings_are_those_a_replay_of_each_history_gives(
    app: OversightApplication, projections: Projections, jurisdiction: str | None
) -> None:
    grades = set()
    for on in DAYS:
        view = public_page(app, projections.store, day(on), jurisdiction)
        assert list(view.ratings) == replayed(app, projections, day(on), jurisdiction), on
        grades |= {(r.name, r.grade, r.state) for r in view.ratings}
    if jurisdiction in (None, "chengdu"):
        # Granted, lowered and recovered grades all appear: the days tell them apart.
        assert len({g for _, g, _ in grades}) >= 3, grades


@pytest.mark.usefixtures("province")
def test_a_day_after_every_fact_is_answered_from_the_standing_and_an_earlier_one_replayed(
    app: OversightApplication, projections: Projections
) -> None:
    catalogue = app.ledger.catalogue
    today = list(rated_institutions(projections.store, catalogue, day(LATER)))
    assert today
    assert all(r.standing is not None for r in today)
    early = list(rated_institutions(projections.store, catalogue, day("2024-05-01")))
    assert any(r.standing is None for r in early)


def test_an_appeal_decided_later_moves_the_standing(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set(LATER)
    inst = Casework.filed(app, 7, jurisdiction="chengdu", name="成都丁中心")
    decision = inst.case(
        [inst.finding("chengdu-2024/30.4", "2024-06-01")], "2024-06-10", decide_on="2024-06-25"
    )
    projections.catch_up()
    on = day("2024-10-01")  # after the appeal, before the lowered grade recovers
    before = public_page(app, projections.store, on, "chengdu").ratings
    inst.appeal(decision, "2024-09-01", "annulled")
    projections.catch_up()
    after = public_page(app, projections.store, on, "chengdu").ratings
    assert list(after) == replayed(app, projections, on, "chengdu")
    assert [r.grade for r in before] == ["B"]
    assert [r.grade for r in after] == ["A"]


@pytest.mark.usefixtures("province")
@pytest.mark.parametrize("limit", [1, 2, 100])
def test_the_public_page_lists_the_first_rows_of_each_full_list(
    app: OversightApplication, projections: Projections, limit: int
) -> None:
    for on in ("2024-06-24", "2025-06-26", "2030-01-01"):
        view = public_page(app, projections.store, day(on), None, limit=limit)
        full = public_lists(app, projections.store, day(on), None)
        entries, history = list(full.entries()), list(full.history())
        ended = [e for e in history if not e.in_force_on(day(on))]
        ratings = list(full.ratings())
        assert ratings == replayed(app, projections, day(on), None)
        assert list(view.entries) == entries[:limit], on
        assert list(view.ended) == ended[:limit], on
        assert list(view.ratings) == ratings[:limit], on
        assert (view.counts.in_force, view.counts.not_in_force) == (len(entries), len(ended))
        assert view.more_ratings == (len(ratings) > limit)
    assert public_page(app, projections.store, day("2030-01-01"), None, limit=1).more_ratings
