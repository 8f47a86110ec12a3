"""A full hunan-2023 ladder in headless Chromium, the regulator and the institution each in
their own browser, through the pages only.

The institution files from its portal before its record exists; the regulator approves it.
A finding, a notice the institution answers with a defence, an interview; the same kind of
breach again requires rectification, the institution waives its defence, the decision
suspends its evaluation. The institution sees the suspension and the deadline; a batch it
reports meanwhile is kept and raises a finding. It sends a rectification report with two
files, which the regulator downloads from the file. The deadline passes (the clock moves
and the deadline worker makes its pass: the one step no one takes in a browser): the
rectification is overdue; the regulator revokes the filing, the institution appeals from
its portal and the regulator records the annulment. Each page is checked as each of them
sees it, and shot in Chinese and English. Another test: an institution reaches nothing
of another's — its portal, file, documents, files, forms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.creditcode import make_credit_code
from domain.institution import institution_id
from tests.browser.steps import (
    Actor,
    LadderServer,
    Shots,
    answer_notice,
    appeal_in_portal,
    approve_filing,
    decide,
    download_attachment,
    file_in_portal,
    hold_interview,
    ladder_server,
    open_case,
    portal_home,
    portal_sign_in,
    portal_text,
    record_appeal_outcome,
    record_finding,
    report_batch,
    report_rectification,
    send_notice,
    serve,
)

pytestmark = pytest.mark.browser

NAME = "长沙麓山职业技能评价中心"
CODE = make_credit_code("91430104MA4L00077")
IID = str(institution_id("hunan", CODE))
PDF = b"%PDF-1.4\n% rectification report\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LadderServer]:
    with ladder_server(tmp_path_factory.mktemp("portal-ladder")) as live:
        yield live


def actor(browser: Any, server: LadderServer, screenshots: Path) -> Iterator[Actor]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        yield Actor(context.new_page(), server, Shots(screenshots))
    finally:
        context.close()


@pytest.fixture
def regulator(browser: Any, server: LadderServer, screenshots: Path) -> Iterator[Actor]:
    yield from actor(browser, server, screenshots)


@pytest.fixture
def institution(browser: Any, server: LadderServer, screenshots: Path) -> Iterator[Actor]:
    yield from actor(browser, server, screenshots)


@pytest.fixture
def evidence(tmp_path: Path) -> list[Path]:
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(PDF)
    photo = tmp_path / "archive-photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return [report, photo]


def filed_and_approved(server: LadderServer, regulator: Actor, institution: Actor) -> None:
    """The institution files from its portal before its record exists; the regulator
    approves; the portal shows the validity, the renewal window and the expiry."""
    server.day("2026-01-05")
    token = server.issue("lushan", "institution", jurisdiction="hunan", institution=IID)
    portal_sign_in(institution, token, IID)
    file_in_portal(institution, IID, CODE, NAME, "2026-01-05", shoot=True)
    server.day("2026-01-12")
    regulator.sign_in(server.issue("wang.hunan", "regulator", jurisdiction="hunan"))
    approve_filing(regulator, IID, NAME, "2026-01-12")
    portal_home(institution, IID)
    assert portal_text(institution, "portal-status") == "备案有效"
    assert portal_text(institution, "renewal-window") == "2028-10-12 – 2029-01-11"
    assert "2029-01-11" in portal_text(institution, "deadline-expiry")
    institution.shots.take(institution.page, "portal-home-active")


def interviewed(server: LadderServer, regulator: Actor, institution: Actor) -> None:
    """A finding and its notice, which the institution answers with a defence; the
    interview is decided, served and held."""
    server.day("2026-02-10")
    record_finding(regulator, IID, "hunan-2023/25.9", "2026-02-02")
    open_case(regulator, IID, "2026-02-10")
    send_notice(regulator, IID, "2026-02-10", level=1, article="hunan-2023/25.9")
    server.day("2026-02-12")
    portal_home(institution, IID)
    assert "还有 8 天" in portal_text(institution, "deadline-defence")
    institution.shots.take(institution.page, "portal-home-notice")
    answer_notice(
        institution, IID, "2026-02-12", statement="档案缺失系搬迁所致，已补齐。", shoot=True
    )
    regulator.open_file(IID)
    regulator.latest("DefenceSubmitted")
    server.day("2026-03-02")
    decide(regulator, IID, "2026-02-20", level=1)
    serve(regulator, IID, "2026-02-21")
    hold_interview(regulator, IID, "2026-03-02")


def suspended(server: LadderServer, regulator: Actor, institution: Actor) -> str:
    """Again after the interview: rectification with suspension, which the institution
    sees with its deadline; a batch it reports meanwhile is kept and raises a finding."""
    server.day("2026-04-21")
    record_finding(regulator, IID, "hunan-2023/25.3", "2026-04-01")
    open_case(regulator, IID, "2026-04-10")
    send_notice(regulator, IID, "2026-04-10", level=2, article="hunan-2023/26.1")
    answer_notice(institution, IID, "2026-04-11", statement=None)
    decide(regulator, IID, "2026-04-20", level=2, rectification_days=30)
    rectification = serve(regulator, IID, "2026-04-21")
    server.day("2026-04-28")
    portal_home(institution, IID)
    assert portal_text(institution, "suspended") == "暂停评价"
    assert "2026-05-21" in portal_text(institution, "deadline-rectification")
    assert "还有 23 天" in portal_text(institution, "deadline-rectification")
    institution.shots.take(institution.page, "portal-home-suspended")
    flags = report_batch(institution, IID, "B-2026-04", "2026-04-25", shoot=True)
    assert "hunan-2023/26.2" in flags, flags
    assert "违规事实" in flags, "the home names the finding the batch raised"
    regulator.open_file(IID)
    regulator.timeline_has("EvaluationReported")
    regulator.latest("FindingRecorded")
    return rectification


def reported_then_overdue(
    server: LadderServer,
    regulator: Actor,
    institution: Actor,
    rectification: str,
    files: list[Path],
) -> None:
    """The report with its files, downloaded by the regulator from the file; the deadline
    then passes without acceptance."""
    server.day("2026-05-10")
    report_rectification(institution, IID, rectification, "2026-05-10", files, shoot=True)
    assert download_attachment(regulator, IID, "整改报告.pdf") == PDF
    regulator.latest("AttachmentsSubmitted")
    regulator.shots.take(regulator.page, "workbench-file-attachments")
    recorded = server.overnight("2026-05-25")
    assert recorded.get("RectificationOverdue") == 1, recorded
    portal_home(institution, IID)
    assert "已过期 4 天" in portal_text(institution, "deadline-rectification")
    assert portal_text(institution, f"rectification-{rectification}") == "逾期未整改"
    regulator.open_file(IID)
    regulator.timeline_has("RectificationOverdue")


def revoked(server: LadderServer, regulator: Actor, institution: Actor) -> str:
    """An Art. 26 breach (the batch while suspended) after the written notice: revocation,
    after the institution's defence; its portal shows the indefinite ban."""
    server.day("2026-06-01")
    open_case(regulator, IID, "2026-06-01")
    send_notice(regulator, IID, "2026-06-01", level=3, article="hunan-2023/27.1")
    server.day("2026-06-03")
    answer_notice(institution, IID, "2026-06-03", statement="请求从轻处理。")
    server.day("2026-06-13")
    decide(regulator, IID, "2026-06-12", level=3)
    revocation = serve(regulator, IID, "2026-06-13")
    regulator.timeline_has("FilingRevoked")
    portal_home(institution, IID)
    assert portal_text(institution, "portal-status") == "已撤销"
    assert "无限期" in portal_text(institution, "portal-head")
    institution.shots.take(institution.page, "portal-home-revoked")
    return revocation


