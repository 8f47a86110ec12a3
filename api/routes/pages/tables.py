"""Tables as they are exported: columns, cells and the CSV answer every page gives.

``?format=csv`` exports a page's table (``&table=NAME`` on pages with several) in UTF-8
with a byte-order mark, so that spreadsheet programs read the Chinese correctly; a cell a
spreadsheet would read as a formula is kept as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import Depends
from fastapi.responses import Response

from domain.errors import NotFound

T = TypeVar("T")

#: A column: its header and how to read its cell from a row.
Column = tuple[str, Callable[[T], object]]


@dataclass(frozen=True)
class Table:
    """A table as it is exported: file name, header and plain cells."""

    name: str
    header: list[str]
    rows: list[list[object]] = field(default_factory=list)


def table_of(name: str, items: Iterable[T], columns: Sequence[Column[T]]) -> Table:
    """The table of ``items``, one row each, one cell per column."""
    return Table(
        name,
        [header for header, _ in columns],
        [[cell(item) for _, cell in columns] for item in items],
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = value.isoformat() if isinstance(value, date) else str(value)
    # A cell a spreadsheet would read as a formula is kept as text.
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(table: Table) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    response = Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{table.name}.csv";'
            f" filename*=UTF-8''{quote(table.name)}.csv"
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Export:
    """``?format=csv&table=NAME``: whether the page is asked for as a CSV, and which table."""

    format: str | None = None
    table: str | None = None

    @property
    def csv(self) -> bool:
        return self.format == "csv"

    def response(self, tables: Mapping[str, Callable[[], Table]], default: str) -> Response:
        """The CSV of the table asked for (``default`` when none is named)."""
        name = self.table or default
        if name not in tables:
            raise NotFound(f"no table {name!r} here (tables: {', '.join(tables)})", field="table")
        return csv_response(tables[name]())


def export_query(format: str | None = None, table: str | None = None) -> Export:
    return Export(format, table)


ExportDep = Annotated[Export, Depends(export_query)]
