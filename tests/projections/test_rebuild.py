"""A rebuild computes the views in memory and swaps them in with their positions in one
transaction (``projections.base.rebuild``): it reaches the rows the incremental batches
reach, a crash before its commit leaves the old views, and the rows it holds read as the
stored ones."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from domain.due_dates import DueFold, institution_due_dates
from domain.errors import DomainError
from domain.events import CaseDecided, EvaluationReported, LedgerEvent
from domain.evolve import institution_events
from domain.history import HistoryFold
from domain.institution import Institution
from projections import READ_MODELS, Projections, base
from projections.base import REBUILD_GC_THRESHOLDS, Decoding, rebuild
from projections.register import Register
from projections.store import (
    Column,
    HeldTable,
    Index,
    NotificationLog,
    SQLiteDialect,
    Table,
    ViewSession,
    ViewStore,
)
from tests.conftest import FakeClock
from tests.projections.casework import LATER, busy_year
from tests.projections.filings import file_many


def topic_of(cls: type[LedgerEvent]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def head(app: OversightApplication) -> int:
    return app.store.recorder.max_notification_id() or 0


def contents(projections: Projections) -> dict[str, str]:
    return {name: p.content_hash() for name, p in projections.items()}


def positions(projections: Projections) -> dict[str, int]:
    return {name: p.position() for name, p in projections.items()}


@pytest.mark.parametrize("batch_size", [1, 7, 5000])
def test_a_rebuild_reaches_the_rows_of_catching_up_one_batch_at_a_time(
    batch_size: int, settings: Settings, app: OversightApplication, clock: FakeClock
) -> None:
    clock.set(LATER)
    busy_year(app)
    file_many(app, 5, start=10)
    incremental = build_projections(settings, app, batch_size=batch_size)
    try:
        incremental.catch_up()
        caught_up = contents(incremental)
    finally:
        incremental.close()

    rebuilt = build_projections(settings, app)
    try:
        for projection in rebuilt.values():
            projection.reset()
        done = rebuild(list(rebuilt.values()), batch_size=batch_size)
        assert done == dict.fromkeys(rebuilt, head(app))
        assert contents(rebuilt) == caught_up
        assert positions(rebuilt) == dict.fromkeys(rebuilt, head(app))
    finally:
        rebuilt.close()


def test_a_crash_during_a_rebuild_leaves_the_old_views_and_positions(
    app: OversightApplication,
    projections: Projections,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.set(LATER)
    busy_year(app)
    projections.catch_up()
    before, where = contents(projections), positions(projections)
    thresholds = gc.get_threshold()
    write = Register.apply
    batches: list[tuple[int, ...]] = []

    def fail_on_the_third_batch(
        self: Register, session: ViewSession, events: Sequence[LedgerEvent]
    ) -> None:
        batches.append(gc.get_threshold())
        if len(batches) == 3:
            raise RuntimeError("power cut")
        write(self, session, events)

    monkeypatch.setattr(Register, "apply", fail_on_the_third_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        rebuild(list(projections.values()), batch_size=5)
    assert contents(projections) == before
    assert positions(projections) == where
    # The cyclic collector ran seldom while it held its rows, as before afterwards.
    assert batches == [REBUILD_GC_THRESHOLDS] * 3
    assert gc.get_threshold() == thresholds

    monkeypatch.undo()
    file_many(app, 2, start=20)
    assert projections.rebuild() == dict.fromkeys(projections, head(app))
    assert positions(projections) == dict.fromkeys(projections, head(app))
    assert contents(projections) != before
    assert gc.get_threshold() == thresholds


def test_catching_up_after_a_rebuild_goes_on_from_its_positions(
    settings: Settings, app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set(LATER)
    busy_year(app)
    projections.rebuild()
    file_many(app, 4, start=30)
    rebuilt_at = {p.position() for p in projections.values()}

    done = projections.catch_up()

    assert done == dict.fromkeys(projections, head(app) - rebuilt_at.pop())
    again = build_projections(settings, app)
    try:
        again.rebuild()
        assert contents(again) == contents(projections)
    finally:
        again.close()


def test_an_empty_log_rebuilds_empty_views_without_positions(
    projections: Projections,
) -> None:
    empty = contents(projections)
    assert projections.rebuild() == dict.fromkeys(projections, 0)
    assert positions(projections) == dict.fromkeys(projections, 0)
    assert contents(projections) == empty


def test_the_log_streamed_in_lists_is_the_log_read_up_to_the_bound(
    app: OversightApplication,
) -> None:
    file_many(app, 4)
    log = NotificationLog(app)
    every = log.read(1, head(app))
    upto = every[-2].notification_id
    streamed = list(log.stream(2, upto, 3))
    assert [len(entries) for entries in streamed][:-1] == [3] * (len(streamed) - 1)
    assert [e for entries in streamed for e in entries] == every[1:-1]


def test_the_log_streams_on_while_its_reader_works_longer_than_the_idle_timeout(
    app: OversightApplication,
) -> None:
    file_many(app, 2)
    log = NotificationLog(app)
    every = log.read(1, head(app))
    idle = getattr(app.store.recorder, "datastore", None)
    timeout = getattr(idle, "idle_in_transaction_session_timeout", 0) or 0
    streamed = []
    for entries in log.stream(1, head(app), 1):
        streamed += entries
        if len(streamed) == 1 and timeout:
            time.sleep(timeout + 1)  # longer than the store lets a transaction sit idle
    assert streamed == every


def test_a_views_digest_is_taken_while_its_hashing_outlasts_the_idle_timeout(
    app: OversightApplication, projections: Projections, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_many(app, 2)
    register = projections["register"]
    register.catch_up()
    assert len(register.model.tables) > 1  # the hashing of one table comes between reads
    digest = register.content_hash()
    idle = getattr(app.store.recorder, "datastore", None)
    timeout = getattr(idle, "idle_in_transaction_session_timeout", 0) or 0
    slept: list[float] = []
    quick = base.canonical

    def slow(row: dict[str, object]) -> str:
        if timeout and not slept:
            slept.append(timeout + 1)
            time.sleep(timeout + 1)  # longer than the store lets a transaction sit idle
        return quick(row)

    monkeypatch.setattr(base, "canonical", slow)
    assert register.content_hash() == digest


TOUCHED = ("originator_id", "originator_version", "timestamp", "occurred_on")


def test_an_event_decoded_only_for_its_time_has_the_values_of_the_whole_decoding(
    app: OversightApplication, clock: FakeClock
) -> None:
    clock.set(LATER)
    busy_year(app)
    log = NotificationLog(app)
    entries = log.read(1, head(app))
    assert entries
    partly = 0
    for entry in entries:
        whole, touched = log.decode(entry), log.decode_touch(entry)
        assert type(touched) is type(whole)
        assert [getattr(touched, a) for a in TOUCHED] == [getattr(whole, a) for a in TOUCHED]
        if vars(touched).keys() == set(TOUCHED):
            partly += 1
        else:
            assert vars(touched) == vars(whole)
    batches = [e for e in entries if e.topic == topic_of(EvaluationReported)]
    assert batches
    assert partly >= len(batches)  # every batch report at least, decoded only that far


def test_the_due_dates_fold_gives_the_due_dates_of_the_whole_institution_and_history(
    app: OversightApplication, clock: FakeClock
) -> None:
    clock.set(LATER)
    busy_year(app)
    file_many(app, 3, start=10)
    log = NotificationLog(app)
    events: dict[UUID, list[LedgerEvent]] = {}
    for entry in log.read(1, head(app)):
        event = log.decode(entry)
        if isinstance(event, institution_events()):
            events.setdefault(event.originator_id, []).append(event)
    catalogue = app.ledger.catalogue
    kinds: set[str] = set()
    for iid, theirs in events.items():
        inst = app.ledger.get(Institution, iid)
        rulebook = None
        if inst.valid_until is not None:
            with contextlib.suppress(DomainError):
                rulebook = app.ledger.filing_rulebook(inst.jurisdiction, inst.valid_until)
        whole = institution_due_dates(
            inst.state, HistoryFold.of(theirs).history, catalogue, rulebook
        )
        fold = DueFold()
        for start in range(0, len(theirs), 3):  # extended a few events at a time
            fold = fold.extended(theirs[start : start + 3])
        assert fold.version == inst.version
        assert fold.due_dates(catalogue, rulebook) == whole
        kinds |= {d.kind for d in whole}
    assert {"expiry", "lapse", "inactivity"} <= kinds
    assert any(isinstance(e, EvaluationReported) for theirs in events.values() for e in theirs)


def test_only_events_every_wanting_model_touches_are_decoded_only_that_far(
    app: OversightApplication,
) -> None:
    every = [make() for make in READ_MODELS]
    evaluation, case = topic_of(EvaluationReported), topic_of(CaseDecided)
    # The deadlines read model folds every institution event: with it, a batch is whole
    # when catching up; a rebuild's fold reads only its day.
    wanting, whole = Decoding(NotificationLog(app), every).plan(evaluation)
    assert {m.name for m in wanting} == {"register", "due_dates"}
    assert whole
    rebuilding = Decoding(NotificationLog(app), every, rebuilding=True)
    assert rebuilding.plan(evaluation) == (wanting, False)
    assert rebuilding.plan(case)[1]
    # Without it, only the register wants a batch, and touches it only.
    models = [m for m in every if m.name != "due_dates"]
    decoding = Decoding(NotificationLog(app), models)
    assert decoding.plan(evaluation) == ([m for m in models if m.name == "register"], False)
    wanting, whole = decoding.plan(case)
    assert len(wanting) > 1
    assert whole


# --- the rows held in memory --------------------------------------------------------------

EVERY_KIND = Table(
    name="test_every_kind",
    columns=(
        Column("id", "uuid", nullable=False),
        Column("name"),
        Column("count", "int"),
        Column("day", "date"),
        Column("at", "timestamp"),
        Column("doc", "json"),
        Column("owner", "uuid"),
    ),
    primary_key=("id",),
    indexes=(Index("test_every_kind_owner", ("owner",)),),
)

ROWS: list[dict[str, object]] = [
    {
        "id": uuid4(),
        "name": "湖南甲中心",
        "count": 3,
        "day": date(2024, 12, 31),
        "at": datetime(2024, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=8))),
        "doc": {"levels": (1, 2), "nested": [{"a": None}], "flag": True, "ratio": 0.5},
        "owner": uuid4(),
    },
    {"id": uuid4(), "name": None, "doc": [], "at": datetime(2025, 1, 1, tzinfo=UTC)},
    {"id": uuid4(), "doc": {"7": "seven"}},
]


@pytest.fixture
def store(settings: Settings, app: OversightApplication) -> Iterator[ViewStore]:
    opened = ViewStore.open(settings, [EVERY_KIND], application=app)
    yield opened
    opened.close()


def test_held_rows_read_as_the_same_rows_written_and_read_back(store: ViewStore) -> None:
    held = HeldTable(EVERY_KIND, store.dialect)
    for row in ROWS:
        held.put(row, replace=True)
    with store.transaction() as session:
        session.upsert(EVERY_KIND, ROWS)
    with store.reading() as session:
        stored = session.fetch(EVERY_KIND, "id", [r["id"] for r in ROWS])

    by_id = {r["id"]: r for r in stored}
    assert [by_id[r["id"]] for r in ROWS] == [held.rows[(r["id"],)] for r in ROWS]
    assert held.rows[(ROWS[0]["id"],)]["doc"]["levels"] == [1, 2]
    assert held.rows[(ROWS[0]["id"],)]["at"].tzinfo == UTC


def test_a_swapped_in_table_holds_the_rows_and_the_indexes(store: ViewStore) -> None:
    session = store.holding([EVERY_KIND])
    session.upsert(EVERY_KIND, ROWS)
    store.replace(session, {})
    with store.reading() as reading:
        stored = reading.fetch(EVERY_KIND, "id", [r["id"] for r in ROWS])
    assert sorted(stored, key=lambda r: str(r["id"])) == sorted(
        session.tables[EVERY_KIND.name].rows.values(), key=lambda r: str(r["id"])
    )
    # A second swap finds no leftover names (the new table's and its indexes').
    store.replace(session, {})
    with store.reading() as reading:
        assert len(reading.fetch(EVERY_KIND, "owner", [ROWS[0]["owner"]])) == 1


def test_a_swapped_in_table_has_the_planners_statistics_at_once(store: ViewStore) -> None:
    session = store.holding([EVERY_KIND])
    session.upsert(EVERY_KIND, ROWS)
    store.replace(session, {})
    with store.reading() as reading:
        if isinstance(store.dialect, SQLiteDialect):
            stats = reading.rows(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = :t", {"t": EVERY_KIND.name}
            )
            assert stats
            assert all(int(r["stat"].split()[0]) == len(ROWS) for r in stats)
        else:
            columns = reading.rows(
                store.dialect.sql(
                    "SELECT attname FROM pg_stats WHERE schemaname = :s AND tablename = :t"
                ),
                {"s": store.dialect.schema, "t": EVERY_KIND.name},
            )
            assert sorted(r["attname"] for r in columns) == sorted(EVERY_KIND.column_names)


def test_held_rows_are_found_by_any_column_as_they_change(store: ViewStore) -> None:
    session = store.holding([EVERY_KIND])
    owner, other = uuid4(), uuid4()
    ids = [uuid4() for _ in range(3)]
    session.insert(EVERY_KIND, [{"id": i, "owner": owner} for i in ids])

    assert {r["id"] for r in session.fetch(EVERY_KIND, "owner", [owner])} == set(ids)
    session.upsert(EVERY_KIND, [{"id": ids[0], "owner": other}])
    assert {r["id"] for r in session.fetch(EVERY_KIND, "owner", [owner])} == set(ids[1:])
    assert [r["id"] for r in session.fetch(EVERY_KIND, "owner", [other, other])] == [ids[0]]
    session.delete(EVERY_KIND, "owner", [owner])
    assert session.fetch(EVERY_KIND, "owner", [owner]) == []
    assert [r["id"] for r in session.fetch(EVERY_KIND, "id", [str(i) for i in ids])] == [ids[0]]
    with pytest.raises(IntegrityError):
        session.insert(EVERY_KIND, [{"id": ids[0]}])


def test_a_rebuild_runs_no_sql_inside_its_held_session(store: ViewStore) -> None:
    session = store.holding([EVERY_KIND])
    with pytest.raises(TypeError, match="no SQL"):
        session.rows("SELECT 1")
    with pytest.raises(TypeError, match="no SQL"):
        session.position("register")
