"""The regulator's worklist: open findings, cases by step, rectifications, flagged decisions
and pending appeals, with deadlines flagged against a date the caller passes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import pytest

from config.settings import Settings
from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import InvalidInput
from projections import Projections
from projections.queries import allowed_scope
from projections.worklist import FINDING_COUNTS, FINDINGS, INSTITUTIONS
from projections.worklist_queries import WorklistItems, worklist, worklist_counts
from tests.conftest import FakeClock
from tests.projections.casework import LATER, Casework, day
from tests.projections.counts import filled_on_opening, province
from tests.projections.filings import ADMIN

AS_OF = date(2024, 5, 15)


Key = tuple[UUID, str]


@dataclass
class Desk:
    """Work in every state, at six institutions."""

    places: dict[str, Casework] = field(default_factory=dict)
    findings: dict[str, Key] = field(default_factory=dict)
    cases: dict[str, Key] = field(default_factory=dict)
    decisions: dict[str, Key] = field(default_factory=dict)
    appeals: dict[str, Key] = field(default_factory=dict)


def _every_step(app: OversightApplication, desk: Desk) -> None:
    """Chengdu, 锦江区: a finding of each state and a case at each step."""
    a = desk.places["a"] = Casework.filed(app, 1, jurisdiction="chengdu", name="成都甲中心")
    served = a.case(
        [a.finding("chengdu-2024/30.11", "2024-04-01")], "2024-04-10", decide_on="2024-04-25"
    )
    served_case = a.case_id
    open_finding = a.finding("chengdu-2024/30.11", "2024-05-01")
    dismissed = a.finding("chengdu-2024/30.1", "2024-05-02")
    a.dismiss(dismissed, "2024-05-03")
    opened = a.open_case([a.finding("chengdu-2024/30.9", "2024-05-04")], "2024-05-10")
    noticed = a.open_case([a.finding("chengdu-2024/30.3", "2024-05-05")], "2024-05-10")
    a.notice(noticed, "2024-05-12", defence_days=10)
    unserved = a.decided(
        [a.finding("chengdu-2024/30.5", "2024-05-06")],
        "2024-05-10",
        defend_on="2024-05-11",
        decide_on="2024-05-20",
    )
    desk.findings.update(open=(a.iid, open_finding), dismissed=(a.iid, dismissed))
    desk.cases.update(
        opened=(a.iid, opened),
        noticed=(a.iid, noticed),
        decided=(a.iid, a.case_id),
        served=(a.iid, served_case),
    )
    desk.decisions.update(served=(a.iid, served), unserved=(a.iid, unserved))


def _rectifications(app: OversightApplication, desk: Desk) -> None:
    """Rectifications ordered, overdue and accepted."""
    # Hunan, 长沙市: a rectification ordered (deadline 2024-05-20).
    b = desk.places["b"] = Casework.filed(app, 2, jurisdiction="hunan", name="湖南甲中心")
    ordered = b.case(
        [b.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    # Hunan, 岳麓区: a rectification reported, then marked overdue by the deadline watcher.
    c = desk.places["c"] = Casework.filed(
        app, 3, jurisdiction="hunan", district="岳麓区", name="湖南乙中心"
    )
    overdue = c.case(
        [c.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    c.report(overdue, "2024-05-01")
    assert (
        app.cases.advance_casework(c.iid, date(2024, 6, 1), "deadlines")[0]
        == "RectificationOverdue"
    )
    # Huangshi: a warning whose rectification was accepted.
    d = desk.places["d"] = Casework.filed(app, 4, jurisdiction="huangshi", name="黄石甲中心")
    accepted = d.case(
        [d.finding("huangshi-2022/15.5", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    d.rectify(accepted, "2024-05-01", "2024-05-08")
    desk.decisions.update(
        ordered=(b.iid, ordered), overdue=(c.iid, overdue), accepted=(d.iid, accepted)
    )


def _appeals(app: OversightApplication, desk: Desk) -> None:
    """Hunan: a decision below the requirement, appealed (pending), and a rectification
    annulled on appeal (lifted)."""
    e = desk.places["e"] = Casework.filed(app, 5, jurisdiction="hunan", name="湖南丙中心")
    below = e.case(
        [e.finding("hunan-2023/26.7", "2024-04-01")],
        "2024-04-10",
        decide_on="2024-04-20",
        level=1,
        below_reason="首次发生且已主动纠正",
    )
    pending = e.file_appeal(below, "2024-05-02")
    f = desk.places["f"] = Casework.filed(app, 6, jurisdiction="hunan", name="湖南丁中心")
    lifted = f.case(
        [f.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    annulment = f.appeal(lifted, "2024-05-05", "annulled")
    desk.decisions.update(below=(e.iid, below), lifted=(f.iid, lifted))
    desk.appeals.update(pending=(e.iid, pending), decided=(f.iid, annulment))


@pytest.fixture
def desk(app: OversightApplication, projections: Projections, clock: FakeClock) -> Desk:
    clock.set(LATER)
    desk = Desk()
    _every_step(app, desk)
    _rectifications(app, desk)
    _appeals(app, desk)
    projections["worklist"].catch_up()
    return desk


def everything(projections: Projections, as_of: date = AS_OF, **kwargs: object) -> WorklistItems:
    items = worklist(projections.store, as_of=as_of, include_closed=True, **kwargs)  # type: ignore[arg-type]
    assert items.truncated == ()
    return items


def test_catch_up_copies_the_state_the_aggregates_reach(
    app: OversightApplication, projections: Projections, desk: Desk
) -> None:
    items = everything(projections)
    findings = {(f.institution_id, f.finding_id): f.state for f in items.findings}
    cases = {(c.institution_id, c.case_id): c.step for c in items.cases}
    rectifications = {(r.institution_id, r.decision_id): r.state for r in items.rectifications}
    appeals = {(a.institution_id, a.appeal_id): a.state for a in items.appeals}

    expected_findings: dict[tuple[UUID, str], str] = {}
    expected_cases: dict[tuple[UUID, str], str] = {}
    expected_rectifications: dict[tuple[UUID, str], str] = {}
    expected_appeals: dict[tuple[UUID, str], str] = {}
    for place in desk.places.values():
        inst = place.institution()
        for fid, finding in inst.findings.items():
            state = (
                "dismissed" if finding["dismissed"] else "in_case" if finding["case_id"] else "open"
            )
            expected_findings[inst.id, fid] = state
        for cid, case in inst.cases.items():
            expected_cases[inst.id, cid] = case["step"]
        for did, decision in inst.decisions.items():
            if decision["rectification"] is not None:
                expected_rectifications[inst.id, did] = decision["rectification"]["state"]
        for aid, appeal in inst.appeals.items():
            expected_appeals[inst.id, aid] = "pending" if appeal["outcome"] is None else "decided"

    assert findings == expected_findings
    assert cases == expected_cases
    assert rectifications == expected_rectifications
    assert appeals == expected_appeals
    assert set(rectifications.values()) == {"ordered", "overdue", "accepted", "lifted"}
    reported = next(
        r
        for r in items.rectifications
        if (r.institution_id, r.decision_id) == desk.decisions["overdue"]
    )
    assert (reported.reports, reported.last_report_on) == (1, date(2024, 5, 1))
    assert reported.overdue_on == date(2024, 5, 21)


def test_the_open_worklist_lists_only_what_awaits_action(
    projections: Projections, desk: Desk
) -> None:
    items = worklist(projections.store, as_of=AS_OF)

    open_findings = {(f.institution_id, f.finding_id) for f in items.findings}
    assert desk.findings["open"] in open_findings
    assert desk.findings["dismissed"] not in open_findings
    assert all(f.state == "open" for f in items.findings)
    # The deadline watcher raised a system finding for the overdue rectification.
    system = [f for f in items.findings if f.source == "system"]
    assert [(f.institution_id, f.rule_id) for f in system] == [
        (desk.places["c"].iid, "hunan-2023/26.6")
    ]
    open_finding = next(
        f for f in items.findings if (f.institution_id, f.finding_id) == desk.findings["open"]
    )
    assert (open_finding.rule_id, open_finding.occurred_on) == (
        "chengdu-2024/30.11",
        date(2024, 5, 1),
    )
    assert (open_finding.required_level, open_finding.required_article) == (1, "chengdu-2024/30.11")
    assert "interview" in open_finding.required_actions

    by_step = {
        step: {(c.institution_id, c.case_id) for c in cases}
        for step, cases in items.cases_by_step.items()
    }
    assert by_step["opened"] == {desk.cases["opened"]}
    assert by_step["noticed"] == {desk.cases["noticed"]}
    assert by_step["decided"] == {desk.cases["decided"]}
    # Served cases stay only while their interview is to be held (a's first decision).
    assert desk.cases["served"] in by_step["served"]
    assert all(c.interview_pending for c in items.cases_by_step["served"])
    noticed = items.cases_by_step["noticed"][0]
    assert noticed.defence_deadline == date(2024, 5, 22)
    assert noticed.due_on == date(2024, 5, 22)

    assert {(r.institution_id, r.decision_id): r.state for r in items.rectifications} == {
        desk.decisions["ordered"]: "ordered",
        desk.decisions["overdue"]: "overdue",
    }
    assert [(d.institution_id, d.decision_id) for d in items.below_requirement] == [
        desk.decisions["below"]
    ]
    flagged = items.below_requirement[0]
    assert (flagged.level, flagged.requirement_level, flagged.status) == (1, 2, "served")
    assert [(a.institution_id, a.appeal_id) for a in items.appeals] == [desk.appeals["pending"]]


def test_deadlines_are_due_then_overdue_against_the_date_passed_in(
    projections: Projections, desk: Desk
) -> None:
    noticed = desk.cases["noticed"]  # defence deadline 2024-05-22
    ordered = desk.decisions["ordered"]  # rectification deadline 2024-05-20

    def flags(as_of: str) -> tuple[tuple[bool, bool], tuple[bool, bool]]:
        items = worklist(projections.store, as_of=day(as_of))
        case = next(c for c in items.cases if (c.institution_id, c.case_id) == noticed)
        rect = next(r for r in items.rectifications if (r.institution_id, r.decision_id) == ordered)
        return (case.due, case.overdue), (rect.due, rect.overdue)

    neither, due, overdue = (False, False), (True, False), (False, True)
    assert flags("2024-05-12") == (neither, neither)  # 7 days on is 05-19
    assert flags("2024-05-13") == (neither, due)  # 05-20 is within 7 days, 05-22 is not
    assert flags("2024-05-15") == (due, due)
    assert flags("2024-05-20") == (due, due)  # the deadline day itself is still due
    assert flags("2024-05-21") == (due, overdue)
    assert flags("2024-05-22") == (due, overdue)
    assert flags("2024-05-23") == (overdue, overdue)

    same_day = worklist(projections.store, as_of=day("2024-05-20"), due_within_days=0)
    rect = next(r for r in same_day.rectifications if (r.institution_id, r.decision_id) == ordered)
    assert (rect.due, rect.overdue) == (True, False)
    case = next(c for c in same_day.cases if (c.institution_id, c.case_id) == noticed)
    assert (case.due, case.overdue) == (False, False)
    # Items without a deadline are never due or overdue.
    opened = next(
        c for c in same_day.cases if (c.institution_id, c.case_id) == desk.cases["opened"]
    )
    assert (opened.due_on, opened.due, opened.overdue) == (None, False, False)


def test_work_leaves_the_list_as_the_facts_close_it(
    app: OversightApplication, projections: Projections, desk: Desk
) -> None:
    a, e = desk.places["a"], desk.places["e"]
    a.interview(desk.decisions["served"][1], "2024-05-16")
    a.serve(desk.cases["decided"][1], "2024-05-21")
    b = desk.places["b"]
    b.rectify(desk.decisions["ordered"][1], "2024-05-10", "2024-05-18")
    e.decide_appeal(desk.appeals["pending"][1], "2024-05-25", "annulled")
    projections["worklist"].catch_up()

    items = worklist(projections.store, as_of=AS_OF)
    case_keys = {(c.institution_id, c.case_id) for c in items.cases}
    assert desk.cases["served"] not in case_keys  # the interview was held
    # The newly served decision calls for an interview: it stays, as served.
    newly_served = next(
        c for c in items.cases if (c.institution_id, c.case_id) == desk.cases["decided"]
    )
    assert (newly_served.step, newly_served.interview_pending) == ("served", True)
    assert desk.decisions["ordered"] not in {
        (r.institution_id, r.decision_id) for r in items.rectifications
    }
    assert items.appeals == ()
    assert items.below_requirement == ()  # annulled on appeal

    closed = everything(projections)
    flagged = next(
        d
        for d in closed.below_requirement
        if (d.institution_id, d.decision_id) == desk.decisions["below"]
    )
    assert flagged.status == "annulled"
    accepted = next(
        r
        for r in closed.rectifications
        if (r.institution_id, r.decision_id) == desk.decisions["ordered"]
    )
    assert (accepted.state, accepted.accepted_on, accepted.due_on) == (
        "accepted",
        date(2024, 5, 18),
        None,
    )


@pytest.mark.parametrize("as_of", ["2024-05-12", "2024-05-21", "2024-05-23", "2024-09-30"])
def test_the_counts_are_what_the_worklist_lists(
    projections: Projections, desk: Desk, as_of: str
) -> None:
    scopes: list[dict[str, object]] = [
        {},
        allowed_scope(Principal("zhao", "regulator", "hunan")),
        allowed_scope(Principal("wang", "regulator", "chengdu", "锦江区")),
        allowed_scope(Principal("inst", "institution", institution_id=desk.places["e"].iid)),
        {"jurisdiction": "hunan", "district": "岳麓区"},
    ]
    for scope in scopes:
        items = worklist(projections.store, as_of=day(as_of), **scope)  # type: ignore[arg-type]
        counts = worklist_counts(projections.store, as_of=day(as_of), **scope)  # type: ignore[arg-type]
        listed = (items.findings, items.cases, items.rectifications, items.appeals)
        overdue = [i for i in (*items.cases, *items.rectifications) if i.overdue]
        assert (counts.open_items, counts.overdue) == (sum(map(len, listed)), len(overdue))
    everyone = worklist_counts(projections.store, as_of=day(as_of))
    assert everyone.open_items > 0
    if as_of == "2024-09-30":
        assert everyone.overdue > 0


def test_the_callers_scope_follows_the_institutions_current_district(
    app: OversightApplication, projections: Projections, desk: Desk
) -> None:
    def institutions(items: WorklistItems) -> set[UUID]:
        return {
            i.institution_id
            for kind in (
                items.findings,
                items.cases,
                items.rectifications,
                items.below_requirement,
                items.appeals,
            )
            for i in kind
        }

    p = {name: place.iid for name, place in desk.places.items()}
    jinjiang = allowed_scope(Principal("wang", "regulator", "chengdu", "锦江区"))
    wuhou = allowed_scope(Principal("li", "regulator", "chengdu", "武侯区"))
    hunan = allowed_scope(Principal("zhao", "regulator", "hunan"))
    own = allowed_scope(Principal("inst", "institution", institution_id=p["e"]))

    assert institutions(everything(projections, **jinjiang)) == {p["a"]}
    assert institutions(everything(projections, **wuhou)) == set()
    assert institutions(everything(projections, **hunan)) == {p["b"], p["c"], p["e"], p["f"]}
    assert institutions(everything(projections, **own)) == {p["e"]}
    assert institutions(everything(projections)) == set(p.values())
    assert institutions(everything(projections, jurisdiction="chengdu", **hunan)) == set()
    assert institutions(everything(projections, district="岳麓区", **hunan)) == {p["c"]}
    assert institutions(everything(projections, institution_id=p["b"], **own)) == set()

    app.filing.change_details(ADMIN, p["a"], day("2024-05-30"), {"district": "武侯区"})
    projections["worklist"].catch_up()
    assert institutions(everything(projections, **jinjiang)) == set()
    assert institutions(everything(projections, **wuhou)) == {p["a"]}
    moved = everything(projections, **wuhou)
    assert {f.district for f in moved.findings} == {"武侯区"}
    # The findings kept counted by place moved with it.
    for scope in (jinjiang, wuhou):
        counted = worklist_counts(projections.store, as_of=day("2024-05-30"), **scope)  # type: ignore[arg-type]
        listed = worklist(projections.store, as_of=day("2024-05-30"), **scope)  # type: ignore[arg-type]
        assert counted.open_items == sum(
            map(len, (listed.findings, listed.cases, listed.rectifications, listed.appeals))
        )
    assert len(moved.findings) > 0


def test_limits_are_checked_and_truncation_is_reported(
    projections: Projections, desk: Desk
) -> None:
    items = worklist(projections.store, as_of=AS_OF, include_closed=True, limit=1)
    assert len(items.findings) == 1
    assert "findings" in items.truncated
    assert "appeals" in items.truncated
    with pytest.raises(InvalidInput):
        worklist(projections.store, as_of=AS_OF, limit=0)
    with pytest.raises(InvalidInput) as negative:
        worklist(projections.store, as_of=AS_OF, due_within_days=-1)
    assert negative.value.field == "due_within_days"


def _open_findings_by_place(projections: Projections) -> dict[tuple[str, str], int]:
    """The open findings counted in SQL by their institution's place now."""
    store = projections.store
    d = store.dialect
    with store.reading() as session:
        rows = session.rows(
            d.sql(
                "SELECT i.jurisdiction, i.district, COUNT(*) AS n"
                f" FROM {d.table(FINDINGS.name)} x JOIN {d.table(INSTITUTIONS.name)} i"
                " ON i.id = x.institution_id WHERE x.state = 'open'"
                " GROUP BY i.jurisdiction, i.district"
            )
        )
    return {(r["jurisdiction"], r["district"]): int(r["n"]) for r in rows}


def _kept_finding_counts(projections: Projections) -> dict[tuple[str, str], int]:
    store = projections.store
    with store.reading() as session:
        rows = session.rows(f"SELECT * FROM {store.dialect.table(FINDING_COUNTS.name)}")
    return {(r["jurisdiction"], r["district"]): int(r["findings"]) for r in rows}


def test_the_kept_finding_counts_are_a_group_by_over_the_open_findings(
    app: OversightApplication, projections: Projections
) -> None:
    province(app, institutions=30, events=1500, seed=5)
    model = projections["worklist"]
    model.catch_up(batch_size=37)  # many batches, a finding's events across them
    grouped = _open_findings_by_place(projections)
    assert len(grouped) > 1
    assert _kept_finding_counts(projections) == grouped
    model.rebuild()
    assert _kept_finding_counts(projections) == grouped


def test_finding_counts_the_worklist_gained_are_filled_from_its_rows_on_opening(
    app: OversightApplication, projections: Projections, settings: Settings, desk: Desk
) -> None:
    grouped = _open_findings_by_place(projections)
    assert grouped
    kept = _kept_finding_counts
    refilled = filled_on_opening(app, projections, settings, (FINDING_COUNTS,), kept)
    assert refilled == grouped
