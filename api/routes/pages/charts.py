"""What ``static/charts.js`` draws: categories along one axis, one series per level or status
(:class:`Chart`), or one value stepping along a time axis (:class:`StepChart`).

Every chart names the table (:mod:`api.routes.pages.tables`) that holds its numbers, shown
under it and exported as CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from api.i18n import Translator
from api.routes.pages.common import LEVELS
from api.routes.pages.tables import Table

LEVEL_COLOURS = {0: "#7b8da3", 1: "#e0a30b", 2: "#e8590c", 3: "#c0392b"}
STATUS_COLOURS = {
    "submitted": "#4263eb",
    "active": "#2b8a3e",
    "expired": "#f08c00",
    "lapsed": "#adb5bd",
    "rejected": "#868e96",
    "cancelled": "#ced4da",
    "revoked": "#c0392b",
}


@dataclass(frozen=True)
class Series:
    name: str
    data: list[int]
    #: One colour for a bar series; one per category for a pie.
    colours: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    kind: Literal["bar", "pie"]
    categories: list[str]
    series: list[Series]
    #: The name of the table with the chart's numbers.
    table: str
    horizontal: bool = False
    note: str = ""

    @property
    def empty(self) -> bool:
        return not any(any(s.data) for s in self.series)

    @property
    def spec(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "horizontal": self.horizontal,
                "categories": self.categories,
                "series": [
                    {"name": s.name, "data": s.data, "colors": list(s.colours)} for s in self.series
                ],
            },
            ensure_ascii=False,
        )


@dataclass(frozen=True)
class StepChart:
    """One value over time: it holds from each point until the next (e.g. a credit grade).

    Drawn on a canvas, with the ``levels`` up the value axis, the lowest first.
    """

    id: str
    title: str
    #: The values the line can take, lowest first.
    levels: list[str]
    #: ``(ISO date, level)`` in date order.
    points: list[tuple[str, str]]
    series_name: str
    #: The name of the table with the chart's numbers.
    table: str
    colour: str = "#4263eb"
    horizontal: bool = False
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def spec(self) -> str:
        return json.dumps(
            {
                "kind": "step",
                "renderer": "canvas",
                "levels": self.levels,
                "points": [list(p) for p in self.points],
                "name": self.series_name,
                "color": self.colour,
            },
            ensure_ascii=False,
        )


def by_level(
    rows: Iterable[tuple[str, int, int]],
    tr: Translator,
    *,
    order: Callable[[dict[str, int]], list[str]] | None = None,
) -> tuple[list[str], list[Series]]:
    """Pivot ``(category, level, count)`` rows into categories and one series per level.

    ``order`` picks and orders the categories from their totals (default: sorted).
    """
    counts: dict[str, dict[int, int]] = {}
    for category, level, count in rows:
        counts.setdefault(category, {})
        counts[category][level] = counts[category].get(level, 0) + count
    totals = {c: sum(v.values()) for c, v in counts.items()}
    categories = order(totals) if order else sorted(counts)
    series = [
        Series(
            f"{level} {tr.level(level)}",
            [counts.get(c, {}).get(level, 0) for c in categories],
            (LEVEL_COLOURS[level],),
        )
        for level in LEVELS
        if any(counts.get(c, {}).get(level) for c in categories)
    ]
    return categories, series


def continuous_months(totals: dict[str, int]) -> list[str]:
    """Every month from the first to the last with data, so the time axis has no gaps."""
    if not totals:
        return []
    first, last = min(totals), max(totals)
    year, month = int(first[:4]), int(first[5:7])
    months: list[str] = []
    while (label := f"{year:04d}-{month:02d}") <= last and len(months) < 600:
        months.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def most_first(totals: dict[str, int]) -> list[str]:
    """Categories with the most first (ties by name)."""
    return sorted(totals, key=lambda c: (-totals[c], c))


def level_table(
    name: str, first: str, rows: Sequence[tuple[str, int, int]], tr: Translator
) -> Table:
    """``(category, level, count)`` rows as a table: category, level with its name, count."""
    return Table(
        name,
        [first, tr("chart.level"), tr("common.count")],
        [[c, f"{lv} {tr.level(lv)}", n] for c, lv, n in rows],
    )
