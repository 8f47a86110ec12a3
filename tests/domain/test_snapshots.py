"""Institution snapshots: the frozen state is written and read back whole, on SQLite and
PostgreSQL, and a snapshot taken before the state existed (attributes one by one, class
version 1) still loads into the same state."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from eventsourcing.sqlite import SQLiteAggregateRecorder

from bootstrap import OversightApplication, build_application
from config.settings import Settings
from domain.commands.findings import BatchReport
from domain.creditcode import make_credit_code
from domain.evolve import fold
from domain.institution import FilingApplication, Institution
from domain.ledger import DateAsISO, LatestInstitutions, institution_batches_id, project
from domain.rulebook import default_catalogue
from domain.state import BATCH_COLUMNS, TRANSCODINGS, BatchTableTranscoding
from tests.conftest import FakeClock
from tests.gwt import stamp
from tests.projections.casework import LATER, Casework
from tests.projections.filings import ADMIN

# The stored v1 snapshot was taken of a file approved under version 1.
CHENGDU = default_catalogue().get("chengdu-2024", 1)
V1_SNAPSHOT = Path(__file__).parent / "data" / "institution_snapshot_v1.json"


def d(day: str) -> date:
    return date.fromisoformat(day)


def full_file() -> Institution:
    """A file that touches every record the state holds."""
    inst = Institution.submit(
        FilingApplication(
            credit_code=make_credit_code("91510104MA61X2Y3K"),
            name="成都天府职业技能评价中心",
            kind="social_org",
            jurisdiction="chengdu",
            district="锦江区",
            address="东大街100号",
            scope=[{"occupation": "4-03-02-01", "levels": [5, 4, 3]}],
            test_sites=["东大街考点"],
            legal_representative="王某",
            contact={"name": "李某", "phone": "028-00000000"},
        ),
        d("2024-03-01"),
        stamp(day="2024-03-01"),
    )
    s = stamp(day="2024-03-15")
    inst.approve(d("2024-03-15"), s, CHENGDU)
    inst.change_details(d("2024-03-20"), s, {"contact": {"name": "赵某", "phone": "1"}})
    _evidence(inst, s)
    _decided(inst, s, "C1", "D1", ["F1"], level=2, rectification_days=20)
    inst.serve(
        d("2024-05-01"),
        s,
        "C1",
        public_announcement=True,
        abnormal_activity_list=False,
        void_batch_ids=["B1"],
    )
    inst.submit_rectification_report(d("2024-05-10"), s, "D1", "整改报告")
    _decided(inst, s, "C2", "D2", ["F2"], level=1, actions=["interview"])
    inst.serve(
        d("2024-05-01"),
        s,
        "C2",
        public_announcement=False,
        abnormal_activity_list=False,
        void_batch_ids=[],
    )
    inst.hold_interview(d("2024-05-03"), s, "D2", ["主要负责人"], "规范操作")
    inst.file_appeal(d("2024-05-04"), s, "A1", "D2", "reconsideration", "事实不清")
    inst.decide_appeal(
        d("2024-05-20"),
        s,
        appeal_id="A1",
        outcome="annulled",
        new_level=None,
        new_actions=[],
        reasons="撤销",
    )
    inst.pause_evaluation(d("2024-06-01"), s, "S1", "sup.zhang", "考务不规范")
    inst.issue_opinion(d("2024-06-02"), s, "V1", ["整改考务"], d("2024-07-01"), ["x/1"])
    wider = [{"occupation": "4-03-02-01", "levels": [2, 3, 4, 5]}]
    inst.request_scope_change(d("2024-06-03"), s, "SC-1", wider, ["东大街考点"], "增加二级")
    return inst


def _evidence(inst: Institution, s: Any) -> None:
    for fid in ("F1", "F2", "F3"):
        inst.record_finding(
            d("2024-04-01"),
            s,
            finding_id=fid,
            rule_id="chengdu-2024/20.1",
            severity="minor",
            source="inspection",
            reference="检查",
            facts="事实",
            evidence=[],
            assessment={},
        )
    inst.dismiss_finding(d("2024-04-02"), s, "F3", "不成立")
    inst.report_evaluation(
        d("2024-04-03"),
        s,
        batch_id="B1",
        occupation="4-03-02-01",
        level=4,
        site="东大街考点",
        territory="chengdu",
        candidates=10,
        unqualified_candidates=0,
        passed=9,
        paper_set_id="P-1",
        flags=[],
    )
    inst.receive_complaint(d("2024-04-04"), s, "CP1", "12333", "投诉", "来信")
    inst.verify_complaint(d("2024-04-05"), s, "CP1", True, "属实")
    inst.record_annual_assessment(
        d("2024-04-06"),
        s,
        assessment_id="AA1",
        year=2023,
        assessing_body="市人社局",
        passed=True,
        grade="合格",
        scores={},
        remarks="",
        dimensions=(),
    )


def _decided(
    inst: Institution,
    s: Any,
    case_id: str,
    decision_id: str,
    finding_ids: list[str],
    *,
    level: int,
    actions: list[str] | None = None,
    rectification_days: int | None = None,
) -> None:
    on = d("2024-04-20")
    inst.open_case(on, s, case_id, finding_ids)
    inst.issue_notice(
        on,
        s,
        case_id=case_id,
        intended_level=level,
        intended_actions=actions or [],
        facts="事实",
        reasons="理由",
        legal_basis=["chengdu-2024/20"],
        defence_deadline=on + timedelta(days=10),
        requirement={"level": level},
    )
    inst.waive_defence(on, s, case_id)
    inst.decide(
        on,
        s,
        case_id=case_id,
        decision_id=decision_id,
        level=level,
        actions=actions or [],
        articles=["chengdu-2024/20"],
        reasons="理由",
        deciding_body="city",
        requirement={"level": level},
        below_reason="",
        rectification_days=rectification_days,
        ban_years=None,
        ban_indefinite=False,
        revocation_authority="any",
        revocation_article=None,
        due_process_articles=[],
    )


def test_snapshots_write_and_read_back_the_whole_state(settings: Settings) -> None:
    app = build_application(settings.model_copy(update={"snapshot_interval": 2}))
    inst = full_file()
    events = list(full_file().collect_events())
    app.store.save(inst)
    assert app.store.snapshots is not None
    taken = [s.originator_version for s in app.store.snapshots.get(inst.id)]
    assert taken == list(range(2, inst.version + 1, 2))
    reloaded = app.store.repository.get(inst.id)  # the last snapshot and one event after it
    assert reloaded.state == inst.state
    assert reloaded.chain_head == inst.chain_head
    at_snapshot = app.store.repository.get(inst.id, version=taken[-1])
    assert at_snapshot.state == fold(events[: taken[-1]])
    assert at_snapshot.decision("D1")["rectification"]["state"] == "reported"


def test_a_snapshot_of_the_attributes_one_by_one_loads_into_the_same_state() -> None:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), *TRANSCODINGS):
        transcoder.register(transcoding)
    inst = full_file()
    snapshot = Snapshot(
        originator_id=inst.id,
        originator_version=inst.version,
        timestamp=Snapshot.create_timestamp(),
        topic="domain.institution:Institution",
        state=transcoder.decode(V1_SNAPSHOT.read_bytes()),
    )
    restored = snapshot.mutate(None)
    assert isinstance(restored, Institution)
    assert restored.state == inst.state
    assert restored.chain_head == inst.chain_head
    assert restored.decision("D1")["rectification"]["state"] == "reported"


def test_commands_saved_at_a_snapshot_version_are_snapshotted_as_recorded(
    settings: Settings, clock: FakeClock
) -> None:
    """A command's institution is snapshotted as it stands when saved at an interval: the
    state and chain head of its events replayed from the store."""
    clock.set(LATER)
    app = build_application(settings.model_copy(update={"snapshot_interval": 2}), clock=clock)
    try:
        work = Casework.filed(app, 1, jurisdiction="chengdu", name="成都甲中心")
        for day in ("2024-06-01", "2024-06-02", "2024-06-03"):
            work.finding("chengdu-2024/30.4", day)
        assert app.store.snapshots is not None
        taken = list(app.store.snapshots.get(work.iid))
        version = app.ledger.get(Institution, work.iid).version
        assert [s.originator_version for s in taken] == list(range(2, version + 1, 2))
        for snapshot in taken:
            events = app.store.repository.event_store.get(work.iid, lte=snapshot.originator_version)
            replayed = project(None, events)
            snapshotted = snapshot.mutate(None)
            assert snapshotted.state == replayed.state
            assert snapshotted.chain_head == replayed.chain_head
            assert Snapshot.take(replayed).state == snapshot.state
    finally:
        app.close()


def test_a_snapshot_of_many_batches_keeps_their_rows_apart_read_when_the_batches_are(
    settings: Settings, clock: FakeClock
) -> None:
    """From ``batches_apart_from`` batches, the command path's snapshot holds their count
    and the rows sit in a record of their own at its version: a load reads the snapshot
    without them, the state equals the replayed one, and the rows are read once, when the
    batches are first read."""
    clock.set(LATER)
    settings = settings.model_copy(update={"snapshot_interval": 2})
    app = build_application(settings, clock=clock)
    app.store.batches_apart_from = 2
    try:
        work = Casework.filed(app, 1, jurisdiction="chengdu", name="成都甲中心")
        for n in range(5):
            report = BatchReport(
                f"B-{n}", "4-07-05-04", 4, date(2024, 5, 10 + n), "未备案考点", None, 20, 0, 18, ""
            )
            app.findings.report_evaluation(ADMIN, work.iid, report)
        # Then commands on the file loaded from such a snapshot, reading none of its
        # batches: the next snapshots write the rows they did not read.
        for n in range(3):
            app.ledger.latest = LatestInstitutions(size=0)
            work.finding("chengdu-2024/30.4", f"2024-06-0{n + 1}")
        snapshots = app.store.snapshots
        assert snapshots is not None
        taken = {s.originator_version: s for s in snapshots.get(work.iid)}
        apart = [s.originator_version for s in snapshots.get(institution_batches_id(work.iid))]
        assert apart  # the command path's snapshots of two batches or more
        for version in apart:
            assert len(taken[version].state["state"].batches) >= 2  # type: ignore[attr-defined]
        version = max(taken)
        assert version in apart
        cold = build_application(settings, clock=clock)
        try:
            reads: list[int] = []
            [table] = [
                t
                for t in cold.store.mapper.transcoder.names.values()
                if isinstance(t, BatchTableTranscoding)
            ]  # type: ignore[attr-defined]
            kept_rows = table.kept_rows
            assert kept_rows is not None
            table.kept_rows = lambda rows_id, at, iid: (
                reads.append(at) or kept_rows(rows_id, at, iid)
            )
            loaded = cold.store.repository.get(work.iid, version=version)
            assert reads == []  # the snapshot read without its batch rows
            events = app.store.repository.event_store.get(work.iid, lte=version)
            replayed = project(None, events)
            assert loaded.state == replayed.state
            assert list(loaded.state.batches) == list(replayed.state.batches)
            assert reads == [version]  # read once, when the batches were
            assert loaded.state.batches == replayed.state.batches
            assert reads == [version]
        finally:
            cold.close()
    finally:
        app.close()


def _file_with_batches_apart(app: OversightApplication, batches: int) -> Casework:
    """A file whose command-path snapshots keep their batch rows apart (from two batches)."""
    app.store.batches_apart_from = 2
    work = Casework.filed(app, 1, jurisdiction="chengdu", name="成都甲中心")
    for n in range(batches):
        app.findings.report_evaluation(ADMIN, work.iid, _report(f"B-{n}", date(2024, 5, 10 + n)))
    return work


def _report(batch_id: str, on: date) -> BatchReport:
    return BatchReport(batch_id, "4-07-05-04", 4, on, "未备案考点", None, 20, 0, 18, "")


def _delete_snapshots(app: OversightApplication, originator_id: UUID) -> None:
    """Delete what the store's snapshots table holds under ``originator_id``, as an
    operator pruning it would."""
    snapshots = app.store.snapshots
    assert snapshots is not None
    recorder: Any = snapshots.recorder
    table = recorder.events_table_name
    with recorder.datastore.transaction(commit=True) as cursor:
        if isinstance(recorder, SQLiteAggregateRecorder):
            cursor.execute(f"DELETE FROM {table} WHERE originator_id = ?", (originator_id.hex,))
        else:
            schema = recorder.datastore.schema
            cursor.execute(
                f'DELETE FROM "{schema}"."{table}" WHERE originator_id = %s', (originator_id,)
            )
    assert list(snapshots.get(originator_id)) == []


def test_a_snapshot_whose_batch_rows_are_gone_loads_as_the_replay_and_takes_commands(
    settings: Settings, clock: FakeClock
) -> None:
    """Given a file snapshotted with its batch rows apart and those rows' records deleted
    from the store, when another process loads it and reports a batch on it, then the
    state it loaded equals the replayed one, the command records its event, and the
    rows read are kept again."""
    clock.set(LATER)
    settings = settings.model_copy(update={"snapshot_interval": 2})
    app = build_application(settings, clock=clock)
    try:
        work = _file_with_batches_apart(app, 5)
        snapshots = app.store.snapshots
        assert snapshots is not None
        rows_id = institution_batches_id(work.iid)
        apart = [s.originator_version for s in snapshots.get(rows_id)]
        assert apart
        _delete_snapshots(app, rows_id)
        version = app.ledger.get(Institution, work.iid).version
        assert max(apart) == version  # the latest snapshot is one whose rows are gone
        cold = build_application(settings, clock=clock)
        try:
            loaded = cold.store.repository.get(work.iid)
            replayed = project(None, app.store.repository.event_store.get(work.iid))
            assert loaded.version == replayed.version == version
            assert loaded.state == replayed.state
            assert list(loaded.state.batches.items()) == list(replayed.state.batches.items())
            assert [s.originator_version for s in snapshots.get(rows_id)] == [version]
            cold.ledger.latest = LatestInstitutions(size=0)
            _delete_snapshots(cold, rows_id)
            cold.findings.report_evaluation(ADMIN, work.iid, _report("B-9", date(2024, 5, 20)))
            events = list(cold.store.repository.event_store.get(work.iid, gt=version))
            assert type(events[0]).__name__ == "EvaluationReported"  # and the finding it makes
            after = cold.ledger.get(Institution, work.iid)
            assert (
                after.state == project(None, app.store.repository.event_store.get(work.iid)).state
            )
            assert list(after.state.batches) == [*(f"B-{n}" for n in range(5)), "B-9"]
        finally:
            cold.close()
    finally:
        app.close()


def test_a_reference_to_batch_rows_written_before_it_named_the_institution_reads_them() -> None:
    """Given a snapshot's batch table that points to its rows by id and version only (as
    written before the reference named the institution), when its batches are read,
    then they are read from that record, with no institution to make them of."""
    rows_id = institution_batches_id(UUID(int=1))
    text = '[["B-1","2024-05-10",1,null],["B-2","2024-05-11",0,"D1"]]'
    asked: list[tuple[UUID, int, UUID | None]] = []

    def kept_rows(at: UUID, version: int, iid: UUID | None) -> str:
        asked.append((at, version, iid))
        return text

    table = BatchTableTranscoding(kept_rows).decode(
        {"columns": BATCH_COLUMNS, "count": 2, "apart": [rows_id.hex, 50]}
    )
    assert len(table) == 2
    assert asked == []
    assert list(table) == ["B-1", "B-2"]
    assert table["B-2"].voided_by == "D1"
    assert table["B-1"].evaluated_on == date(2024, 5, 10)
    assert asked == [(rows_id, 50, None)]
