"""A history fold kept in the store reads back as the fold of the events it covers.

A process that has not folded an institution's history yet reads the fold the store keeps
(``Ledger._stored_fold``: tables of rows, under ``history_fold_id``) and folds only the
events after it. Over generated files (findings, batches, complaints and their checks,
cases decided and served, interviews, annulments, in any order), the history read that way
equals the one folded from every event, on SQLite and on PostgreSQL; an older store
without a kept fold, or with one of another form, reads the events as before.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bootstrap import build_application
from config.settings import Settings
from domain.application import OversightApplication
from domain.errors import DomainError
from domain.history import (
    Batches,
    BatchFact,
    History,
    HistoryFold,
    _table,
    fold_as_tables,
    fold_from_tables,
)
from domain.ledger import history_batches_id, history_fold_id, history_fold_id_before
from tests.gwt import Ledger

EPOCH = date(2024, 3, 1)
PROPERTY = hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: What happens to the file, step by step: (kind, days after EPOCH, a pick among earlier ids).
steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["finding", "batch", "complaint", "verify", "decide", "interview", "annul"]
        ),
        st.integers(0, 600),
        st.integers(0, 5),
    ),
    max_size=30,
)


def _file(planned: list[tuple[str, int, int]]) -> Ledger:
    """A file with the planned steps the deciders accept (the others are left out)."""
    ledger = Ledger("hunan-2023", approved_on=EPOCH.isoformat())
    findings: list[str] = []
    complaints: list[str] = []
    decisions: list[str] = []
    day = EPOCH
    for kind, days, pick in planned:
        day = max(day, EPOCH + timedelta(days=days))  # business dates in recording order
        try:
            if kind == "finding":
                findings.append(ledger.finding("25.3", day))
            elif kind == "batch":
                ledger.batch(day, paper_set=f"P-{pick % 3}")
            elif kind == "complaint":
                complaints.append(ledger.complaint(day))
            elif kind == "verify" and complaints:
                ledger.verify(complaints[pick % len(complaints)], day, substantiated=pick % 2 == 0)
            elif kind == "decide" and findings:
                decisions.append(ledger.decide(findings.pop(pick % len(findings)), day))
            elif kind == "interview" and decisions:
                ledger.interview(decisions[pick % len(decisions)], day)
            elif kind == "annul" and decisions:
                ledger.annul(decisions[pick % len(decisions)], day)
        except DomainError:
            pass
    return ledger


def _stored(app: OversightApplication, ledger: Ledger) -> UUID:
    """The file's events recorded in ``app``'s store under an id of their own."""
    iid = uuid4()
    mapper = app.store.mapper
    app.store.recorder.insert_events(
        [dataclasses.replace(mapper.to_stored_event(e), originator_id=iid) for e in ledger.events]
    )
    return iid


def _through_json(app: OversightApplication, tables: dict[str, Any]) -> dict[str, Any]:
    transcoder = app.store.mapper.transcoder
    decoded: dict[str, Any] = transcoder.decode(transcoder.encode(tables))
    return decoded


@PROPERTY
@given(steps, st.integers(0, 40))
def test_a_fold_read_from_its_tables_is_the_fold_of_the_events(
    planned: list[tuple[str, int, int]], cut: int
) -> None:
    ledger = _file(planned)
    app = build_application(Settings(database_url="sqlite:///:memory:"))
    try:
        events = ledger.events
        part = HistoryFold.of(events[:cut])
        read = fold_from_tables(_through_json(app, fold_as_tables(part)))
    finally:
        app.close()
    assert read is not None
    assert read.history == part.history
    assert read.version == part.version
    # Tables written before the batches were one text of rows (format 1) read the same.
    before = {
        **fold_as_tables(part),
        "format": 1,
        "batches": _table(BatchFact, part.builder.batches),
    }
    app = build_application(Settings(database_url="sqlite:///:memory:"))
    try:
        older = fold_from_tables(_through_json(app, before))
    finally:
        app.close()
    assert older is not None
    assert older.history == part.history
    assert older.extended(events[cut:]).history == History.from_events(events)
    # Folding on from the one read is folding on from the one written.
    whole = part.extended(events[cut:])
    on = read.extended(events[cut:]).history
    assert on == whole.history == History.from_events(events)
    assert on.last_activity() == whole.history.last_activity()
    for batch in on.batches:
        assert on.same_paper_set(batch.paper_set_id) == whole.history.same_paper_set(
            batch.paper_set_id
        )


@PROPERTY
@given(steps)
def test_a_cold_history_from_the_store_is_the_one_folded_from_its_events(
    settings: Settings, planned: list[tuple[str, int, int]]
) -> None:
    settings = settings.model_copy(update={"snapshot_interval": 4})
    ledger = _file(planned)
    app = build_application(settings)
    try:
        iid = _stored(app, ledger)
        folded = History.from_events(app.ledger.events(iid))
        first = app.ledger.fold(iid)  # nothing kept: the events, and the fold is stored
        assert first.history == folded
        assert app.store.snapshots is not None
        kept = list(app.store.snapshots.get(history_fold_id(iid)))
        assert [s.originator_version for s in kept] == (
            [len(ledger.events)] if len(ledger.events) >= 4 else []
        )
        for version in (None, len(ledger.events) // 2 or None):
            cold = build_application(settings)
            try:  # the batches' rows are read from the store when first read
                read = cold.ledger.fold(iid, upto=version)
                assert read.history == History.from_events(app.ledger.events(iid)[:version])
            finally:
                cold.close()
    finally:
        app.close()


def test_the_stored_fold_and_its_batch_rows_hold_the_history_of_its_version(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"snapshot_interval": 3})
    app = build_application(settings)
    try:
        ledger = _file([("finding", 10, 0), ("batch", 20, 1), ("complaint", 30, 0)])
        iid = _stored(app, ledger)
        app.ledger.fold(iid)
        assert app.store.snapshots is not None
        [stored] = app.store.snapshots.get(history_fold_id(iid))
        [rows] = app.store.snapshots.get(history_batches_id(iid))
        assert rows.originator_version == stored.originator_version == len(ledger.events)
        state: dict[str, Any] = stored.state  # type: ignore[attr-defined]
        assert "rows" not in state["batches"]  # kept beside the fold, read when needed
        assert fold_from_tables(state) is None  # the fold alone does not hold its batches
        fold = fold_from_tables(state, lambda: rows.state)  # type: ignore[attr-defined]
        assert fold is not None
        assert fold.history == History.from_events(ledger.events)
    finally:
        app.close()


def test_a_fold_whose_batch_rows_are_gone_reads_them_from_the_events(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"snapshot_interval": 3})
    app = build_application(settings)
    try:
        ledger = _file([("batch", 10, 0), ("batch", 20, 1), ("batch", 30, 2), ("batch", 40, 0)])
        iid = _stored(app, ledger)
        app.ledger.fold(iid)
        cold = build_application(settings)
        try:
            snapshots = cold.store.snapshots
            assert snapshots is not None
            kept = snapshots.get

            def without_rows(originator_id: UUID, **kwargs: Any) -> Any:
                return (
                    iter(())
                    if originator_id == history_batches_id(iid)
                    else kept(originator_id, **kwargs)
                )

            snapshots.get = without_rows  # type: ignore[method-assign]  # the rows gone
            read = cold.ledger.fold(iid)
            assert read.version == len(ledger.events) == 6
            assert isinstance(read.history.batches, Batches)  # from the stored fold
            assert read.history == History.from_events(ledger.events)
        finally:
            cold.close()
    finally:
        app.close()


def test_tables_of_another_form_read_as_nothing_and_the_events_are_folded(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"snapshot_interval": 3})
    app = build_application(settings)
    try:
        ledger = _file([("finding", 10, 0), ("batch", 20, 1), ("batch", 30, 2)])
        tables = fold_as_tables(HistoryFold.of(ledger.events))
        other = json.loads(json.dumps(tables))
        other["batches"]["columns"] = [*other["batches"]["columns"], "added later"]
        assert fold_from_tables(other) is None
        assert fold_from_tables({**tables, "format": 0}) is None
        iid = _stored(app, ledger)
        cold = build_application(settings)
        try:
            assert cold.ledger.fold(iid).history == History.from_events(ledger.events)
        finally:
            cold.close()
    finally:
        app.close()


def test_a_fold_kept_in_the_first_form_is_read_and_kept_again_in_this_one(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"snapshot_interval": 3})
    app = build_application(settings)
    try:
        ledger = _file([("batch", 10, 0), ("finding", 20, 0), ("batch", 30, 1), ("batch", 40, 0)])
        iid = _stored(app, ledger)
        fold = HistoryFold.of(ledger.events[:5])
        first_form = {
            **fold_as_tables(fold),
            "format": 1,
            "batches": _table(BatchFact, fold.builder.batches),
        }
        snapshots = app.store.snapshots
        assert snapshots is not None
        snapshots.put(
            [
                Snapshot(
                    originator_id=history_fold_id_before(iid),
                    originator_version=5,
                    timestamp=datetime.now(UTC),
                    topic=get_topic(HistoryFold),
                    state=first_form,
                )
            ]
        )
        assert list(snapshots.get(history_fold_id(iid))) == []
        for kept_in_this_form in (False, True):
            cold = build_application(settings)
            try:
                read, current = cold.ledger._stored_fold(iid, None)
                assert read is not None
                assert read.version == (len(ledger.events) if kept_in_this_form else 5)
                assert current is kept_in_this_form
                assert isinstance(read.history.batches, Batches) is kept_in_this_form
                assert cold.ledger.fold(iid).history == History.from_events(ledger.events)
            finally:
                cold.close()
            # The first read kept it in this form, at the version it read it at and after.
            versions = [s.originator_version for s in snapshots.get(history_fold_id(iid))]
            assert versions == [len(ledger.events)]
            assert [s.originator_version for s in snapshots.get(history_batches_id(iid))] == (
                versions
            )
    finally:
        app.close()
