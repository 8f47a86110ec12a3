"""The sanctions ledger: one row per decision, counted by month, article and district."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from config.settings import Settings
from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import InvalidInput
from projections import Projections
from projections.queries import allowed_scope
from projections.sanctions import ARTICLE_COUNTS, ARTICLES, COUNTS, DECISIONS
from projections.sanctions_queries import (
    ArticleCount,
    DistrictCount,
    MonthCount,
    Sanction,
    list_sanctions,
    sanctions_by_article,
    sanctions_by_district,
    sanctions_by_month,
)
from tests.conftest import FakeClock
from tests.projections.casework import LATER, Casework, day, interview_then_rectification
from tests.projections.counts import filled_on_opening, province
from tests.projections.filings import ADMIN


@dataclass
class Ledger:
    """Six decisions in three jurisdictions, each in a different state."""

    institutions: dict[str, UUID]
    decisions: dict[str, tuple[UUID, str]]


@pytest.fixture
def ledger(app: OversightApplication, projections: Projections, clock: FakeClock) -> Ledger:
    clock.set(LATER)
    chengdu, interview, rectification = interview_then_rectification(app)

    wuhou = Casework.filed(app, 2, jurisdiction="chengdu", district="武侯区", name="成都乙中心")
    unserved = wuhou.decided(
        [wuhou.finding("chengdu-2024/30.11", "2024-05-02")],
        "2024-05-10",
        defend_on="2024-05-11",
        decide_on="2024-05-15",
    )

    hunan = Casework.filed(app, 3, jurisdiction="hunan", name="湖南甲中心")
    below = hunan.case(
        [hunan.finding("hunan-2023/26.7", "2024-04-01")],
        "2024-04-10",
        decide_on="2024-04-20",
        level=1,
        below_reason="首次发生且已主动纠正",
    )

    yuelu = Casework.filed(app, 4, jurisdiction="hunan", district="岳麓区", name="湖南乙中心")
    varied = yuelu.case(
        [yuelu.finding("hunan-2023/26.7", "2024-05-01")], "2024-05-05", decide_on="2024-05-20"
    )
    yuelu.appeal(varied, "2024-06-01", "varied", new_level=1)

    huangshi = Casework.filed(app, 5, jurisdiction="huangshi", name="黄石甲中心")
    annulled = huangshi.case(
        [huangshi.finding("huangshi-2022/14.7", "2024-04-01")],
        "2024-04-10",
        decide_on="2024-04-25",
    )
    huangshi.appeal(annulled, "2024-06-05", "annulled")

    projections["sanctions"].catch_up()
    return Ledger(
        institutions={
            "chengdu": chengdu.iid,
            "wuhou": wuhou.iid,
            "hunan": hunan.iid,
            "yuelu": yuelu.iid,
            "huangshi": huangshi.iid,
        },
        decisions={
            "interview": (chengdu.iid, interview),
            "rectification": (chengdu.iid, rectification),
            "unserved": (wuhou.iid, unserved),
            "below": (hunan.iid, below),
            "varied": (yuelu.iid, varied),
            "annulled": (huangshi.iid, annulled),
        },
    )


def every_sanction(projections: Projections, **filters: Any) -> list[Sanction]:
    page = list_sanctions(projections.store, limit=500, **filters)
    assert page.next_cursor is None
    return page.items


def keys(items: list[Sanction]) -> set[tuple[UUID, str]]:
    return {(s.institution_id, s.decision_id) for s in items}


def expected_sanction(app: OversightApplication, iid: UUID, decision_id: str) -> dict[str, Any]:
    """What the ledger must show for a decision: the aggregate's facts about it."""
    inst = app.records.institution(ADMIN.principal, iid)
    decision = inst.decisions[decision_id]
    return {
        "institution": (inst.id, inst.name, inst.jurisdiction, inst.district),
        "case_id": decision["case_id"],
        "level_in_force": decision["level"],
        "actions_in_force": list(decision["actions"]),
        "articles": list(decision["articles"]),
        "decided_on": decision["decided_on"],
        "served_on": decision["served_on"],
        "annulled": decision["rescinded"],
        "below_requirement": decision["below_requirement"],
    }


def shown(s: Sanction) -> dict[str, Any]:
    return {
        "institution": (s.institution_id, s.institution_name, s.jurisdiction, s.district),
        "case_id": s.case_id,
        "level_in_force": s.effective_level,
        "actions_in_force": list(s.new_actions if s.status == "varied" else s.actions),
        "articles": list(s.articles),
        "decided_on": s.decided_on,
        "served_on": s.served_on,
        "annulled": s.status == "annulled",
        "below_requirement": s.below_requirement,
    }


