"""One snapshot for a page's reads: every read inside ``one_snapshot`` runs in the
transaction it opened; outside it, each read opens its own."""

from __future__ import annotations

from projections import Projections
from projections.queries import count_by_status
from projections.querying import one_snapshot, reading


def test_reads_inside_one_snapshot_share_its_transaction(projections: Projections) -> None:
    store = projections.store
    with reading(store) as first, reading(store) as second:
        assert first is not second
    with one_snapshot(store):
        with reading(store) as first, reading(store) as second:
            assert first is second
        assert count_by_status(store) == {}
        with one_snapshot(store), reading(store) as nested:
            assert nested is first
    with reading(store) as after:
        assert after is not first
