"""The worklist names each item's officer; "assigned to me" lists one officer's items, and a
reassignment moves an item from one officer's queue to the other's."""

from __future__ import annotations

from datetime import date

import pytest

from domain.application import OversightApplication
from domain.errors import InvalidInput, NotFound
from projections import Projections
from projections.worklist_queries import WorklistItems, worklist
from tests.conftest import FakeClock
from tests.projections.casework import LATER, Casework, day
from tests.projections.filings import ADMIN

AS_OF = date(2024, 5, 15)


def assign(work: Casework, kind: str, item: str, officer: str, reason: str = "") -> None:
    work.app.officers.assign_officer(
        ADMIN,
        work.iid,
        day("2024-05-01"),
        item_kind=kind,
        item_id=item,
        officer=officer,
        reason=reason,
    )


def queue(projections: Projections, officer: str | None) -> WorklistItems:
    projections["worklist"].catch_up()
    return worklist(projections.store, as_of=AS_OF, officer=officer)


@pytest.fixture
def work(app: OversightApplication, clock: FakeClock) -> Casework:
    clock.set(LATER)
    return Casework.filed(app, 1, jurisdiction="hunan", name="湖南甲中心")


def test_reassignment_moves_a_case_between_the_officers_queues(
    work: Casework, projections: Projections
) -> None:
    case_id = work.open_case([work.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10")
    other = work.open_case([work.finding("hunan-2023/26.7", "2024-04-02")], "2024-04-10")
    assign(work, "case", case_id, "li.wei")
    assert [c.case_id for c in queue(projections, "li.wei").cases] == [case_id]
    assert queue(projections, "zhao.min").cases == ()
    everyone = {c.case_id: c.officer for c in queue(projections, None).cases}
    assert everyone == {case_id: "li.wei", other: None}

    assign(work, "case", case_id, "zhao.min", "李伟调岗")
    assert queue(projections, "li.wei").cases == ()
    assert [c.case_id for c in queue(projections, "zhao.min").cases] == [case_id]


def test_the_file_officer_has_every_item_without_an_officer_of_its_own(
    work: Casework, projections: Projections
) -> None:
    open_finding = work.finding("hunan-2023/26.7", "2024-04-20")
    decision = work.case(
        [work.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    case_id = work.case_id
    assign(work, "file", "", "wang.fang")
    mine = queue(projections, "wang.fang")
    assert [f.finding_id for f in mine.findings] == [open_finding]
    assert [r.decision_id for r in mine.rectifications] == [decision]

    # The case's officer takes the rectification its decision ordered; the finding stays.
    assign(work, "case", case_id, "li.wei")
    assert [r.decision_id for r in queue(projections, "li.wei").rectifications] == [decision]
    mine = queue(projections, "wang.fang")
    assert mine.rectifications == ()
    assert [f.finding_id for f in mine.findings] == [open_finding]


def test_an_assignment_to_nothing_is_refused_and_writes_nothing(
    work: Casework, projections: Projections
) -> None:
    version = work.institution().version
    with pytest.raises(NotFound):
        assign(work, "case", "C-9", "li.wei")
    assign(work, "file", "", "wang.fang")  # a first assignment needs no reason
    with pytest.raises(InvalidInput):
        assign(work, "file", "", "zhao.min")  # a reassignment does
    assert work.institution().version == version + 1
