"""The register a regulator kept before this system, row by row: the column layout, each
row read into a typed record or refused naming the column and the reason.

Pure: the caller reads the file (``bootstrap/register_import.py``) and passes each row's
cells as text; nothing here reads a clock or a file. The layout is documented in
``docs/register-import.md``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Literal

from domain.deciders.filing import FilingApplication
from domain.errors import InvalidInput
from domain.events import ScopeLine, SourceRow

RecordKind = Literal["institution", "sanction"]

#: Columns of an institution row; the ``?`` ones may be empty.
INSTITUTION_COLUMNS = (
    "credit_code",
    "jurisdiction",
    "name",
    "kind",
    "district",
    "address",
    "scope",
    "test_sites",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "approved_on",
    "submitted_on?",
    "receipt_number?",
)
#: Columns of a sanction row.
SANCTION_COLUMNS = (
    "credit_code",
    "jurisdiction",
    "sanction",
    "decided_on",
    "summary",
    "effect_on?",
    "accepted_on?",
    "items?",
    "reference?",
)
#: The sanctions a register may bring in, and the level each stands for on the ladder.
SANCTION_LEVELS = {"interview": 1, "rectification": 2, "warning": 2}
#: Sheet names that say what their rows are when there is no ``record`` column.
SHEET_KINDS: dict[str, RecordKind] = {"institutions": "institution", "sanctions": "sanction"}


class RowRefused(InvalidInput):
    """A row that cannot be brought in; ``field`` names the column."""


@dataclass(frozen=True)
class InstitutionRow:
    source: SourceRow
    application: FilingApplication
    submitted_on: date
    approved_on: date
    receipt_number: str | None


@dataclass(frozen=True)
class SanctionRow:
    source: SourceRow
    credit_code: str
    jurisdiction: str
    kind: str
    decided_on: date
    effect_on: date
    accepted_on: date | None
    items: tuple[str, ...]  # as written: "25.3" or "hunan-2023/25.3"
    reference: str
    summary: str

    @property
    def sanction_id(self) -> str:
        return f"IMP-{self.source['key'][:12]}"


RegisterRow = InstitutionRow | SanctionRow


def kind_of(cells: dict[str, str], sheet: str) -> RecordKind:
    """What a row is: its ``record`` cell, else its sheet's name, else an institution."""
    record = cells.get("record", "").strip().lower()
    if record in ("institution", "sanction"):
        return record  # type: ignore[return-value]
    if record:
        raise RowRefused(f"'{record}' is neither institution nor sanction", field="record")
    return SHEET_KINDS.get(sheet.strip().lower(), "institution")


def source_row(file: str, sheet: str, row: int, cells: dict[str, str]) -> SourceRow:
    """The row as the events keep it; its key is its identity across runs (the same credit
    code, jurisdiction, kind and cells give the same key, wherever the row stands)."""
    kept = {k: v for k, v in cells.items() if k != "record"}
    identity = json.dumps(
        [
            kind_of(cells, sheet),
            cells.get("jurisdiction", "").strip().lower(),
            cells.get("credit_code", "").strip().upper(),
            sorted(kept.items()),
        ],
        ensure_ascii=False,
    )
    key = hashlib.sha256(identity.encode("utf-8")).hexdigest()
    return SourceRow(file=file, sheet=sheet, row=row, cells=dict(cells), key=key)


def read_row(source: SourceRow, kind: RecordKind) -> RegisterRow:
    """The row as a typed record; :class:`RowRefused` names the first bad column."""
    cells = {k: v.strip() for k, v in source["cells"].items()}
    columns = INSTITUTION_COLUMNS if kind == "institution" else SANCTION_COLUMNS
    for column in columns:
        if not column.endswith("?") and not cells.get(column):
            raise RowRefused(f"{column} is empty", field=column)
    if kind == "institution":
        return _institution(source, cells)
    return _sanction(source, cells)


def _institution(source: SourceRow, cells: dict[str, str]) -> InstitutionRow:
    application = FilingApplication(
        credit_code=cells["credit_code"].upper(),
        name=cells["name"],
        kind=cells["kind"],
        jurisdiction=cells["jurisdiction"].lower(),
        district=cells["district"],
        address=cells["address"],
        scope=parse_scope(cells["scope"]),
        test_sites=_listed(cells["test_sites"]),
        legal_representative=cells["legal_representative"],
        contact={"name": cells["contact_name"], "phone": cells["contact_phone"]},
    )
    try:
        application.validate()
    except InvalidInput as exc:
        field = (exc.field or "").split(".")[0]
        raise RowRefused(exc.detail, field=field or None) from None
    approved_on = parse_date(cells, "approved_on")
    submitted_on = parse_date(cells, "submitted_on") if cells.get("submitted_on") else approved_on
    if submitted_on > approved_on:
        raise RowRefused("submitted_on is after approved_on", field="submitted_on")
    return InstitutionRow(
        source, application, submitted_on, approved_on, cells.get("receipt_number") or None
    )


def _sanction(source: SourceRow, cells: dict[str, str]) -> SanctionRow:
    kind = cells["sanction"].lower()
    if kind not in SANCTION_LEVELS:
        raise RowRefused(
            f"'{cells['sanction']}' is not one of {', '.join(SANCTION_LEVELS)}"
            " (a revocation is brought in as the filing it ended, not as a sanction)",
            field="sanction",
        )
    decided_on = parse_date(cells, "decided_on")
    effect_on = parse_date(cells, "effect_on") if cells.get("effect_on") else decided_on
    if effect_on < decided_on:
        raise RowRefused("effect_on is before decided_on", field="effect_on")
    accepted_on = parse_date(cells, "accepted_on") if cells.get("accepted_on") else None
    if accepted_on is not None and (kind != "rectification" or accepted_on < effect_on):
        raise RowRefused(
            "accepted_on is for a rectification, on or after its effect_on", field="accepted_on"
        )
    return SanctionRow(
        source,
        credit_code=cells["credit_code"].upper(),
        jurisdiction=cells["jurisdiction"].lower(),
        kind=kind,
        decided_on=decided_on,
        effect_on=effect_on,
        accepted_on=accepted_on,
        items=tuple(_listed(cells.get("items", ""))),
        reference=cells.get("reference", ""),
        summary=cells["summary"],
    )


def parse_date(cells: dict[str, str], column: str) -> date:
    text = cells.get(column, "")
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in " T" else text)
    except ValueError:
        raise RowRefused(f"'{text}' is not a date (YYYY-MM-DD)", field=column) from None


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.replace("；", ";").split(";") if part.strip()]


def parse_scope(text: str) -> list[ScopeLine]:
    """``4-03-02-01:3,4,5; 6-31-01-03:4`` → the filing's scope lines."""
    lines: list[ScopeLine] = []
    for part in _listed(text):
        occupation, sep, levels = part.partition(":")
        try:
            parsed = [int(x) for x in levels.replace("，", ",").split(",") if x.strip()]
        except ValueError:
            parsed = []
        if not sep or not parsed:
            raise RowRefused(
                f"'{part}' is not OCCUPATION:LEVELS (e.g. 4-03-02-01:3,4,5)", field="scope"
            )
        lines.append({"occupation": occupation.strip(), "levels": parsed})
    return lines
