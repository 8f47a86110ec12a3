"""``oversight import-register FILE.xlsx|csv``: the register kept before this system.

Reads the rows (openpyxl for a workbook, the csv module for a CSV file), puts every
institution row before the sanction rows, hands them to the application's register
commands (``domain/commands/register.py``) and reports each row refused with its column
and reason. ``--dry-run`` saves nothing. Progress (rows, rate) goes to stderr; the
outcome to stdout. The column layout: ``docs/register-import.md``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from config.settings import Settings
from domain.access import Principal
from domain.commands.register import RowOutcome
from domain.events import SourceRow
from domain.ledger import Context
from domain.register_rows import RowRefused, kind_of, source_row

#: The author of the imported events.
IMPORTER = Principal(subject="register-import", role="admin")
#: Progress is reported at most this often (seconds), on files of more rows than this.
PROGRESS_SECONDS = 1.0
PROGRESS_ROWS = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the register: a .xlsx workbook or a .csv file")
    parser.add_argument(
        "--dry-run", action="store_true", help="save nothing; list every row it would refuse"
    )
    parser.add_argument("--verbose", action="store_true", help="list every row's outcome")


def cell_text(value: Any) -> str:
    """A cell as text: dates as YYYY-MM-DD, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(
    header: list[Any], values: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[int, dict[str, str]]]:
    names = [cell_text(h).lower() for h in header]
    for number, row in enumerate(values, start=2):
        cells = {
            name: text
            for name, value in zip(names, row, strict=False)
            if name and (text := cell_text(value))
        }
        if cells:
            yield number, cells


def read_register(path: Path) -> list[SourceRow]:
    """Every non-empty row of every sheet, institution rows first."""
    rows: list[SourceRow] = []
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            rows = [
                source_row(path.name, "csv", n, cells)
                for n, cells in _rows(header, (tuple(r) for r in reader))
            ]
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                values = sheet.iter_rows(values_only=True)
                header = list(next(values, ()))
                rows += [
                    source_row(path.name, sheet.title, n, cells)
                    for n, cells in _rows(header, values)
                ]
        finally:
            book.close()
    else:
        raise RowRefused(f"{path.name}: not a .xlsx or .csv file", field="file")
    return sorted(rows, key=_institutions_first)


def _institutions_first(row: SourceRow) -> int:
    try:
        return 0 if kind_of(row["cells"], row["sheet"]) == "institution" else 1
    except RowRefused:
        return 2


class Progress:
    """``rows done/total, rate`` on stderr, at most once a second, for large files."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.out = out
        self.started = time.monotonic()
        self.last = self.started

    def step(self, done: int) -> None:
        now = time.monotonic()
        if self.total <= PROGRESS_ROWS or (
            now - self.last < PROGRESS_SECONDS and done < self.total
        ):
            return
        self.last = now
        rate = done / max(now - self.started, 1e-6)
        print(f"import-register: {done}/{self.total} rows, {rate:.0f} rows/s", file=self.out)


def command(args: argparse.Namespace, settings: Settings) -> int:
    from bootstrap import build_application

    rows = read_register(args.file)
    app = build_application(settings)
    try:
        ctx = Context(principal=IMPORTER, request_id=f"import-register:{args.file.name}")
        outcomes: list[RowOutcome] = []
        progress = Progress(len(rows), sys.stderr)
        for outcome in app.register.bring_in(ctx, rows, dry_run=args.dry_run):
            outcomes.append(outcome)
            if args.verbose or outcome.action == "refused":
                print(outcome.line())
            progress.step(len(outcomes))
    finally:
        app.close()
    counts = {a: sum(1 for o in outcomes if o.action == a) for a in _ACTIONS}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n or a == "refused")
    print(
        f"{args.file.name}: {len(outcomes)} rows: {summary}"
        + (" (dry run)" if args.dry_run else "")
    )
    return 1 if counts["refused"] else 0


_ACTIONS = ("imported", "would import", "already imported", "refused")