def annulled(server: LadderServer, regulator: Actor, institution: Actor, revocation: str) -> None:
    """The institution appeals from its portal; the regulator records the annulment."""
    server.day("2026-06-20")
    appeal_in_portal(institution, IID, revocation, "2026-06-20", shoot=True)
    server.day("2026-07-15")
    record_appeal_outcome(regulator, IID, "annulled", "2026-07-15", shoot=True)
    portal_home(institution, IID)
    assert portal_text(institution, "portal-status") == "备案有效"
    assert "撤销" in portal_text(institution, "portal-appeals")
    assert "已撤销" in portal_text(institution, f"decision-{revocation}")
    institution.shots.take(institution.page, "portal-home-annulled")


def test_a_hunan_ladder_as_the_regulator_and_the_institution_see_it(
    server: LadderServer, regulator: Actor, institution: Actor, evidence: list[Path]
) -> None:
    filed_and_approved(server, regulator, institution)
    interviewed(server, regulator, institution)
    rectification = suspended(server, regulator, institution)
    reported_then_overdue(server, regulator, institution, rectification, evidence)
    revocation = revoked(server, regulator, institution)
    annulled(server, regulator, institution, revocation)
    assert regulator.errors == []
    assert institution.errors == []


def test_an_institution_reaches_nothing_of_another(
    server: LadderServer, institution: Actor, evidence: list[Path]
) -> None:
    """Another institution's portal, file, documents, files and forms: each answers as a
    record that does not exist."""
    other_code = make_credit_code("91430104MA4L00078")
    other = str(institution_id("hunan", other_code))
    server.day("2026-07-20")
    other_token = server.issue("other", "institution", jurisdiction="hunan", institution=other)
    own_code = make_credit_code("91430104MA4L00079")
    own = str(institution_id("hunan", own_code))
    portal_sign_in(institution, other_token, other)
    file_in_portal(institution, other, other_code, "另一家评价机构", "2026-07-20")
    institution.page.context.clear_cookies()

    portal_sign_in(
        institution, server.issue("own", "institution", jurisdiction="hunan", institution=own), own
    )
    file_in_portal(institution, own, own_code, "本机构评价中心", "2026-07-20")
    digest = hashlib.sha256(PDF).hexdigest()
    for path in (
        f"/portal/{other}",
        f"/portal/{other}/filing",
        f"/portal/{other}/batches",
        f"/portal/{other}/details",
        f"/portal/{other}/decisions/D-1/report",
        f"/institutions/{other}",
        f"/institutions/{other}/documents",
        f"/institutions/{other}/attachments/{digest}",
    ):
        response = institution.page.goto(server.url + path)
        assert response is not None
        assert response.status == 404, path
        assert "另一家评价机构" not in institution.page.content(), path
    institution.page.goto(f"{server.url}/portal/{own}")
    assert portal_text(institution, "portal-status") == "待审核"
    # A form of its own portal, sent to another's address with this browser's session and
    # the form's own tokens, is refused too.
    institution.page.goto(f"{server.url}/portal/{own}/batches")
    hidden = {
        name: str(institution.page.input_value(f"input[name={name}]"))
        for name in ("csrf_token", "idempotency_key")
    }
    batch = {"batch_id": "B-X", "occupation": "4-03-02-01", "level": "4", "site": "x"}
    batch |= {"evaluated_on": "2026-07-20", "candidates": "1", "unqualified_candidates": "0"}
    posted = institution.page.request.post(
        f"{server.url}/portal/{other}/batches",
        form={**hidden, **batch, "passed": "1"},
        headers={"Origin": server.url},
    )
    assert posted.status == 404
    assert "另一家评价机构" not in posted.text()
    expected = ("404 ", "403 ", "Failed to load resource: the server responded with a status of 40")
    assert [e for e in institution.errors if not e.startswith(expected)] == []