def test_catch_up_writes_one_row_per_decision_as_the_events_state_it(
    app: OversightApplication, projections: Projections, ledger: Ledger
) -> None:
    rows = {(s.institution_id, s.decision_id): s for s in every_sanction(projections)}

    assert set(rows) == set(ledger.decisions.values())
    for iid, decision_id in ledger.decisions.values():
        assert shown(rows[iid, decision_id]) == expected_sanction(app, iid, decision_id)

    by_name = {name: rows[key] for name, key in ledger.decisions.items()}
    assert {name: s.status for name, s in by_name.items()} == {
        "interview": "served",
        "rectification": "served",
        "unserved": "decided",
        "below": "served",
        "varied": "varied",
        "annulled": "annulled",
    }
    interview = by_name["interview"]
    assert (interview.level, interview.month, interview.district) == (1, "2024-04", "锦江区")
    assert interview.articles == ("chengdu-2024/30.11",)
    assert interview.requirement_level == 1
    rectification = by_name["rectification"]
    assert (rectification.level, rectification.articles) == (2, ("chengdu-2024/31.1",))
    assert rectification.served_on is not None
    assert rectification.served_on.isoformat() == "2024-06-25"
    below = by_name["below"]
    assert below.below_requirement
    assert (below.level, below.requirement_level) == (1, 2)
    assert below.requirement_article == "hunan-2023/26.7"
    varied = by_name["varied"]
    assert (varied.level, varied.new_level, varied.effective_level) == (2, 1, 1)
    assert "interview" in varied.new_actions
    assert varied.appeal_decided_on is not None
    assert varied.appeal_decided_on.isoformat() == "2024-06-01"
    annulled = by_name["annulled"]
    assert annulled.appeal_decided_on is not None
    assert annulled.appeal_decided_on.isoformat() == "2024-06-05"
    assert by_name["unserved"].served_on is None
    assert not any(s.below_requirement for n, s in by_name.items() if n != "below")


def test_counts_leave_out_annulled_decisions_and_count_varied_ones_at_the_new_level(
    app: OversightApplication, projections: Projections, ledger: Ledger
) -> None:
    store = projections.store
    assert sanctions_by_month(store) == [
        MonthCount("2024-04", 1, 2),  # the interview and the decision below the requirement
        MonthCount("2024-05", 1, 2),  # the unserved decision and the one varied to level 1
        MonthCount("2024-06", 2, 1),
    ]
    assert sanctions_by_district(store) == sorted(
        [
            DistrictCount("锦江区", 1, 1),
            DistrictCount("锦江区", 2, 1),
            DistrictCount("武侯区", 1, 1),
            DistrictCount("长沙市", 1, 1),
            DistrictCount("岳麓区", 1, 1),
        ]
    )

    expected: Counter[tuple[str, int]] = Counter()
    for iid, decision_id in ledger.decisions.values():
        decision = app.records.institution(ADMIN.principal, iid).decisions[decision_id]
        if not decision["rescinded"]:
            expected.update((article, decision["level"]) for article in decision["articles"])
    assert sanctions_by_article(store) == [
        ArticleCount(article, level, n) for (article, level), n in sorted(expected.items())
    ]
    assert ("huangshi-2022/14.7", 1) not in expected
    # The annulled decision is still listed, with its status.
    assert [s.status for s in every_sanction(projections, jurisdiction="huangshi")] == ["annulled"]
    assert sanctions_by_month(store, jurisdiction="huangshi") == []


