"""Rows of the register brought in: each read into a record, or refused naming the column
and the reason; the row's key is its identity; the imported events read as filings."""

from __future__ import annotations

from typing import Any

import pytest

from domain.creditcode import make_credit_code
from domain.deciders.register import ImportFiling, ImportSanction
from domain.errors import Conflict
from domain.institution import Institution
from domain.register_rows import InstitutionRow, RowRefused, SanctionRow, read_row, source_row
from tests.gwt import d, rulebook, stamp

CODE = make_credit_code("91430104MA4L00001")
INSTITUTION = {
    "credit_code": CODE,
    "jurisdiction": "hunan",
    "name": "长沙麓山职业技能评价中心",
    "kind": "social_org",
    "district": "岳麓区",
    "address": "长沙市岳麓区麓山南路1号",
    "scope": "4-03-02-01:3,4,5; 6-31-01-03:4",
    "test_sites": "麓山考点；二号考点",
    "legal_representative": "周某",
    "contact_name": "陈某",
    "contact_phone": "0731-00000001",
    "approved_on": "2021-03-01",
}
SANCTION = {
    "credit_code": CODE,
    "jurisdiction": "hunan",
    "sanction": "rectification",
    "decided_on": "2022-05-10",
    "effect_on": "2022-05-12",
    "accepted_on": "2022-07-01",
    "items": "26.2",
    "summary": "超范围评价",
}


def row(sheet: str, cells: dict[str, str], n: int = 2) -> InstitutionRow | SanctionRow:
    return read_row(
        source_row("r.xlsx", sheet, n, cells),
        "institution" if sheet == "institutions" else "sanction",
    )


def test_an_institution_row_is_read_with_its_scope_sites_and_dates() -> None:
    read = row("institutions", INSTITUTION)
    assert isinstance(read, InstitutionRow)
    assert read.application.scope == [
        {"occupation": "4-03-02-01", "levels": [3, 4, 5]},
        {"occupation": "6-31-01-03", "levels": [4]},
    ]
    assert read.application.test_sites == ["麓山考点", "二号考点"]
    assert (read.submitted_on, read.approved_on) == (d("2021-03-01"), d("2021-03-01"))


@pytest.mark.parametrize(
    ("sheet", "change", "field", "reason"),
    [
        ("institutions", {"name": ""}, "name", "name is empty"),
        ("institutions", {"credit_code": CODE[:-1] + "0"}, "credit_code", "check character"),
        ("institutions", {"kind": "school"}, "kind", "kind must be one of"),
        ("institutions", {"scope": "4-03-02-01"}, "scope", "OCCUPATION:LEVELS"),
        ("institutions", {"scope": "4-03-02-01:7"}, "scope", "1-5"),
        ("institutions", {"approved_on": "2021/03/01"}, "approved_on", "not a date"),
        ("institutions", {"submitted_on": "2021-04-01"}, "submitted_on", "after approved_on"),
        ("sanctions", {"sanction": "revocation"}, "sanction", "not one of"),
        ("sanctions", {"effect_on": "2022-05-01"}, "effect_on", "before decided_on"),
        ("sanctions", {"accepted_on": "2022-05-11"}, "accepted_on", "on or after"),
        ("sanctions", {"summary": ""}, "summary", "summary is empty"),
    ],
)
def test_a_bad_row_is_refused_naming_the_column_and_the_reason(
    sheet: str, change: dict[str, str], field: str, reason: str
) -> None:
    cells = {**(INSTITUTION if sheet == "institutions" else SANCTION), **change}
    with pytest.raises(RowRefused) as refused:
        row(sheet, cells)
    assert refused.value.field == field
    assert reason in refused.value.detail


def test_a_rows_key_is_its_cells_not_its_place() -> None:
    here = source_row("a.xlsx", "institutions", 2, dict(INSTITUTION))
    moved = source_row("b.xlsx", "institutions", 40, dict(reversed(list(INSTITUTION.items()))))
    edited = source_row("a.xlsx", "institutions", 2, {**INSTITUTION, "address": "新址"})
    assert here["key"] == moved["key"]
    assert here["key"] != edited["key"]


def _imported() -> Institution:
    read = row("institutions", INSTITUTION)
    assert isinstance(read, InstitutionRow)
    command = ImportFiling(
        read.application,
        read.submitted_on,
        read.approved_on,
        rulebook("hunan-2023"),
        None,
        read.source,
    )
    return Institution.import_filing(command, stamp())


def test_an_imported_filing_reads_as_a_filing_with_the_first_rulebooks_validity() -> None:
    inst = _imported()
    assert [type(e).__name__ for e in inst.pending_events] == [
        "FilingImported",
        "FilingApprovalImported",
    ]
    assert (inst.status, inst.valid_from, inst.valid_until) == (
        "active",
        d("2021-03-01"),
        d("2024-02-29"),
    )
    assert all(e.imported_from["cells"]["name"] == INSTITUTION["name"] for e in inst.pending_events)  # type: ignore[attr-defined]


def test_the_same_sanction_row_is_imported_once() -> None:
    inst = _imported()
    read = row("sanctions", SANCTION)
    assert isinstance(read, SanctionRow)
    command: Any = ImportSanction(
        read.sanction_id,
        "rectification",
        2,
        ("hunan-2023/26.2",),
        read.decided_on,
        read.effect_on,
        read.accepted_on,
        "",
        read.summary,
        read.source,
    )
    inst.import_sanction(command, stamp())
    with pytest.raises(Conflict):
        inst.import_sanction(command, stamp())
    assert inst.state.imported_sanctions == (read.sanction_id,)
