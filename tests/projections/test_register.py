"""The institution register: one row per institution, copying what its filing events state."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import InvalidInput
from domain.events import ScopeLine
from projections import Projections
from projections.queries import (
    allowed_scope,
    count_by_status,
    get_institution,
    list_institutions,
)
from projections.register import COUNTS, INSTITUTIONS
from tests.conftest import FakeClock
from tests.projections.counts import province
from tests.projections.filings import (
    ADMIN,
    ON,
    expected_entry,
    file_approved,
    file_many,
    shown,
    submit,
)
from tests.projections.filings import application as filing_application


def register_row(projections: Projections, iid: UUID) -> dict[str, object]:
    entry = get_institution(projections.store, iid)
    assert entry is not None, f"{iid} is not in the register"
    return shown(entry)


def all_entries(projections: Projections, **filters: object) -> list[UUID]:
    page = list_institutions(projections.store, limit=500, **filters)  # type: ignore[arg-type]
    assert page.next_cursor is None
    return [e.id for e in page.items]


def test_catch_up_copies_each_filing_into_one_row(
    app: OversightApplication, projections: Projections
) -> None:
    active = file_approved(app, 1)
    rejected = submit(app, 2, jurisdiction="hunan")
    app.filing.reject_filing(ADMIN, rejected, ON, "材料不全")
    pending = submit(app, 3, jurisdiction="huangshi", occupations=("4-07-05-04", "4-03-02-01"))

    applied = projections.register.catch_up()

    assert applied == app.store.recorder.max_notification_id()
    for iid in (active, rejected, pending):
        assert register_row(projections, iid) == expected_entry(app, iid)
    assert register_row(projections, active)["status"] == "active"
    assert register_row(projections, rejected)["status"] == "rejected"
    assert register_row(projections, pending)["status"] == "submitted"
    assert len(all_entries(projections)) == 3


def test_a_second_catch_up_applies_nothing_and_changes_nothing(
    app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 6)
    register = projections.register
    first = register.catch_up()
    digest = register.content_hash()

    assert first > 0
    assert register.catch_up() == 0
    assert register.content_hash() == digest
    assert register.status().lag == 0
    assert len(all_entries(projections)) == 6


def test_new_events_are_applied_on_top_of_the_recorded_position(
    app: OversightApplication, projections: Projections
) -> None:
    file_many(app, 2)
    register = projections.register
    register.catch_up()
    before = register.position()

    iid = file_approved(app, 50, jurisdiction="hunan")
    applied = register.catch_up()

    head = app.store.recorder.max_notification_id()
    assert head is not None
    assert applied == head - before
    assert register.position() == head
    assert register_row(projections, iid) == expected_entry(app, iid)


class Follow:
    """One institution's register row, checked against its record after each step."""

    def __init__(self, app: OversightApplication, projections: Projections, iid: UUID) -> None:
        self.app, self.projections, self.iid = app, projections, iid

    def row(self) -> dict[str, object]:
        self.projections.register.catch_up()
        row = register_row(self.projections, self.iid)
        assert row == expected_entry(self.app, self.iid)
        return row


def _rejected_then_refiled_and_approved(follow: Follow) -> None:
    app, iid = follow.app, follow.iid
    app.filing.reject_filing(ADMIN, iid, ON, "材料不全")
    assert follow.row()["status"] == "rejected"
    refiled = filing_application(
        7, jurisdiction="hunan", name="湖南新名称评价中心", occupations=("4-07-05-04",)
    )
    app.filing.submit_filing(ADMIN, refiled, ON)
    assert follow.row()["status"] == "submitted"
    app.filing.approve_filing(ADMIN, iid, ON)
    row = follow.row()
    assert (row["status"], row["name"]) == ("active", "湖南新名称评价中心")


def _details_and_scope_changed(follow: Follow) -> None:
    app, iid = follow.app, follow.iid
    app.filing.change_details(ADMIN, iid, ON, {"name": "湖南改名评价中心", "district": "岳麓区"})
    row = follow.row()
    assert (row["name"], row["district"]) == ("湖南改名评价中心", "岳麓区")
    new_scope: list[ScopeLine] = [{"occupation": "4-03-02-01", "levels": [4, 5]}]
    app.filing.request_scope_change(ADMIN, iid, ON, new_scope, ["第二考点"], "增加职业")
    row = follow.row()
    assert row["pending_change_id"] is not None
    assert row["occupations"] == [("4-07-05-04", (3, 4, 5))]
    app.filing.approve_scope_change(ADMIN, iid, ON, str(row["pending_change_id"]))
    row = follow.row()
    assert row["occupations"] == [("4-03-02-01", (4, 5))]
    assert row["test_sites"] == ["第二考点"]
    assert all_entries(follow.projections, occupation="4-03-02-01") == [iid]
    assert all_entries(follow.projections, occupation="4-07-05-04") == []


