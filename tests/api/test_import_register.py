"""``oversight import-register``: the register kept before this system brought in as events
marked imported, each with its source row; a dry run that refuses row by row and saves
nothing; a second run that imports nothing twice; progress on stderr; and the later
rules looking back at the imported history as each rulebook's ``earlier_conduct`` says."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bootstrap.cli import main
from bootstrap.register_import import read_register
from config.settings import Settings
from domain.creditcode import make_credit_code
from domain.institution import institution_id
from tests.api.conftest import Api
from tests.api.ladder import Ladder
from tests.api.test_cli import use

EXAMPLE = Path(__file__).parent.parent / "data" / "register-example.xlsx"
HUNAN = make_credit_code("91430104MA4L00001")
CHENGDU = make_credit_code("91510104MA6C00002")
BASE = "/api/v1/institutions"
REFUSED = [
    "register-example.xlsx:institutions:4: refused (credit_code): credit_code check character",
    "register-example.xlsx:institutions:5: refused (approved_on): '2021-13-01' is not a date",
    "register-example.xlsx:sanctions:4: refused (sanction): 'revocation' is not one of",
    "register-example.xlsx:sanctions:5: refused (credit_code): no institution with credit code",
]


@dataclass
class Cli:
    """``oversight import-register`` on the store the API serves."""

    api: Api
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str) -> tuple[int, str, str]:
        code = main(["import-register", *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def cli(
    api: Api,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    use(monkeypatch, settings)
    return Cli(api, capsys)


def refused_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if ": refused (" in line]


def events(api: Api, credit_code: str, jurisdiction: str) -> list[dict[str, Any]]:
    iid = institution_id(jurisdiction, credit_code)
    response = api.get(f"{BASE}/{iid}/events")
    assert response.status_code == 200, response.text
    recorded: list[dict[str, Any]] = response.json()
    return recorded


def test_a_dry_run_lists_every_row_it_would_refuse_and_saves_nothing(cli: Cli) -> None:
    api = cli.api
    code, out, _ = cli.run(str(EXAMPLE), "--dry-run")
    assert code == 1
    lines = refused_lines(out)
    assert len(lines) == len(REFUSED)
    for line, expected in zip(lines, REFUSED, strict=True):
        assert line.startswith(expected)
    assert "8 rows: 4 would import, 4 refused (dry run)" in out
    assert api.get(f"{BASE}/{institution_id('hunan', HUNAN)}").status_code == 404


def test_the_import_marks_each_event_with_its_source_row_and_a_second_run_adds_nothing(
    cli: Cli,
) -> None:
    api = cli.api
    code, out, _ = cli.run(str(EXAMPLE))
    assert code == 1  # four rows refused, four imported
    assert "8 rows: 4 imported, 4 refused" in out
    hunan = events(api, HUNAN, "hunan")
    assert [e["type"] for e in hunan] == [
        "FilingImported",
        "FilingApprovalImported",
        "SanctionImported",
    ]
    submitted, approved, interview = (e["data"] for e in hunan)
    assert [e["occurred_on"] for e in hunan] == ["2021-02-01", "2021-03-01", "2022-05-10"]
    row = submitted["imported_from"]
    assert (row["file"], row["sheet"], row["row"]) == ("register-example.xlsx", "institutions", 2)
    assert row["cells"]["approved_on"] == "2021-03-01"
    assert row["cells"]["name"] == "长沙麓山职业技能评价中心"
    assert approved["imported_from"] == row
    assert approved["receipt_number"] == "湘评备〔2021〕001号"
    assert approved["valid_until"] == "2024-02-29"  # hunan-2023's three years
    assert interview["imported_from"]["sheet"] == "sanctions"
    assert interview["imported_from"]["row"] == 2
    assert (interview["kind"], interview["items"]) == ("interview", ["hunan-2023/25.9"])
    record = api.get(f"{BASE}/{institution_id('hunan', HUNAN)}").json()
    assert (record["status"], record["valid_from"]) == ("active", "2021-03-01")

    code, out, _ = cli.run(str(EXAMPLE))
    assert code == 1
    assert "8 rows: 4 already imported, 4 refused" in out
    assert len(events(api, HUNAN, "hunan")) == 3
    assert len(events(api, CHENGDU, "chengdu")) == 3
    assert main(["verify"]) == 0


def test_an_earlier_interview_counts_for_hunan_26_1_and_not_for_chengdu_31_1(cli: Cli) -> None:
    api = cli.api
    cli.run(str(EXAMPLE))
    # hunan-2023 (earlier_conduct.sanctions_count: true): the 2022 interview makes an
    # Art. 25 case after the rules took effect "again after an interview", 26.1.
    hunan = Ladder(api, str(institution_id("hunan", HUNAN)))
    hunan.finding("hunan-2023/25.9", "2024-03-01")
    required = hunan.requirement("2024-03-20")
    assert (required["level"], required["article"]) == (2, "hunan-2023/26.1")
    (ground,) = [g for g in required["grounds"] if g["rule"] == "again_after_interview"]
    assert [e["type"] for e in ground["events"]][:1] == ["SanctionImported"]
    # chengdu-2024 (sanctions_count: false): the 2023 interview was not one of its steps.
    chengdu = Ladder(api, str(institution_id("chengdu", CHENGDU)))
    chengdu.finding("chengdu-2024/30.11", "2024-03-01")
    required = chengdu.requirement("2024-03-20")
    assert (required["level"], required["article"]) == (1, "chengdu-2024/30.11")


def test_a_csv_register_is_read_alike_and_progress_is_shown_for_large_files(
    cli: Cli, tmp_path: Path
) -> None:
    example = read_register(EXAMPLE)
    header = ["record", *sorted({k for r in example for k in r["cells"]})]
    path = tmp_path / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for r in example:
            kind = "institution" if r["sheet"] == "institutions" else "sanction"
            writer.writerow([kind, *(r["cells"].get(k, "") for k in header[1:])])
        template = example[0]["cells"]
        for n in range(100):
            code = make_credit_code(f"91430104MA4M{n:05d}")
            writer.writerow(
                ["institution", *({**template, "credit_code": code}.get(k, "") for k in header[1:])]
            )
    code, out, err = cli.run(str(path))
    assert code == 1
    assert "108 rows: 104 imported, 4 refused" in out
    assert "import-register: 108/108 rows" in err
    assert "rows/s" in err
    last = institution_id("hunan", make_credit_code("91430104MA4M00099"))
    assert cli.api.get(f"{BASE}/{last}").status_code == 200
