"""The benchmark's one table: figure, ours, the baseline measured in the same run, ratio."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    ours: float
    #: The baseline measured beside it in the same run (NaN: none for this figure).
    baseline: float = math.nan
    #: What the issue asks for, in words (empty: no target).
    target: str = ""

    @property
    def ratio(self) -> float:
        if math.isnan(self.baseline) or self.baseline == 0:
            return math.nan
        return self.ours / self.baseline


@dataclass
class Table:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Told of each figure as it is measured (progress on a long run).
    echo: Callable[[str], None] | None = None

    def add(
        self, name: str, unit: str, ours: float, baseline: float = math.nan, target: str = ""
    ) -> None:
        figure = Figure(name, unit, ours, baseline, target)
        self.figures.append(figure)
        if self.echo is not None:
            self.echo(f"{name.strip()}: {_number(ours)} {unit} (baseline {_number(baseline)})")

    def names(self) -> list[str]:
        return [f.name for f in self.figures]

    def render(self) -> str:
        rows = [("figure", "unit", "ours", "baseline", "ratio", "target")]
        rows += [
            (f.name, f.unit, _number(f.ours), _number(f.baseline), _ratio(f.ratio), f.target)
            for f in self.figures
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = []
        for n, row in enumerate(rows):
            cells = [
                cell.ljust(w) if i in (0, 1, 5) else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append(" | ".join(cells).rstrip())
            if n == 0:
                lines.append("-+-".join("-" * w for w in widths))
        return "\n".join([*lines, *self.notes])


def _number(value: float) -> str:
    if math.isnan(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"
