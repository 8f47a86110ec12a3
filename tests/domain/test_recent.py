"""What a process keeps of the files it read lately (``domain.ledger.Recent``, under the
kept institutions, saved aggregates and history folds) is bounded by count and by the events
the kept values hold together: a few large files cannot take any amount of memory."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.ledger import HistoryFolds, LatestInstitutions, SavedAggregates
from domain.recent import Recent


def test_the_least_recently_used_go_first_once_their_events_pass_the_bound() -> None:
    recent: Recent[str] = Recent(max_items=10, max_events=100)
    a, b, c = uuid4(), uuid4(), uuid4()
    recent.put(a, 40, "a")
    recent.put(b, 40, "b")
    assert recent.get(a) == (40, "a")  # a used after b
    recent.put(c, 40, "c")
    assert recent.get(b) is None
    assert recent.get(a) == (40, "a")
    assert recent.get(c) == (40, "c")
    assert recent.events == 80


def test_a_value_larger_than_the_bound_alone_is_not_kept_and_its_older_one_goes() -> None:
    recent: Recent[str] = Recent(max_items=10, max_events=100)
    a = uuid4()
    recent.put(a, 50, "old")
    recent.put(a, 101, "too large")
    assert recent.get(a) is None
    assert recent.events == 0


def test_only_a_later_version_replaces_a_kept_one_unless_told_otherwise() -> None:
    recent: Recent[str] = Recent(max_items=10, max_events=100)
    a = uuid4()
    recent.put(a, 5, "v5")
    recent.put(a, 4, "v4")
    assert recent.get(a) == (5, "v5")
    recent.put(a, 3, "v3", newer_only=False)
    assert recent.get(a) == (3, "v3")
    assert recent.events == 3


@given(
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 60), st.booleans()), max_size=60),
    st.integers(1, 5),
    st.integers(0, 120),
)
def test_the_bounds_always_hold_and_the_kept_events_add_up(
    puts: list[tuple[int, int, bool]], max_items: int, max_events: int
) -> None:
    keys = [UUID(int=i + 1) for i in range(8)]
    recent: Recent[int] = Recent(max_items=max_items, max_events=max_events)
    for key, version, newer_only in puts:
        recent.put(keys[key], version, version, newer_only=newer_only)
        assert len(recent) <= max_items
        assert recent.events <= max_events
        kept = [recent._kept[k] for k in keys if k in recent._kept]
        assert sum(v for v, _ in kept) == recent.events
        got = recent._kept.get(keys[key])
        if version > max_events:
            assert got is None
        elif newer_only:  # kept, unless an equal or later version was already
            assert got is not None
            assert got[0] >= version
        else:
            assert got == (version, version)


def test_the_three_keeps_take_the_bound_by_events() -> None:
    assert HistoryFolds(max_events=7)._folds.max_events == 7
    assert LatestInstitutions(size=3, max_events=9)._kept.max_events == 9
    assert SavedAggregates(size=3, max_events=9)._saved.max_items == 3
