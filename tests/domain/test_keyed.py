"""``Keyed``, the state's keyed collections: every mapping reads as the dict it stands for,
in the dict's order, whatever was made from it or from its predecessors afterwards; and a
snapshot of the state is stored as it was when the collections were dicts."""

from __future__ import annotations

import json
import pickle

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.evolve import fold
from domain.keyed import Keyed, empty
from domain.ledger import DateAsISO
from domain.state import (
    KEYED_FIELDS,
    RECORD_TYPES,
    TRANSCODINGS,
    InstitutionState,
    RecordTranscoding,
    changed,
)
from tests.domain.test_snapshots import full_file

#: Each step: (which mapping made so far to start from, key, value); the key a small int so
#: that steps often replace an entry and start from a mapping others were made from.
steps = st.lists(
    st.tuples(st.integers(0, 1_000), st.integers(0, 6), st.integers(0, 99)), max_size=40
)


@settings(max_examples=200, deadline=None)
@given(steps, st.dictionaries(st.integers(0, 9), st.integers(0, 99), max_size=6))
def test_every_mapping_reads_as_its_dict_whatever_came_after(
    made: list[tuple[int, int, int]], first: dict[int, int]
) -> None:
    loads: list[int] = []

    def load() -> dict[int, int]:
        loads.append(1)
        return dict(first)

    # Made from a mapping given at once, and from one whose entries are loaded when read.
    # And from the empty mapping every state shares.
    mappings: list[Keyed[int, int]] = [Keyed(first), Keyed.deferred(len(first), load), empty()]
    dicts: list[dict[int, int]] = [dict(first), dict(first), {}]
    for start, key, value in made:
        n = start % len(mappings)
        mappings.append(mappings[n].set(key, value))
        dicts.append({**dicts[n], key: value})
    for mapping, expected in zip(mappings, dicts, strict=True):
        assert list(mapping.items()) == list(expected.items())  # the dict's order, too
        assert len(mapping) == len(expected)
        assert mapping == expected
        assert all(k in mapping and mapping.get(k) == v for k, v in expected.items())
        assert 10 not in mapping
        assert mapping.get(10, "absent") == "absent"
    assert len(loads) <= 1  # loaded once, if read at all
    assert empty()._order.keys == []  # it keeps no key of those made from it


def test_every_state_shares_one_empty_mapping_that_stays_empty() -> None:
    one, other = InstitutionState(), InstitutionState()
    assert all(getattr(one, name) is empty() for name in KEYED_FIELDS)
    assert other.findings is one.cases
    grown = one.findings.set("F-1", 1).set("F-2", 2)
    again = other.findings.set("F-3", 3)
    assert list(grown) == ["F-1", "F-2"]
    assert list(again) == ["F-3"]
    assert len(empty()) == 0
    assert list(empty().items()) == []
    assert empty()._order.keys == []


def test_a_deferred_mapping_loads_its_entries_once_when_first_read() -> None:
    loads: list[int] = []

    def load() -> dict[str, int]:
        loads.append(1)
        return {"B-1": 1, "B-2": 2}

    deferred: Keyed[str, int] = Keyed.deferred(2, load)
    assert len(deferred) == 2  # its length is known without a load
    assert loads == []
    later = deferred.set("B-3", 3)
    assert loads == [1]
    assert list(later.items()) == [("B-1", 1), ("B-2", 2), ("B-3", 3)]
    assert list(deferred.items()) == [("B-1", 1), ("B-2", 2)]
    assert deferred == {"B-1": 1, "B-2": 2}
    assert "B-2" in deferred
    assert loads == [1]
    assert pickle.loads(pickle.dumps(deferred)) == deferred
    wrong: Keyed[str, int] = Keyed.deferred(3, load)  # not the entries it was written with
    with pytest.raises(ValueError, match="3 expected"):
        list(wrong)


def test_updated_sets_several_and_appends_new_keys_in_order() -> None:
    first = Keyed({"F-1": 1, "F-2": 2})
    later = first.updated({"F-2": 20, "F-3": 3, "F-4": 4})
    assert list(later.items()) == [("F-1", 1), ("F-2", 20), ("F-3", 3), ("F-4", 4)]
    assert list(first.items()) == [("F-1", 1), ("F-2", 2)]
    other = first.set("F-9", 9)  # made from ``first`` after ``later`` grew its keys
    assert list(other) == ["F-1", "F-2", "F-9"]
    assert list(later) == ["F-1", "F-2", "F-3", "F-4"]


def test_a_keyed_mapping_equals_mappings_with_the_same_entries_only() -> None:
    assert Keyed({"a": 1, "b": 2}) == Keyed({"b": 2, "a": 1}) == {"b": 2, "a": 1}
    assert Keyed({"a": 1}) != {"a": 2}
    assert Keyed({"a": 1}) != {"a": 1, "b": 2}
    assert Keyed({"a": 1}) != [("a", 1)]


def _old_transcoder() -> JSONTranscoder:
    """The store's transcoder as it was when the state's collections were dicts."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    for record in (InstitutionState, *RECORD_TYPES):
        transcoder.register(RecordTranscoding(record))
    return transcoder


def _transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    for transcoding in TRANSCODINGS:
        transcoder.register(transcoding)
    return transcoder


def test_a_snapshot_reads_as_the_state_it_was_taken_of_stored_now_or_before() -> None:
    inst = full_file()
    state = inst.state
    assert all(isinstance(getattr(state, name), Keyed) for name in KEYED_FIELDS)
    assert all(len(getattr(state, name)) > 0 for name in ("batches", "findings", "cases"))
    as_dicts = changed(state, **{name: dict(getattr(state, name)) for name in KEYED_FIELDS})
    stored_before = _old_transcoder().encode(as_dicts)
    stored_now = _transcoder().encode(state)
    # Written as before, but for the batches: a table of rows, as one text.
    before, now = json.loads(stored_before), json.loads(stored_now)
    rows = [
        [key, b.evaluated_on.isoformat(), b.flags, b.voided_by] for key, b in state.batches.items()
    ]
    table = now["_data_"].pop("batches")
    assert table == {
        "_type_": "institution_state.batches",
        "_data_": {
            "columns": ["batch_id", "evaluated_on", "flags", "voided_by"],
            "count": len(rows),
            "text": table["_data_"]["text"],
        },
    }
    assert json.loads(table["_data_"]["text"]) == rows
    before["_data_"].pop("batches")
    assert now == before
    # The table as written before its rows were one text.
    rows_before = json.loads(stored_now)
    rows_before["_data_"]["batches"]["_data_"] = {
        "columns": table["_data_"]["columns"],
        "rows": rows,
    }
    stored_rows = json.dumps(rows_before).encode()
    for stored in (stored_before, stored_rows, stored_now):
        read = _transcoder().decode(stored)
        assert read == state
        for name in KEYED_FIELDS:
            assert isinstance(getattr(read, name), Keyed)
            assert list(getattr(read, name)) == list(getattr(state, name))
        # A state read back folds on as the one it was taken of.
        assert fold([], read) == fold([], state)


def test_a_batch_table_with_its_columns_in_another_order_reads_by_their_names() -> None:
    state = full_file().state
    table = json.loads(_transcoder().encode(state))["_data_"]["batches"]["_data_"]
    order = [3, 1, 0, 2]
    table["columns"] = [table["columns"][i] for i in order]
    table["rows"] = [[row[i] for i in order] for row in json.loads(table.pop("text"))]
    stored = {"_type_": "institution_state.batches", "_data_": table}
    assert _transcoder().decode(json.dumps(stored).encode()) == state.batches
