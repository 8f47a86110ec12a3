"""The public disclosure list: each publication starts and ends on the dates the events state."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pytest

from domain.application import OversightApplication
from projections import Projections
from projections.disclosure import ENTRIES
from projections.disclosure_queries import (
    DisclosureEntry,
    public_entries,
    publication_history,
)
from tests.conftest import FakeClock
from tests.projections.casework import LATER, Casework, day
from tests.projections.filings import credit_code


def listed(projections: Projections, on: str, jurisdiction: str | None = None) -> set[str]:
    """(kind, decision) of the entries in force on ``on``."""
    return {
        f"{e.kind}:{e.decision_id}"
        for e in public_entries(projections.store, day(on), jurisdiction=jurisdiction)
    }


@pytest.fixture
def huangshi(app: OversightApplication, clock: FakeClock) -> tuple[Casework, str, str]:
    """A warning (rectified) and then a market ban of three years, in Huangshi."""
    clock.set(LATER)
    inst = Casework.filed(app, 1, jurisdiction="huangshi", name="黄石某评价中心")
    inst.interviewed("huangshi-2022/14.7")
    warned = inst.finding("huangshi-2022/15.5", "2024-06-15")
    warning = inst.case([warned], "2024-06-20", decide_on="2024-07-01")
    inst.rectify(warning, "2024-07-15", "2024-07-25")
    relapse = inst.finding("huangshi-2022/14.3", "2024-09-01")
    ban = inst.case([relapse], "2024-09-10", decide_on="2024-09-25")
    return inst, warning, ban


def test_a_huangshi_warning_and_its_three_year_ban_start_and_end_on_their_dates(
    projections: Projections, huangshi: tuple[Casework, str, str]
) -> None:
    inst, warning, ban = huangshi
    projections["disclosure"].catch_up()

    assert listed(projections, "2024-06-30") == set()
    # The warning is published on the order's date: the rectification notice and the entry
    # in the abnormal-activity list.
    on_warning = {f"rectification_notice:{warning}", f"abnormal_activity_list:{warning}"}
    assert listed(projections, "2024-07-01") == on_warning
    assert listed(projections, "2024-07-24") == on_warning
    # Accepting the rectification ends the notice that day; the list entry stays.
    assert listed(projections, "2024-07-25") == {f"abnormal_activity_list:{warning}"}
    assert listed(projections, "2024-09-24") == {f"abnormal_activity_list:{warning}"}
    # The revocation and its ban are published on the revocation date.
    on_ban = {f"abnormal_activity_list:{warning}", f"revocation:{ban}", f"ban:{ban}"}
    assert listed(projections, "2024-09-25") == on_ban
    assert listed(projections, "2027-09-24") == on_ban
    # The ban runs three years: on 2027-09-25 a new filing is allowed again.
    assert listed(projections, "2027-09-25") == on_ban - {f"ban:{ban}"}
    assert listed(projections, "2027-09-25", jurisdiction="hunan") == set()

    history = publication_history(projections.store, inst.iid)
    assert [(e.kind, e.published_on, e.ends_on, e.ended_reason) for e in history] == [
        ("abnormal_activity_list", date(2024, 7, 1), None, None),
        ("rectification_notice", date(2024, 7, 1), date(2024, 7, 25), "accepted"),
        ("ban", date(2024, 9, 25), date(2027, 9, 25), "ban_expired"),
        ("revocation", date(2024, 9, 25), None, None),
    ]
    entry = history[1]
    assert (entry.institution_name, entry.credit_code, entry.jurisdiction) == (
        "黄石某评价中心",
        credit_code(1),
        "huangshi",
    )
    assert entry.articles == ("huangshi-2022/15.5",)
    assert history[3].articles == ("huangshi-2022/16.6",)
    assert inst.institution().ban_until == date(2027, 9, 25)


def test_an_annulment_ends_every_entry_of_the_decision_on_the_appeal_date(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set(LATER)
    notice = Casework.filed(app, 2, jurisdiction="hunan", name="湖南甲中心")
    rectification = notice.case(
        [notice.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    notice.appeal(rectification, "2024-05-05", "annulled")

    revoked = Casework.filed(app, 3, jurisdiction="hunan", name="湖南乙中心")
    revocation = revoked.case(
        [revoked.finding("hunan-2023/27.2", "2024-05-01")], "2024-05-10", decide_on="2024-06-20"
    )
    assert revoked.institution().ban_indefinite
    projections["disclosure"].catch_up()
    # Hunan bans have no end: the ban is listed whatever the date.
    assert listed(projections, "2099-01-01") == {
        f"revocation:{revocation}",
        f"ban:{revocation}",
    }
    revoked.appeal(revocation, "2024-08-01", "annulled")
    projections["disclosure"].catch_up()

    assert listed(projections, "2024-04-20") == {f"rectification_notice:{rectification}"}
    assert listed(projections, "2024-05-04") == {f"rectification_notice:{rectification}"}
    assert listed(projections, "2024-05-05") == set()
    assert listed(projections, "2024-07-31") == {f"revocation:{revocation}", f"ban:{revocation}"}
    assert listed(projections, "2024-08-01") == set()

    ended = {
        (e.kind, e.ends_on, e.ended_reason)
        for e in publication_history(projections.store, jurisdiction="hunan")
    }
    assert ended == {
        ("rectification_notice", date(2024, 5, 5), "annulled"),
        ("revocation", date(2024, 8, 1), "annulled"),
        ("ban", date(2024, 8, 1), "annulled"),
    }


def test_a_variation_ends_the_old_publication_and_an_upheld_appeal_changes_nothing(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set(LATER)
    inst = Casework.filed(app, 4, jurisdiction="hunan")
    varied = inst.case(
        [inst.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    inst.appeal(varied, "2024-05-10", "varied", new_level=1)
    other = Casework.filed(app, 5, jurisdiction="hunan")
    upheld = other.case(
        [other.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    other.appeal(upheld, "2024-05-10", "upheld")
    projections["disclosure"].catch_up()

    assert listed(projections, "2024-05-09") == {
        f"rectification_notice:{varied}",
        f"rectification_notice:{upheld}",
    }
    assert listed(projections, "2024-05-10") == {f"rectification_notice:{upheld}"}
    (entry,) = publication_history(projections.store, inst.iid)
    assert (entry.ends_on, entry.ended_reason) == (date(2024, 5, 10), "varied")


def test_the_list_holds_no_personal_data(
    projections: Projections, huangshi: tuple[Casework, str, str]
) -> None:
    projections["disclosure"].catch_up()
    history = publication_history(projections.store)
    assert history
    assert set(DisclosureEntry.__dataclass_fields__) == {
        "entry_id",
        "kind",
        "institution_id",
        "institution_name",
        "credit_code",
        "jurisdiction",
        "decision_id",
        "articles",
        "published_on",
        "ends_on",
        "ended_reason",
    }
    assert set(ENTRIES.column_names) == set(DisclosureEntry.__dataclass_fields__)
    # The filing's legal representative, contact person, phone and address never appear.
    text = repr([asdict(e) for e in history])
    for personal in ("王某", "李某", "000-00000000", "某路1号"):
        assert personal not in text