def test_filters_match_exactly(projections: Projections, ledger: Ledger) -> None:
    d = ledger.decisions

    def listed(**filters: Any) -> set[tuple[UUID, str]]:
        return keys(every_sanction(projections, **filters))

    assert listed(jurisdiction="chengdu") == {d["interview"], d["rectification"], d["unserved"]}
    assert listed(jurisdiction="chengdu", district="武侯区") == {d["unserved"]}
    assert listed(level=2) == {d["rectification"]}  # the varied one is now level 1
    assert listed(level=1, jurisdiction="hunan") == {d["below"], d["varied"]}
    assert listed(article="chengdu-2024/31.1") == {d["rectification"]}
    assert listed(article="chengdu-2024/31") == set()
    assert listed(status="annulled") == {d["annulled"]}
    assert listed(status="decided") == {d["unserved"]}
    assert listed(month_from="2024-05", month_to="2024-05") == {d["unserved"], d["varied"]}
    assert listed(month_from="2024-06") == {d["rectification"]}
    assert listed(month_to="2024-03") == set()
    assert listed(institution_id=ledger.institutions["hunan"]) == {d["below"]}

    store = projections.store
    assert sanctions_by_month(store, article="chengdu-2024/30.11") == [
        MonthCount("2024-04", 1, 1),
        MonthCount("2024-05", 1, 1),
    ]
    assert sanctions_by_article(store, article="chengdu-2024/31.1") == [
        ArticleCount("chengdu-2024/31.1", 2, 1)
    ]
    assert sanctions_by_district(store, level=2) == [DistrictCount("锦江区", 2, 1)]

    with pytest.raises(InvalidInput) as bad_month:
        list_sanctions(store, month_from="2024-13")
    assert bad_month.value.field == "month_from"
    with pytest.raises(InvalidInput):
        sanctions_by_month(store, month_to="2024-6")
    with pytest.raises(InvalidInput):
        list_sanctions(store, status="rescinded")
    with pytest.raises(InvalidInput):
        list_sanctions(store, limit=0)
    # A filter the ledger does not know is refused, not ignored.
    unknown: dict[str, Any] = {"levle": 2}
    with pytest.raises(TypeError, match="unexpected filters: levle"):
        list_sanctions(store, **unknown)
    with pytest.raises(TypeError, match="unexpected filters: levle"):
        sanctions_by_district(store, **unknown)


def test_the_callers_scope_confines_every_read(projections: Projections, ledger: Ledger) -> None:
    d = ledger.decisions
    store = projections.store
    district = allowed_scope(Principal("wang", "regulator", "chengdu", "锦江区"))
    city = allowed_scope(Principal("zhao", "regulator", "chengdu"))
    own = allowed_scope(
        Principal("inst", "institution", institution_id=ledger.institutions["yuelu"])
    )

    assert keys(every_sanction(projections, **district)) == {d["interview"], d["rectification"]}
    assert keys(every_sanction(projections, **city)) == {
        d["interview"],
        d["rectification"],
        d["unserved"],
    }
    assert keys(every_sanction(projections, **own)) == {d["varied"]}
    assert keys(every_sanction(projections, **allowed_scope(Principal("root", "admin")))) == set(
        d.values()
    )
    # A filter outside the scope matches nothing; it never widens the scope.
    assert every_sanction(projections, jurisdiction="hunan", **city) == []
    assert every_sanction(projections, district="武侯区", **district) == []

    assert sanctions_by_month(store, **district) == [
        MonthCount("2024-04", 1, 1),
        MonthCount("2024-06", 2, 1),
    ]
    assert sanctions_by_district(store, **city) == [
        DistrictCount("武侯区", 1, 1),
        DistrictCount("锦江区", 1, 1),
        DistrictCount("锦江区", 2, 1),
    ]
    assert sanctions_by_article(store, **own) == [ArticleCount("hunan-2023/26.7", 1, 1)]


def test_pages_run_newest_decision_first_and_end_with_no_cursor(
    projections: Projections, ledger: Ledger
) -> None:
    everything = every_sanction(projections)
    assert [s.decided_on for s in everything] == sorted(
        (s.decided_on for s in everything), reverse=True
    )

    seen: list[Sanction] = []
    cursor = None
    pages = 0
    while True:
        page = list_sanctions(projections.store, limit=2, cursor=cursor)
        pages += 1
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == everything

    with pytest.raises(InvalidInput) as bad:
        list_sanctions(projections.store, cursor="not-a-cursor")
    assert bad.value.field == "cursor"


