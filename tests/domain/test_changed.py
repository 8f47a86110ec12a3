"""``changed`` is ``dataclasses.replace`` for the institution's records, only faster."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.state import BatchState, InstitutionState, changed


def test_a_changed_record_is_the_record_replace_makes_and_the_original_is_untouched() -> None:
    state = InstitutionState(name="甲中心", jurisdiction="chengdu", approvals=1)
    changes = {"status": "active", "valid_until": date(2029, 3, 1), "approvals": 2}

    copy = changed(state, **changes)

    assert copy == dataclasses.replace(state, **changes)
    assert type(copy) is InstitutionState
    assert copy is not state
    assert (state.status, state.valid_until, state.approvals) == ("submitted", None, 1)


def test_every_field_of_a_nested_record_is_kept() -> None:
    batch = BatchState(evaluated_on=date(2024, 5, 1), flags=3)
    assert changed(batch, voided_by="d-1") == BatchState(date(2024, 5, 1), 3, "d-1")
    assert changed(batch) == batch


def test_a_name_that_is_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field colour"):
        changed(InstitutionState(), colour="red")
