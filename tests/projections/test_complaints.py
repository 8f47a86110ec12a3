"""Complaint statistics: received, substantiated, unsubstantiated and pending, per group."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from config.settings import Settings
from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import InvalidInput
from projections import Projections
from projections.complaints import COMPLAINTS, COUNTS
from projections.complaints_queries import ComplaintStat, complaint_stats
from projections.queries import allowed_scope
from tests.conftest import FakeClock
from tests.projections.casework import LATER, Casework, day
from tests.projections.counts import filled_on_opening
from tests.projections.filings import ADMIN


@dataclass
class Complaints:
    places: dict[str, Casework]


@pytest.fixture
def complaints(app: OversightApplication, projections: Projections, clock: FakeClock) -> Complaints:
    clock.set(LATER)
    a = Casework.filed(app, 1, jurisdiction="chengdu", name="成都甲中心")
    a.complaint("2024-04-03", substantiated=True, verified_on="2024-04-10")
    a.complaint("2024-04-05", substantiated=False)
    a.complaint("2024-04-20")
    a.complaint("2024-05-02", substantiated=True, verified_on="2024-05-06")
    b = Casework.filed(app, 2, jurisdiction="chengdu", district="武侯区", name="成都乙中心")
    b.complaint("2024-04-08")
    c = Casework.filed(app, 3, jurisdiction="hunan", name="湖南甲中心")
    c.complaint("2024-05-10", substantiated=False)
    d = Casework.filed(app, 4, jurisdiction="huangshi", name="黄石甲中心")
    d.complaint("2024-04-01", substantiated=True)
    d.complaint("2024-04-15", substantiated=True)
    # The institution moves; later complaints count under its new district.
    app.filing.change_details(
        ADMIN, a.iid, day("2024-05-20"), {"district": "成华区", "name": "成都甲中心（新址）"}
    )
    a.complaint("2024-05-25")
    projections["complaints"].catch_up()
    return Complaints(places={"a": a, "b": b, "c": c, "d": d})


def stat(key: str, received: int, substantiated: int, unsubstantiated: int) -> ComplaintStat:
    pending = received - substantiated - unsubstantiated
    return ComplaintStat(key, key, received, substantiated, unsubstantiated, pending)


def test_catch_up_counts_what_the_aggregates_record(
    projections: Projections, complaints: Complaints
) -> None:
    expected: dict[str, Counter[str]] = {}
    for place in complaints.places.values():
        for complaint in place.institution().complaints.values():
            month = complaint["received_on"].isoformat()[:7]
            outcome = {True: "substantiated", False: "unsubstantiated", None: "pending"}[
                complaint["substantiated"]
            ]
            expected.setdefault(month, Counter()).update(["received", outcome])
    rows = complaint_stats(projections.store)
    assert [(r.key, r.received, r.substantiated, r.unsubstantiated, r.pending) for r in rows] == [
        (
            month,
            counts["received"],
            counts["substantiated"],
            counts["unsubstantiated"],
            counts["pending"],
        )
        for month, counts in sorted(expected.items())
    ]
    assert rows == [stat("2024-04", 6, 3, 1), stat("2024-05", 3, 1, 1)]
    assert all(r.received == r.substantiated + r.unsubstantiated + r.pending for r in rows)


def test_groups_by_district_jurisdiction_and_institution(
    projections: Projections, complaints: Complaints
) -> None:
    store = projections.store
    assert complaint_stats(store, by="district") == sorted(
        [
            stat("锦江区", 4, 2, 1),
            stat("成华区", 1, 0, 0),
            stat("武侯区", 1, 0, 0),
            stat("长沙市", 1, 0, 1),
            stat("黄石港区", 2, 2, 0),
        ],
        key=lambda s: s.key,
    )
    assert complaint_stats(store, by="jurisdiction") == [
        stat("chengdu", 6, 2, 1),
        stat("huangshi", 2, 2, 0),
        stat("hunan", 1, 0, 1),
    ]
    by_institution = complaint_stats(store, by="institution", jurisdiction="chengdu")
    a, b = complaints.places["a"].iid, complaints.places["b"].iid
    assert by_institution == sorted(
        [
            ComplaintStat(str(a), "成都甲中心（新址）", 5, 2, 1, 2),
            ComplaintStat(str(b), "成都乙中心", 1, 0, 0, 1),
        ],
        key=lambda s: s.label,
    )


def test_filters_and_the_callers_scope(projections: Projections, complaints: Complaints) -> None:
    store = projections.store
    jinjiang = allowed_scope(Principal("wang", "regulator", "chengdu", "锦江区"))
    chengdu = allowed_scope(Principal("zhao", "regulator", "chengdu"))
    own = allowed_scope(Principal("inst", "institution", institution_id=complaints.places["d"].iid))

    assert complaint_stats(store, **jinjiang) == [
        stat("2024-04", 3, 1, 1),
        stat("2024-05", 1, 1, 0),
    ]
    assert complaint_stats(store, by="jurisdiction", **chengdu) == [stat("chengdu", 6, 2, 1)]
    assert complaint_stats(store, **own) == [stat("2024-04", 2, 2, 0)]
    assert complaint_stats(store, jurisdiction="hunan", **chengdu) == []
    assert complaint_stats(store, month_from="2024-05", month_to="2024-05") == [
        stat("2024-05", 3, 1, 1)
    ]
    assert complaint_stats(store, by="district", month_to="2024-04", jurisdiction="chengdu") == [
        stat("武侯区", 1, 0, 0),
        stat("锦江区", 3, 1, 1),
    ]
    assert complaint_stats(store, institution_id=complaints.places["c"].iid) == [
        stat("2024-05", 1, 0, 1)
    ]

    with pytest.raises(InvalidInput) as bad_group:
        complaint_stats(store, by="week")  # type: ignore[arg-type]
    assert bad_group.value.field == "by"
    with pytest.raises(InvalidInput):
        complaint_stats(store, month_from="May 2024")


def test_a_verification_moves_a_complaint_from_pending(
    projections: Projections, complaints: Complaints, app: OversightApplication
) -> None:
    b = complaints.places["b"]
    (pending,) = [
        cid for cid, c in b.institution().complaints.items() if c["substantiated"] is None
    ]
    app.findings.verify_complaint(ADMIN, b.iid, pending, day("2024-06-02"), False, "查无实据")
    projections["complaints"].catch_up()
    assert complaint_stats(projections.store, institution_id=b.iid) == [stat("2024-04", 1, 0, 1)]


def _complaints_by_place(projections: Projections) -> dict[tuple[str, str, str, str], int]:
    """The complaints counted in SQL by (jurisdiction, district, month, outcome)."""
    store = projections.store
    with store.reading() as session:
        rows = session.rows(
            store.dialect.sql(
                "SELECT jurisdiction, district, month, substantiated, COUNT(*) AS n"
                f" FROM {store.dialect.table(COMPLAINTS.name)}"
                " GROUP BY jurisdiction, district, month, substantiated"
            )
        )
    outcome = {1: "substantiated", 0: "unsubstantiated", None: "pending"}
    return {
        (r["jurisdiction"], r["district"], r["month"], outcome[r["substantiated"]]): int(r["n"])
        for r in rows
    }


def _kept_complaint_counts(projections: Projections) -> dict[tuple[str, str, str, str], int]:
    store = projections.store
    with store.reading() as session:
        rows = session.rows(f"SELECT * FROM {store.dialect.table(COUNTS.name)}")
    return {
        (r["jurisdiction"], r["district"], r["month"], r["outcome"]): int(r["complaints"])
        for r in rows
    }


def test_the_kept_counts_are_a_group_by_over_the_complaints(
    projections: Projections, complaints: Complaints
) -> None:
    model = projections["complaints"]
    grouped = _complaints_by_place(projections)
    assert {outcome for *_, outcome in grouped} == {"substantiated", "unsubstantiated", "pending"}
    assert _kept_complaint_counts(projections) == grouped
    received: Counter[str] = Counter()
    for (jurisdiction, district, _, _), n in grouped.items():
        if jurisdiction == "hunan":
            received[district] += n
    by_district = complaint_stats(projections.store, by="district", jurisdiction="hunan")
    assert [(s.key, s.received) for s in by_district] == sorted(received.items())
    model.rebuild()
    assert _kept_complaint_counts(projections) == grouped


def test_counts_the_statistics_gained_are_filled_from_their_rows_on_opening(
    app: OversightApplication,
    projections: Projections,
    settings: Settings,
    complaints: Complaints,
) -> None:
    grouped = _complaints_by_place(projections)
    assert grouped
    refilled = filled_on_opening(app, projections, settings, (COUNTS,), _kept_complaint_counts)
    assert refilled == grouped