def _renewed_then_lapsed(follow: Follow, clock: FakeClock) -> None:
    app, iid = follow.app, follow.iid
    valid_until = follow.row()["valid_until"]
    assert isinstance(valid_until, date)
    clock.set(valid_until.replace(month=1, day=10).isoformat())
    app.filing.request_renewal(ADMIN, iid, app.ledger.today())
    assert follow.row()["renewal_requested_on"] == app.ledger.today()
    app.filing.approve_renewal(ADMIN, iid, app.ledger.today())
    row = follow.row()
    assert row["renewal_requested_on"] is None
    assert row["valid_until"] != valid_until
    later = row["valid_until"]
    assert isinstance(later, date)
    clock.set(later.replace(year=later.year + 1).isoformat())
    recorded = app.filing.advance_filing(iid, app.ledger.today(), "deadlines")
    assert recorded == ["FilingExpired", "FilingLapsed"]
    assert follow.row()["status"] == "lapsed"


def test_the_register_follows_the_whole_filing_lifecycle(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    iid = submit(app, 7, jurisdiction="hunan", occupations=("4-07-05-04",))
    follow = Follow(app, projections, iid)
    _rejected_then_refiled_and_approved(follow)
    _details_and_scope_changed(follow)
    _renewed_then_lapsed(follow, clock)


def test_cancellation_is_copied(app: OversightApplication, projections: Projections) -> None:
    iid = file_approved(app, 8)
    app.filing.cancel_filing(ADMIN, iid, ON, "机构申请注销")
    projections.register.catch_up()
    assert register_row(projections, iid) == expected_entry(app, iid)
    assert register_row(projections, iid)["status"] == "cancelled"


def test_events_of_other_kinds_advance_the_position_and_write_nothing(
    app: OversightApplication, projections: Projections
) -> None:
    app.access.issue_token(
        "sov_secret_1", subject="zhang.wei", role="regulator", jurisdiction="chengdu"
    )
    app.access.issue_token("sov_secret_2", subject="li.na", role="reviewer")
    head = app.store.recorder.max_notification_id()
    assert head is not None
    assert head >= 3

    assert projections.register.catch_up() == head

    status = projections.register.status()
    assert (status.position, status.head, status.lag) == (head, head, 0)
    assert all_entries(projections) == []


def test_batch_size_does_not_change_the_content(
    settings: Settings, app: OversightApplication, projections: Projections
) -> None:
    iid = file_approved(app, 9, jurisdiction="hunan")
    app.filing.request_scope_change(
        ADMIN, iid, ON, [{"occupation": "6-29-01-01", "levels": [5]}], ["新考点"], "调整"
    )
    app.filing.approve_scope_change(
        ADMIN, iid, ON, f"SC-{app.records.institution(ADMIN.principal, iid).version}"
    )
    file_many(app, 5, start=20)
    projections.register.catch_up()
    digest = projections.register.content_hash()

    one_by_one = build_projections(settings, app, batch_size=1)
    try:
        assert one_by_one.register.rebuild() == app.store.recorder.max_notification_id()
        assert one_by_one.register.content_hash() == digest
    finally:
        one_by_one.close()


# --- queries ------------------------------------------------------------------------------


@pytest.fixture
def populated(app: OversightApplication, projections: Projections) -> dict[str, UUID]:
    ids = {
        "cd-a": file_approved(app, 101, name="甲评价中心", occupations=("4-07-05-04",)),
        "cd-b": file_approved(
            app, 102, name="乙评价中心", district="武侯区", occupations=("4-03-02-01",)
        ),
        "cd-c": submit(app, 103, name="丙评价中心", occupations=("4-07-05-04", "4-03-02-01")),
        "hn-a": file_approved(app, 104, jurisdiction="hunan", name="湖南甲中心"),
        "hn-b": submit(app, 105, jurisdiction="hunan", name="湖南乙中心"),
    }
    projections.register.catch_up()
    return ids


def ids_of(projections: Projections, **filters: object) -> set[UUID]:
    return set(all_entries(projections, **filters))


def test_filters_match_exactly(projections: Projections, populated: dict[str, UUID]) -> None:
    p = populated
    assert ids_of(projections, jurisdiction="chengdu") == {p["cd-a"], p["cd-b"], p["cd-c"]}
    assert ids_of(projections, jurisdiction="chengdu", district="武侯区") == {p["cd-b"]}
    assert ids_of(projections, status="submitted") == {p["cd-c"], p["hn-b"]}
    assert ids_of(projections, occupation="4-03-02-01") == {p["cd-b"], p["cd-c"]}
    assert ids_of(projections, occupation="4-07-05-04", status="active") == {
        p["cd-a"],
        p["hn-a"],
    }
    assert ids_of(projections, occupation="4-07-05") == set()
    assert count_by_status(projections.store) == {"active": 3, "submitted": 2}
    assert count_by_status(projections.store, jurisdiction="hunan") == {
        "active": 1,
        "submitted": 1,
    }


def test_the_callers_scope_confines_every_read(
    projections: Projections, populated: dict[str, UUID]
) -> None:
    p = populated
    district = allowed_scope(Principal("wang", "regulator", "chengdu", "锦江区"))
    city = allowed_scope(Principal("zhao", "regulator", "chengdu"))
    own = allowed_scope(Principal("inst", "institution", institution_id=p["hn-a"]))

    assert ids_of(projections, **district) == {p["cd-a"], p["cd-c"]}
    assert ids_of(projections, **city) == {p["cd-a"], p["cd-b"], p["cd-c"]}
    assert ids_of(projections, **own) == {p["hn-a"]}
    assert ids_of(projections, **allowed_scope(Principal("root", "admin"))) == set(p.values())
    # A filter outside the scope matches nothing; it never widens the scope.
    assert ids_of(projections, jurisdiction="hunan", **city) == set()
    assert get_institution(projections.store, p["cd-b"], **district) is None
    assert get_institution(projections.store, p["hn-a"], **own) is not None
    assert count_by_status(projections.store, **own) == {"active": 1}


def test_pages_follow_name_then_id_and_end_with_no_cursor(
    app: OversightApplication, projections: Projections
) -> None:
    names = ["北京", "Beta", "alpha", "阿尔法", "Alpha", "同名", "同名", "中心"]
    ids = [
        file_approved(app, 200 + i, jurisdiction="hunan", name=name) for i, name in enumerate(names)
    ]
    projections.register.catch_up()
    expected = sorted(zip(names, ids, strict=True), key=lambda x: (x[0], str(x[1])))

    seen: list[UUID] = []
    cursor = None
    pages = 0
    while True:
        page = list_institutions(projections.store, limit=3, cursor=cursor)
        pages += 1
        assert len(page.items) <= 3
        seen.extend(e.id for e in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [iid for _, iid in expected]

    # A row inserted before the cursor's position never makes a later page repeat a row.
    first = list_institutions(projections.store, limit=4)
    file_approved(app, 300, jurisdiction="hunan", name="AAA")
    projections.register.catch_up()
    rest = list_institutions(projections.store, limit=100, cursor=first.next_cursor)
    assert [e.id for e in first.items] + [e.id for e in rest.items] == seen


def test_limits_and_cursors_are_checked(projections: Projections) -> None:
    with pytest.raises(InvalidInput) as bad_cursor:
        list_institutions(projections.store, cursor="not-a-cursor")
    assert bad_cursor.value.field == "cursor"
    with pytest.raises(InvalidInput):
        list_institutions(projections.store, limit=0)
    with pytest.raises(InvalidInput):
        list_institutions(projections.store, limit=501)
    empty = list_institutions(projections.store)
    assert (empty.items, empty.next_cursor) == ([], None)


def _grouped(projections: Projections) -> dict[tuple[str, str, str], int]:
    """The register's institutions counted by (jurisdiction, district, status) in SQL."""
    store = projections.store
    with store.reading() as session:
        rows = session.rows(
            store.dialect.sql(
                "SELECT jurisdiction, district, status, COUNT(*) AS n FROM "
                f"{store.dialect.table(INSTITUTIONS.name)} GROUP BY jurisdiction, district, status"
            )
        )
    return {(r["jurisdiction"], r["district"], r["status"]): int(r["n"]) for r in rows}


def _kept(projections: Projections) -> dict[tuple[str, str, str], int]:
    with projections.store.reading() as session:
        rows = session.rows(
            projections.store.dialect.sql(
                f"SELECT * FROM {projections.store.dialect.table(COUNTS.name)}"
            )
        )
    return {
        (r["jurisdiction"], r["district"], r["status"]): int(r["institutions"])
        for r in rows
        if int(r["institutions"])
    }


def test_the_kept_counts_are_a_group_by_over_the_register(
    app: OversightApplication, projections: Projections
) -> None:
    province(app, institutions=30, events=900, seed=7)
    register = projections.register
    register.catch_up(batch_size=37)  # many batches, an institution's events across them
    grouped = _grouped(projections)
    assert len({status for _, _, status in grouped}) > 1  # the province moved between statuses
    assert _kept(projections) == grouped
    by_status: dict[str, int] = {}
    for (jurisdiction, _, status), n in grouped.items():
        if jurisdiction == "hunan":
            by_status[status] = by_status.get(status, 0) + n
    assert count_by_status(projections.store, jurisdiction="hunan") == by_status
    register.rebuild()
    assert _kept(projections) == grouped


def test_counts_the_register_gained_after_its_rows_are_filled_from_them_on_opening(
    app: OversightApplication, projections: Projections, settings: Settings
) -> None:
    file_many(app, 6)
    projections.register.catch_up()
    grouped = _grouped(projections)
    assert grouped
    with projections.store.transaction() as session:  # as a store from before the counts
        session.execute(f"DELETE FROM {projections.store.dialect.table(COUNTS.name)}")
    assert _kept(projections) == {}
    reopened = build_projections(settings, app)
    try:
        assert _kept(reopened) == grouped
        reopened.register.catch_up()
        assert _kept(reopened) == _grouped(reopened)
    finally:
        reopened.close()
