"""The views the dashboard pages read: an institution's file and the filter choices.

The demo data is loaded through the application's commands and the read models caught up,
as in ``test_pages.py``; the views are read directly, then once through the page.
"""

from __future__ import annotations

from datetime import date

import pytest

from bootstrap.demo import load_demo
from domain.access import Principal
from domain.errors import Forbidden
from projections.dashboard import choices
from projections.filters import every_row
from projections.institution_file import institution_file
from projections.queries import MAX_LIMIT, Page, RegisterEntry, list_institutions
from tests.api.conftest import Api
from tests.api.test_pages import browser_for, iid

XIANGJIANG = "湖南湘江职业技能鉴定所"
ADMIN = Principal(subject="admin.view", role="admin")


@pytest.fixture
def shown(api: Api) -> Api:
    api.clock.set("2026-11-23")
    load_demo(api.app)
    api.catch_up()
    return api


def test_the_file_carries_both_clocks_and_the_authors_but_no_contact_details(shown: Api) -> None:
    view = institution_file(shown.app, ADMIN, iid(XIANGJIANG), None)
    assert view.as_of == date(2026, 11, 23)
    assert [e.version for e in view.timeline] == list(range(1, len(view.timeline) + 1))
    first = view.timeline[0]
    assert (first.name, first.occurred_on) == ("FilingSubmitted", date(2023, 8, 25))
    assert first.recorded_at.date() == date(2026, 11, 23)
    assert first.recorded_later == (date(2026, 11, 23) - date(2023, 8, 25)).days
    assert (first.actor, first.role) == ("demo.admin", "admin")
    assert "name" in first.data
    assert not {"contact", "legal_representative"} & set(first.data)


def test_the_grounds_of_the_file_name_events_on_its_timeline(shown: Api) -> None:
    view = institution_file(shown.app, ADMIN, iid(XIANGJIANG), None)
    assert view.requirement is not None
    assert view.requirement.level == 2
    assert "hunan-2023/26.1" in {g.article for _, g in view.grounds}
    versions = {e.version for e in view.timeline}
    refs = [r for _, g in view.grounds for r in g.events]
    assert refs
    assert {r.version for r in refs} <= versions
    # Before the second finding nothing is undecided.
    earlier = institution_file(shown.app, ADMIN, iid(XIANGJIANG), date(2025, 6, 1))
    assert earlier.requirement is None
    assert earlier.grounds == ()


def test_the_file_lists_cases_until_served_and_decisions_newest_first(shown: Api) -> None:
    view = institution_file(shown.app, ADMIN, iid(XIANGJIANG), None)
    assert view.open_cases == ()
    assert [d.decision_id for d in view.decisions] == ["D-1"]
    finding = view.requirement.findings[0].finding_id if view.requirement else ""
    opened = shown.post(
        f"/api/v1/institutions/{iid(XIANGJIANG)}/cases",
        {"finding_ids": [finding], "occurred_on": "2026-11-20"},
    )
    assert opened.status_code == 201, opened.text
    (case,) = institution_file(shown.app, ADMIN, iid(XIANGJIANG), None).open_cases
    assert (case.step, case.finding_ids, case.intended_level) == ("opened", (finding,), None)
    # A case opened but not yet noticed has no intended level to show.
    page = browser_for(shown, shown.admin).get(f"/institutions/{iid(XIANGJIANG)}").text
    cases = page[page.index('id="cases"') : page.index('id="decisions"')]
    assert case.case_id in cases
    assert 'class="badge level-"' not in cases


def test_the_file_is_refused_outside_the_callers_scope(shown: Api) -> None:
    chengdu = Principal(subject="r", role="regulator", jurisdiction="chengdu")
    with pytest.raises(Forbidden):
        institution_file(shown.app, chengdu, iid(XIANGJIANG), None)


def test_a_regulator_chooses_only_in_its_jurisdiction_and_district(shown: Api) -> None:
    everything = choices(shown.app, ADMIN)
    assert len(everything.jurisdictions) > 1
    assert not everything.fixed_jurisdiction
    assert everything.fixed_district is None
    jinjiang = Principal(subject="r", role="regulator", jurisdiction="chengdu", district="锦江区")
    own = choices(shown.app, jinjiang)
    assert own.jurisdictions == ("chengdu",)
    assert own.fixed_jurisdiction
    assert own.fixed_district == "锦江区"


def test_every_row_reads_a_list_page_by_page(shown: Api) -> None:
    store = shown.client.app.state.projections.store  # type: ignore[attr-defined]

    def two_at_a_time(cursor: str | None, limit: int) -> Page[RegisterEntry]:
        calls.append(cursor)
        return list_institutions(store, limit=2, cursor=cursor)

    calls: list[str | None] = []
    names = [e.name for e in every_row(two_at_a_time)]
    everyone = [e.name for e in list_institutions(store, limit=MAX_LIMIT).items]
    assert names == everyone
    assert len(everyone) > 2
    assert len(calls) == -(-len(everyone) // 2)  # one read a page, none after the last
    assert calls[0] is None
