"""The batches a history indexes answer what walking all of them answers.

The rules read the latest batch (inactivity) and the batches of a paper set (reuse) from
``History.indexed_batches``, kept up to date by the fold one batch at a time or gathered
from ``History.batches`` on first use. Over generated files (batches on any day, several a
day, paper sets shared or not, recorded in any order of business dates), both answer as a
walk over every batch does, whichever way the history was folded.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.detection import _other_use
from domain.history import (
    BatchFact,
    EventRef,
    History,
    HistoryFold,
    fold_as_tables,
    fold_from_tables,
    without_batch_rows,
)
from tests.gwt import Ledger

EPOCH = date(2024, 3, 1)  # the day the file is approved
PROPERTY = settings(max_examples=80, deadline=None)

#: (days after EPOCH, paper set) of each batch, in the order reported.
batches = st.lists(
    st.tuples(st.integers(-40, 700), st.sampled_from(["P-1", "P-2", "P-3", ""])),
    max_size=25,
)


def _file(reported: list[tuple[int, str]]) -> Ledger:
    ledger = Ledger("hunan-2023", approved_on=EPOCH.isoformat())
    for days, paper_set in reported:
        ledger.batch(EPOCH + timedelta(days=days), paper_set=paper_set)
    return ledger


def _walked_last_activity(history: History) -> EventRef | None:
    refs = [b.ref for b in history.batches] + list(history.approvals)
    return max(refs, key=lambda r: (r.occurred_on, r.version), default=None)


def _folds(ledger: Ledger, split: int) -> list[History]:
    """The file's history folded at once, in two steps, and from its batches alone."""
    whole = History.from_events(ledger.events)
    cut = min(split, len(ledger.events))
    stepped = HistoryFold.of(ledger.events[:cut]).extended(ledger.events[cut:]).history
    gathered = History(batches=whole.batches, approvals=whole.approvals)
    return [whole, stepped, gathered]


@PROPERTY
@given(batches, st.integers(0, 30))
def test_the_latest_activity_is_the_walked_one(reported: list[tuple[int, str]], split: int) -> None:
    ledger = _file(reported)
    for history in _folds(ledger, split):
        assert history.last_activity() == _walked_last_activity(history)
        assert history.batches == _folds(ledger, 0)[0].batches


@PROPERTY
@given(batches, st.integers(0, 30), st.sampled_from([1, 3, 6, 12]))
def test_the_other_use_of_a_paper_set_is_the_walked_one(
    reported: list[tuple[int, str]], split: int, months: int
) -> None:
    ledger = _file(reported)
    for history in _folds(ledger, split):
        for batch in history.batches:
            indexed = _other_use(history.same_paper_set(batch.paper_set_id), batch, months)
            assert indexed == _other_use(history.batches, batch, months)


def test_a_paper_set_keeps_its_batches_in_the_order_reported() -> None:
    ledger = _file([(10, "P-1"), (30, "P-2"), (5, "P-1"), (30, "P-1")])
    history = ledger.history()
    same: tuple[BatchFact, ...] = history.same_paper_set("P-1")
    assert [b.evaluated_on for b in same] == [EPOCH + timedelta(days=d) for d in (10, 5, 30)]
    assert history.same_paper_set("P-9") == ()
    # Two batches on the latest day: the one recorded later is the latest activity.
    latest = history.last_activity()
    assert latest == same[-1].ref
    assert latest.version > history.same_paper_set("P-2")[0].ref.version


def _read_back(fold: HistoryFold, reads: list[int]) -> HistoryFold:
    """``fold`` written as the store keeps it (the batches' rows apart) and read back, as
    JSON; ``reads`` counts the reads of the rows."""
    tables, rows = without_batch_rows(fold_as_tables(fold))
    tables, rows = json.loads(json.dumps(tables)), json.loads(json.dumps(rows))

    def source() -> dict[str, Any]:
        reads.append(1)
        return cast(dict[str, Any], rows)

    read = fold_from_tables(tables, source)
    assert read is not None
    return read


@PROPERTY
@given(batches, st.integers(0, 30), st.sampled_from([1, 3, 6, 12]))
def test_a_history_read_back_with_its_batches_built_when_read_answers_as_the_folded_one(
    reported: list[tuple[int, str]], split: int, months: int
) -> None:
    ledger = _file(reported)
    cut = min(split, len(ledger.events))
    for events, more in ((ledger.events, []), (ledger.events[:cut], ledger.events[cut:])):
        reads: list[int] = []
        lazy = _read_back(HistoryFold.of(events), reads).extended(more).history
        eager = History.from_events(ledger.events)
        # The inactivity rule's start, from the latest batch kept beside the rows.
        assert lazy.last_activity() == eager.last_activity() == _walked_last_activity(eager)
        assert len(lazy.batches) == len(eager.batches)
        assert reads == []  # nothing of the rows read for either
        # The reuse rule's candidates: a paper set's batches, in the order reported.
        for paper_set in ("P-1", "P-2", "P-3", "", "P-9"):
            assert lazy.same_paper_set(paper_set) == eager.same_paper_set(paper_set)
        for n, batch in enumerate(eager.batches):
            assert lazy.batches[n] == batch
            assert lazy.batches[n - len(eager.batches)] == batch
            indexed = _other_use(lazy.same_paper_set(batch.paper_set_id), batch, months)
            assert indexed == _other_use(eager.batches, batch, months)
        assert lazy.batches[1:3] == eager.batches[1:3]
        assert lazy == eager
        assert tuple(lazy.batches) == eager.batches
        assert hash(lazy.batches) == hash(eager.batches)
        assert len(reads) <= 1  # the rows read once at most
        # Written again (as the next interval does), it reads back the same.
        again = _read_back(HistoryFold.of(events).extended(more), [])
        assert again.history == eager
        assert again.history.last_activity() == eager.last_activity()
