"""Given / when / then for aggregates: tests read as history → command → events or refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import pytest

from domain.base import LedgerAggregate, Stamp
from domain.errors import DomainError

A = TypeVar("A", bound=LedgerAggregate)
Step = Callable[[Any], Any]


def stamp(actor: str = "regulator.li", role: str = "regulator", day: str = "2024-03-01") -> Stamp:
    return Stamp(actor, role, "req-test", datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC))


def d(day: str) -> date:
    return date.fromisoformat(day)


class Given(Generic[A]):
    """The aggregate after ``steps``: the first creates it, each later one acts on it."""

    def __init__(self, create: Callable[[], A], *steps: Step) -> None:
        self.aggregate = create()
        for step in steps:
            step(self.aggregate)
        self.aggregate.collect_events()

    def when(self, command: Step) -> Then[A]:
        try:
            command(self.aggregate)
        except DomainError as exc:
            return Then(self.aggregate, [], exc)
        return Then(self.aggregate, self.aggregate.collect_events(), None)


class Then(Generic[A]):
    def __init__(self, aggregate: A, events: list[Any], error: DomainError | None) -> None:
        self.aggregate = aggregate
        self.events = events
        self.error = error

    def then(self, *names: str, **attributes: Any) -> Then[A]:
        if self.error is not None:
            pytest.fail(f"expected {names}, the command was refused: {self.error.detail}")
        assert [type(e).__name__ for e in self.events] == list(names)
        last = self.events[-1] if self.events else None
        for key, value in attributes.items():
            assert getattr(last, key) == value, f"{key}: {getattr(last, key)!r} != {value!r}"
        return self

    def then_refused(
        self, error: type[DomainError], *, article: str | None = None, field: str | None = None
    ) -> DomainError:
        assert self.error is not None, f"expected a refusal, got {self.events}"
        assert isinstance(self.error, error), f"{type(self.error).__name__}: {self.error.detail}"
        if article is not None:
            assert article in self.error.articles, self.error.articles
        if field is not None:
            assert self.error.field == field
        assert self.events == []
        return self.error

    def state(self, **attributes: Any) -> Then[A]:
        for key, value in attributes.items():
            assert getattr(self.aggregate, key) == value, f"{key}: {getattr(self.aggregate, key)!r}"
        return self
