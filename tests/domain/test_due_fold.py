"""The due dates folded from an institution's events a few at a time (``DueFold``) are
the due dates of the whole institution and history (``institution_due_dates``), over
files generated from batches, findings (system flags of inactivity among them),
renewals and expiries on any business days, folded in any chunks."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.deciders import filing
from domain.due_dates import DueFold, institution_due_dates
from domain.errors import DomainError
from domain.history import HistoryFold
from domain.rulebook import InactivityParams, default_catalogue
from tests.domain.histories import INSTITUTION_RULEBOOKS
from tests.gwt import Ledger, d

STEP = st.one_of(
    st.tuples(st.just("batch"), st.integers(-60, 2200)),
    st.tuples(st.just("finding"), st.integers(-60, 2200)),
    st.tuples(st.just("flag"), st.integers(0, 30)),
    st.tuples(st.just("renew"), st.integers(700, 2200)),
    st.tuples(st.just("advance"), st.integers(0, 2600)),
)


def _file(rulebook_id: str, steps: list[tuple[str, int]]) -> Ledger:
    ledger = Ledger(rulebook_id)
    book = ledger.rulebook
    months = [
        cast(InactivityParams, s.typed_params()).months
        for s in book.derived_rules
        if s.kind == "inactivity"
    ] or [12]
    start = d("2024-03-01")
    days = [start]
    for kind, n in steps:
        on = start + timedelta(days=n)
        try:
            if kind == "batch":
                ledger.batch(on)
                days.append(on)
            elif kind == "finding":
                ledger.finding(book.articles[-1].items[0].id, on)
            elif kind == "flag":  # an inactivity flag since a day of activity so far
                since = days[n % len(days)]
                reference = f"inactive-since-{since}-{months[n % len(months)]}m"
                ledger.finding(book.articles[-1].items[0].id, on, reference=reference)
            elif kind == "renew":
                ledger.run(filing.request_renewal, filing.RequestRenewal(on, book))
                ledger.run(filing.approve_renewal, filing.ApproveRenewal(on, book))
                days.append(on)
            else:
                ledger.run(filing.advance_to, filing.AdvanceTo(on, book))
        except DomainError:
            continue  # refused: the file goes on without it
    return ledger


@settings(max_examples=150, deadline=None)
@given(
    rulebook_id=st.sampled_from(INSTITUTION_RULEBOOKS),
    steps=st.lists(STEP, max_size=25),
    chunks=st.lists(st.integers(1, 6), min_size=1, max_size=8),
)
def test_the_due_fold_gives_the_due_dates_of_the_whole_institution_and_history(
    rulebook_id: str, steps: list[tuple[str, int]], chunks: list[int]
) -> None:
    ledger = _file(rulebook_id, steps)
    events = ledger.events
    catalogue = default_catalogue()
    history = HistoryFold.of(events).history
    fold, at, n = DueFold(), 0, 0
    while at < len(events):
        size = chunks[n % len(chunks)]
        fold, at, n = fold.extended(events[at : at + size]), at + size, n + 1
    assert fold.version == len(events)
    assert fold.last == history.last_activity()
    assert set(fold.references.values()) == {f.reference for f in history.findings}
    for rulebook in (ledger.rulebook, None):
        whole = institution_due_dates(ledger.state, history, catalogue, rulebook)
        assert fold.due_dates(catalogue, rulebook) == whole
