"""The ``oversight`` command line: tokens, rulebooks and chain verification."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from bootstrap import build_application
from bootstrap.cli import main
from bootstrap.demo import CaseworkSteps
from config.settings import Settings
from domain.access import Principal
from domain.application import Context
from domain.creditcode import make_credit_code
from domain.rulebook import RULEBOOK_DIR
from tests.conftest import FakeClock
from tests.domain.test_institution import application
from tests.drafts import article_25_at_level_2, with_level


def use(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("OVERSIGHT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OVERSIGHT_DATABASE_SCHEMA", settings.database_schema)


def test_token_create_list_revoke(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    assert (
        main(
            [
                "token",
                "create",
                "--subject",
                "li.regulator",
                "--role",
                "regulator",
                "--jurisdiction",
                "chengdu",
                "--district",
                "锦江区",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    token_id = out.split("token id: ")[1].split()[0]
    secret = out.split("secret:   ")[1].split()[0]
    app = build_application(settings)
    principal = app.access.authenticate(secret)
    assert (principal.role, principal.jurisdiction, principal.district) == (
        "regulator",
        "chengdu",
        "锦江区",
    )
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert token_id in listed
    assert "active" in listed
    assert secret not in listed
    assert main(["token", "revoke", token_id]) == 0
    assert app.access.authenticate_or_none(secret) is None


def test_token_create_refuses_an_unknown_jurisdiction(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    code = main(
        ["token", "create", "--subject", "x", "--role", "regulator", "--jurisdiction", "atlantis"]
    )
    assert code == 2
    assert "jurisdiction" in capsys.readouterr().err


def test_rules_check_passes_and_names_a_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check"]) == 0
    assert "hunan-2023 v1" in capsys.readouterr().out
    broken = tmp_path / "rulebooks"
    shutil.copytree(RULEBOOK_DIR, broken)
    target = broken / "hunan-2023" / "v1.yaml"
    target.write_text(target.read_text().replace("effective_from:", "effective_fron:", 1))
    assert main(["rules", "check", "--directory", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "hunan-2023/v1.yaml" in err
    assert "effective_from" in err


def test_rules_show_prints_one_rulebook(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "huangshi-2022"]) == 0
    assert '"id": "huangshi-2022"' in capsys.readouterr().out


def test_verify_finds_a_row_altered_in_postgresql(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC))
    app = build_application(pg_settings, clock=clock)
    ctx = Context(Principal("admin.test", "admin"), "req-1")
    iid = app.filing.submit_filing(ctx, application(), date(2024, 3, 1))
    app.filing.approve_filing(ctx, iid, date(2024, 3, 15))
    app.filing.change_details(ctx, iid, date(2024, 3, 16), {"address": "新地址"})
    use(monkeypatch, pg_settings)
    assert main(["verify"]) == 0
    assert "hash chains verified" in capsys.readouterr().out

    with psycopg.connect(pg_settings.database_url, autocommit=True) as conn:
        table = sql.Identifier(pg_settings.database_schema, "oversight_events")
        row = conn.execute(
            sql.SQL("SELECT state FROM {} WHERE originator_id=%s AND originator_version=2").format(
                table
            ),
            (iid,),
        ).fetchone()
        assert row is not None
        forged = bytes(row[0]).replace(b"2027-03-14", b"2099-03-14")
        assert forged != bytes(row[0])
        conn.execute(
            sql.SQL(
                "UPDATE {} SET state=%s WHERE originator_id=%s AND originator_version=2"
            ).format(table),
            (forged, iid),
        )
    assert main(["verify"]) == 2
    err = capsys.readouterr().err
    assert str(iid) in err
    assert "event 2" in err


def test_rules_diff_names_the_article_whose_level_a_draft_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(article_25_at_level_2(), "utf-8")
    assert main(["rules", "diff", "hunan-2023", str(draft)]) == 0
    out = capsys.readouterr().out
    assert "level_changed    hunan-2023/25 level" in out
    assert "hunan-2023/26 level" not in out


def test_rules_diff_refuses_a_malformed_draft_with_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = tmp_path / "draft.yaml"
    bad, line = with_level("severe")
    draft.write_text(bad, "utf-8")
    assert main(["rules", "diff", "hunan-2023@1", str(draft)]) == 1
    err = capsys.readouterr().err
    assert f"{draft}:{line}: articles." in err
    assert ".level:" in err


def _hunan_with_finding(settings: Settings, rule_id: str, n: int) -> str:
    clock = FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC))
    app = build_application(settings, clock=clock)
    try:
        ctx = Context(Principal("admin.test", "admin"), f"req-{n}")
        filed = application(
            credit_code=make_credit_code(f"91430104MA{n:07d}"),
            jurisdiction="hunan",
            district="长沙市",
            name=f"评价机构{n}",
        )
        iid = app.filing.submit_filing(ctx, filed, date(2024, 3, 1))
        app.filing.approve_filing(ctx, iid, date(2024, 3, 15))
        CaseworkSteps(app, ctx).finding(iid, rule_id, "2024-03-18", "督导发现")
        return str(iid)
    finally:
        app.close()


def test_rules_impact_lists_the_institutions_a_draft_changes_with_progress_on_stderr(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    under_25 = _hunan_with_finding(settings, "hunan-2023/25.1", 1)
    _hunan_with_finding(settings, "hunan-2023/26.7", 2)
    use(monkeypatch, settings)
    draft = tmp_path / "draft.yaml"
    draft.write_text(article_25_at_level_2(), "utf-8")
    assert main(["rules", "impact", str(draft), "--as-of", "2024-03-20"]) == 0
    captured = capsys.readouterr()
    assert "1 of 2 institution(s) differ" in captured.out
    assert f"* 评价机构1 (长沙市) {under_25}" in captured.out
    assert "评价机构2" not in captured.out
    assert "events: FindingRecorded#3 (2024-03-18)" in captured.out
    assert "  长沙市" in captured.out
    assert "  hunan-2023/25.1" in captured.out
    assert "impact: 2 replayed, 1 differ" in captured.err
    assert main(["rules", "impact", str(draft), "--as-of", "2024-03-20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [i["institution_id"] for i in report["institutions"]] == [under_25]
    assert report["summary"]["by_article"] == {"hunan-2023/25.1": 1}


def test_rules_impact_refuses_a_malformed_draft_with_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERSIGHT_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    draft = tmp_path / "draft.yaml"
    bad, line = with_level("severe")
    draft.write_text(bad, "utf-8")
    assert main(["rules", "impact", str(draft)]) == 1
    err = capsys.readouterr().err
    assert f"{draft}:{line}: articles." in err


def test_the_deadline_worker_reads_the_records_due_and_leaves_nothing_for_a_full_scan(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, settings)
    iid = UUID(_hunan_with_finding(settings, "hunan-2023/25.9", 7))
    app = build_application(settings)
    try:
        before = len(app.records.institution_events(Principal("admin.test", "admin"), iid))
        assert main(["worker", "deadlines", "--once"]) == 0  # today, on the system clock
        events = app.records.institution_events(Principal("admin.test", "admin"), iid)
        found = [e.data.get("reference") for e in events[before:] if e.name == "FindingRecorded"]
        assert found == ["inactive-since-2024-03-15-12m", "inactive-since-2024-03-15-24m"]
        assert main(["worker", "deadlines", "--once", "--full-scan"]) == 0
        after = app.records.institution_events(Principal("admin.test", "admin"), iid)
        assert len(after) == len(events)
    finally:
        app.close()


def test_each_command_closes_the_connections_it_opened(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, pg_settings)
    with psycopg.connect(pg_settings.database_url, autocommit=True) as conn:

        def others() -> int:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            assert row is not None
            return int(row[0])

        def settled() -> int:
            # A backend ends a moment after its client closed the connection: the count
            # once it has not moved for a second (or after ten).
            count, since, deadline = others(), time.monotonic(), time.monotonic() + 10
            while time.monotonic() - since < 1 and time.monotonic() < deadline:
                time.sleep(0.1)
                now = others()
                if now != count:
                    count, since = now, time.monotonic()
            return count

        assert main(["token", "create", "--subject", "ops", "--role", "admin"]) == 0
        before = settled()
        for command in (["token", "list"], ["verify"], ["projections", "status"], ["export"]):
            assert main(command) == 0
        assert settled() == before
    capsys.readouterr()
