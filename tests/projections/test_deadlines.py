"""The deadlines read model (both backends): the deadline watcher and the notice pass that
read only the records it has something due for find what a scan of every record finds.

Over a generated province (filings of the three rulebooks with batches, complaints,
findings, cases and appeals) and records with deadlines left to run out (a defence
period, a rectification not reported), day after day: the
watcher's pass from the read model, then a full scan on the same day, which must find
nothing left to record; and the notices due from the read model are those due from every
institution."""

from __future__ import annotations

from datetime import date, timedelta

from domain.application import OversightApplication
from projections import Projections
from projections.deadlines import DueIndex
from projections.notices import due_notices
from tests.conftest import FakeClock
from tests.projections.casework import Casework
from tests.projections.counts import province
from tests.projections.filings import ADMIN
from workers import deadlines

DAYS = {"defence": 3, "rectification": 7, "opinion_report": 7, "expiry": 30, "lapse": 30}


def _open_deadlines(app: OversightApplication, clock: FakeClock) -> None:
    """A noticed case, and a rectification left unreported."""
    clock.set("2026-05-20")
    noticed = Casework.filed(app, 901, jurisdiction="chengdu", name="成都甲中心")
    case_id = noticed.open_case([noticed.finding("chengdu-2024/30.11", "2026-05-01")], "2026-05-05")
    noticed.notice(case_id, "2026-05-20", defence_days=10)
    ordered = Casework.filed(app, 902, jurisdiction="hunan", name="湖南乙中心")
    decision = ordered.case(
        [ordered.finding("hunan-2023/26.7", "2026-04-01")], "2026-04-10", decide_on="2026-04-20"
    )
    app.officers.assign_officer(
        ADMIN,
        ordered.iid,
        date(2026, 5, 20),
        item_kind="rectification",
        item_id=decision,
        officer="li.wei",
    )


def test_the_passes_from_the_read_model_find_what_a_full_scan_finds(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    province(app, institutions=24, events=700, seed=13)
    _open_deadlines(app, clock)
    index = DueIndex(projections)
    recorded: dict[str, int] = {}
    noticed = 0
    on = date(2026, 5, 25)
    while on < date(2032, 1, 1):
        clock.set(on.isoformat())
        wanted = set(due_notices(app, on, DAYS))
        assert set(due_notices(app, on, DAYS, index.to_notice(on, DAYS))) == wanted
        noticed += len(wanted)
        for name, n in deadlines.run_once(app, on, index=index).items():
            recorded[name] = recorded.get(name, 0) + n
        assert deadlines.run_once(app, on) == {}, f"left for a full scan on {on}"
        assert deadlines.run_once(app, on, index=index) == {}
        on += timedelta(days=9)
    # The province reached every kind of deadline the watcher records.
    assert {"FilingExpired", "FilingLapsed", "RectificationOverdue"} <= set(recorded)
    assert recorded.get("FindingRecorded", 0) > 0  # inactivity, overdue rectification
    assert noticed > 0


def test_a_record_with_nothing_due_is_not_read(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set("2026-05-20")
    work = Casework.filed(app, 904, on=date(2026, 5, 1), jurisdiction="hunan", name="湖南丁中心")
    index = DueIndex(projections)
    inst = work.institution()
    assert inst.valid_until is not None
    assert index.to_watch(date(2026, 5, 20)) == []
    assert work.iid in index.to_watch(inst.valid_until + timedelta(days=1))
    assert index.to_notice(inst.valid_until - timedelta(days=31), DAYS) == []
    assert index.to_notice(inst.valid_until - timedelta(days=30), DAYS) == [work.iid]
