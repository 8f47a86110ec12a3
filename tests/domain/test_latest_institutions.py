"""A command loads the institution kept from its last load and the events recorded since:
what another process recorded is seen, and a command's changes to its copy stay its own."""

from __future__ import annotations

from datetime import date

from bootstrap import build_application
from config.settings import Settings
from domain.application import OversightApplication
from domain.institution import Institution
from tests.conftest import FakeClock
from tests.projections.casework import LATER, Casework
from tests.projections.filings import ADMIN


def test_a_load_sees_what_another_process_recorded_since(
    settings: Settings, clock: FakeClock
) -> None:
    clock.set(LATER)
    here = build_application(settings, clock=clock)
    there = build_application(settings, clock=clock)
    try:
        inst = Casework.filed(here, 1, jurisdiction="chengdu", name="成都甲中心")
        before = here.ledger.get(Institution, inst.iid)
        assert here.ledger.latest.get(inst.iid) is not None

        Casework(there, inst.iid).finding("chengdu-2024/30.4", "2024-06-01")

        after = here.ledger.get(Institution, inst.iid)
        fresh = there.ledger.get(Institution, inst.iid)
        assert after.version == before.version + 1 == fresh.version
        assert after.state == fresh.state
        assert len(after.state.findings) == len(before.state.findings) + 1
    finally:
        there.close()
        here.close()


def test_a_command_changing_its_copy_changes_nothing_kept(
    settings: Settings, clock: FakeClock
) -> None:
    clock.set(LATER)
    app = build_application(settings, clock=clock)
    try:
        changed_copy_leaves_the_kept_one(app)
    finally:
        app.close()


def changed_copy_leaves_the_kept_one(app: OversightApplication) -> None:
    inst = Casework.filed(app, 2, jurisdiction="chengdu", name="成都乙中心")
    first = app.ledger.get(Institution, inst.iid)
    first.record_finding(
        date(2024, 6, 1),
        app.ledger.stamp(ADMIN),
        finding_id="F-kept",
        rule_id="chengdu-2024/30.4",
        severity="minor",
        source="inspection",
        reference="r",
        facts="f",
        evidence=[],
        assessment={},
    )
    assert first.pending_events  # changed, never saved

    again = app.ledger.get(Institution, inst.iid)

    assert again is not first
    assert again.version == first.version - len(first.pending_events)
    assert again.pending_events == []
    assert not again.state.findings


def test_a_saved_command_keeps_its_history_for_the_next(
    settings: Settings, clock: FakeClock
) -> None:
    """The history a command read, with the command's own events on top, is kept once it
    is saved: the same as the history read from the store, at the institution's version."""
    clock.set(LATER)
    app = build_application(settings, clock=clock)
    other = build_application(settings, clock=clock)
    try:
        inst = Casework.filed(app, 3, jurisdiction="chengdu", name="成都丙中心")
        Casework(app, inst.iid).finding("chengdu-2024/30.4", "2024-06-01")
        version = app.ledger.get(Institution, inst.iid).version
        kept = app.ledger.folds.get(inst.iid)
        assert kept is not None
        assert kept.version == version
        assert kept.history == other.ledger.history(inst.iid)
    finally:
        other.close()
        app.close()