def test_the_month_is_the_business_date_in_shanghai_not_the_utc_date(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    # 2024-12-31 16:30 UTC is already 2025-01-01 in Shanghai.
    clock.set("2024-12-31", hour=16)
    clock.advance(minutes=30)
    assert app.ledger.today().isoformat() == "2025-01-01"
    inst = Casework.filed(app, 9, jurisdiction="hunan")
    old_year = inst.case(
        [inst.finding("hunan-2023/25.9", "2024-12-01")], "2024-12-20", decide_on="2024-12-31"
    )
    inst.interview(old_year, "2024-12-31")
    new_year = inst.case(
        [inst.finding("hunan-2023/25.1", "2024-12-02")], "2024-12-21", decide_on="2025-01-01"
    )
    projections["sanctions"].catch_up()

    months = {s.decision_id: s.month for s in every_sanction(projections)}
    assert months == {old_year: "2024-12", new_year: "2025-01"}
    assert keys(every_sanction(projections, month_from="2025-01")) == {(inst.iid, new_year)}


def test_the_district_is_the_one_filed_when_the_decision_was_made(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set(LATER)
    inst = Casework.filed(app, 10, jurisdiction="chengdu", name="旧名称中心")
    before = inst.case(
        [inst.finding("chengdu-2024/30.11", "2024-04-01")], "2024-04-10", decide_on="2024-04-25"
    )
    app.filing.change_details(
        ADMIN, inst.iid, day("2024-04-30"), {"name": "新名称中心", "district": "武侯区"}
    )
    after = inst.case(
        [inst.finding("chengdu-2024/30.1", "2024-05-01")], "2024-05-10", decide_on="2024-05-25"
    )
    projections["sanctions"].catch_up()

    rows = {s.decision_id: s for s in every_sanction(projections)}
    assert (rows[before].institution_name, rows[before].district) == ("旧名称中心", "锦江区")
    assert (rows[after].institution_name, rows[after].district) == ("新名称中心", "武侯区")
    assert sanctions_by_district(projections.store) == [
        DistrictCount("武侯区", 1, 1),
        DistrictCount("锦江区", 1, 1),
    ]


def _grouped(projections: Projections) -> tuple[dict[tuple[Any, ...], int], ...]:
    """The decisions in force counted in SQL from the rows: by (jurisdiction, district,
    month, level in force) and by (jurisdiction, district, article, level in force)."""
    store = projections.store
    d = store.dialect
    decisions, articles = d.table(DECISIONS.name), d.table(ARTICLES.name)
    place = "s.jurisdiction, s.district"
    statements = (
        f"SELECT {place}, s.month AS grp, s.effective_level AS level, COUNT(*) AS n"
        f" FROM {decisions} s WHERE s.status <> 'annulled'"
        f" GROUP BY {place}, s.month, s.effective_level",
        f"SELECT {place}, a.article AS grp, s.effective_level AS level, COUNT(*) AS n"
        f" FROM {decisions} s JOIN {articles} a"
        " ON a.institution_id = s.institution_id AND a.decision_id = s.decision_id"
        f" WHERE s.status <> 'annulled' GROUP BY {place}, a.article, s.effective_level",
    )
    with store.reading() as session:
        return tuple(
            {
                (r["jurisdiction"], r["district"], r["grp"], int(r["level"])): int(r["n"])
                for r in session.rows(d.sql(statement))
            }
            for statement in statements
        )


def _kept(projections: Projections) -> tuple[dict[tuple[Any, ...], int], ...]:
    store = projections.store
    kept = []
    with store.reading() as session:
        for table, group in ((COUNTS, "month"), (ARTICLE_COUNTS, "article")):
            rows = session.rows(f"SELECT * FROM {store.dialect.table(table.name)}")
            kept.append(
                {
                    (r["jurisdiction"], r["district"], r[group], int(r["level"])): int(
                        r["decisions"]
                    )
                    for r in rows
                }
            )
    return tuple(kept)


def test_the_kept_counts_are_a_group_by_over_the_decisions(
    app: OversightApplication, projections: Projections
) -> None:
    province(app, institutions=40, events=2400, seed=11)
    sanctions = projections["sanctions"]
    sanctions.catch_up(batch_size=37)  # many batches, a decision's events across them
    by_month, by_article = grouped = _grouped(projections)
    assert by_month
    assert by_article
    assert _kept(projections) == grouped
    store = projections.store
    assert sanctions_by_district(store) == sorted(
        DistrictCount(district, level, n)
        for district, level, n in _summed(by_month, lambda k: (k[1], k[3]))
    )
    assert sanctions_by_article(store, jurisdiction="hunan") == sorted(
        ArticleCount(article, level, n)
        for article, level, n in _summed(
            {k: n for k, n in by_article.items() if k[0] == "hunan"}, lambda k: (k[2], k[3])
        )
    )
    sanctions.rebuild()
    assert _kept(projections) == grouped


def _summed(counts: dict[tuple[Any, ...], int], key: Any) -> list[tuple[Any, int, int]]:
    summed: Counter[tuple[Any, int]] = Counter()
    for k, n in counts.items():
        summed[key(k)] += n
    return [(group, level, n) for (group, level), n in summed.items()]


def test_counts_the_ledger_gained_after_its_rows_are_filled_from_them_on_opening(
    app: OversightApplication, projections: Projections, settings: Settings, ledger: Ledger
) -> None:
    projections["sanctions"].catch_up()
    grouped = _grouped(projections)
    assert all(grouped)
    assert filled_on_opening(app, projections, settings, (COUNTS, ARTICLE_COUNTS), _kept) == grouped
