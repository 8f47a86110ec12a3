"""The institution's portal through its forms (both backends): its own file, each of its
steps, the files sent with a rectification report, and that nothing of another
institution can be seen or reached."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from config.settings import Settings
from domain.institution import institution_id
from tests.api.conftest import Api, code, filing
from tests.api.forms import FormClient, form_of, refusal_of, refused_beside
from tests.api.ladder import Ladder

HUNAN = {"jurisdiction": "hunan", "district": "长沙市岳麓区"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LIMIT = 4096


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The backend's settings, with a small attachment store of the test's own, and a
    snapshot every other event (so files in the state go through the snapshots too)."""
    update = {
        "attachments_dir": tmp_path / "attachments",
        "attachment_max_bytes": LIMIT,
        "snapshot_interval": 2,
    }
    return settings.model_copy(update=update)


def events_of(api: Api, iid: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/institutions/{iid}/events")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


def types_of(api: Api, iid: str) -> list[str]:
    return [e["type"] for e in events_of(api, iid)]


def institution(api: Api, iid: str) -> FormClient:
    """The institution's browser, signed in with its own token."""
    return FormClient.of(api, api.token("institution", jurisdiction="hunan", institution=UUID(iid)))


def approved(api: Api, n: int = 1) -> str:
    iid: str = api.approved("2024-03-15", credit_code=code(n, "430104"), **HUNAN)["id"]
    return iid


def home(iid: str) -> str:
    return f"/portal/{iid}"


def served_rectification(api: Api, iid: str) -> str:
    """A served level-2 decision: rectification by 2024-04-17, evaluation suspended."""
    ladder = Ladder(api, iid)
    finding = ladder.finding("hunan-2023/26.7", "2024-03-16")
    return ladder.case([finding], "2024-03-17", decide_on="2024-03-18", rectification_days=30)


def noticed_case(api: Api, iid: str) -> str:
    ladder = Ladder(api, iid)
    finding = ladder.finding("hunan-2023/25.9", "2024-03-16")
    case_id = str(
        ladder.post("/cases", {"finding_ids": [finding], "occurred_on": "2024-03-17"}, 201)[
            "case_id"
        ]
    )
    notice = {"facts": "查明的事实", "reasons": "理由", "occurred_on": "2024-03-17"}
    ladder.post(f"/cases/{case_id}/notice", notice)
    return case_id


FILING_FORM = {
    "name": "长沙岳麓职业技能评价中心",
    "kind": "social_org",
    "jurisdiction": "hunan",
    "district": "长沙市岳麓区",
    "address": "长沙市岳麓区麓山路1号",
    "scope": "4-03-02-01 3,4,5\n4-07-05-04 4",
    "test_sites": "麓山路考点",
    "legal_representative": "王某",
    "contact_name": "李某",
    "contact_phone": "0731-00000000",
    "occurred_on": "2024-03-18",
}


# --- the first filing ------------------------------------------------------------------


def test_an_institution_files_from_its_portal_before_its_record_exists(api: Api) -> None:
    credit_code = code(11, "430104")
    iid = str(institution_id("hunan", credit_code))
    browser = institution(api, iid)
    entry = browser.client.get("/portal", follow_redirects=False)
    assert entry.status_code == 303
    assert entry.headers["location"] == home(iid)
    page = browser.client.get(home(iid))
    assert page.status_code == 200
    assert 'data-testid="unfiled"' in page.text

    response = browser.fill(f"{home(iid)}/filing", {**FILING_FORM, "credit_code": credit_code})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == home(iid)
    record = api.get(f"/api/v1/institutions/{iid}").json()
    assert record["status"] == "submitted"
    assert record["scope"] == [
        {"occupation": "4-03-02-01", "levels": [3, 4, 5]},
        {"occupation": "4-07-05-04", "levels": [4]},
    ]
    assert record["contact"] == {"name": "李某", "phone": "0731-00000000"}
    page = browser.client.get(home(iid))
    assert "长沙岳麓职业技能评价中心" in page.text
    assert 'data-testid="portal-status">待审核' in page.text


def test_a_filing_under_another_credit_code_is_refused_beside_it(api: Api) -> None:
    iid = str(institution_id("hunan", code(11, "430104")))
    browser = institution(api, iid)
    other = code(12, "430104")
    response = browser.fill(f"{home(iid)}/filing", {**FILING_FORM, "credit_code": other})
    assert response.status_code == 403
    assert refused_beside(response.text, "credit_code")
    assert "outside this token's scope" in refusal_of(response.text)["detail"]
    missing = api.get(f"/api/v1/institutions/{institution_id('hunan', other)}")
    assert missing.status_code == 404


# --- the home --------------------------------------------------------------------------


def test_the_home_shows_validity_renewal_window_deadlines_and_waiting_notices(api: Api) -> None:
    iid = approved(api)
    case_id = noticed_case(api, iid)
    record = api.get(f"/api/v1/institutions/{iid}").json()
    window = record["renewal_window"]
    page = institution(api, iid).client.get(home(iid))
    assert page.status_code == 200
    text = page.text
    assert f'data-testid="renewal-window">{window["opens_on"]} – {window["last_valid_day"]}' in text
    assert 'data-testid="deadline-defence"' in text
    assert "2024-03-27" in text  # the notice's defence deadline (10 days)
    assert "还有 7 天" in text  # today is 2024-03-20
    assert 'data-testid="deadline-expiry"' in text
    assert f'data-testid="notice-{case_id}"' in text
    assert f"/portal/{iid}/cases/{case_id}/answer" in text
    assert f"/institutions/{iid}/documents/notice/{case_id}" in text
    english = institution(api, iid).client.get(home(iid), params={"lang": "en"}).text
    assert "7 days left" in english
    assert "Notices waiting for our answer" in english


def test_the_suspension_and_the_rectification_deadline_show_on_the_home(api: Api) -> None:
    iid = approved(api)
    decision_id = served_rectification(api, iid)
    text = institution(api, iid).client.get(home(iid)).text
    assert 'data-testid="suspended"' in text
    assert 'data-testid="deadline-rectification"' in text
    assert "2024-04-17" in text
    assert f"/portal/{iid}/decisions/{decision_id}/report" in text
    assert f"/portal/{iid}/decisions/{decision_id}/appeal" in text


# --- the filing's steps ----------------------------------------------------------------


def test_renewal_scope_change_and_details_each_record_their_event(api: Api, clock: Any) -> None:
    iid = approved(api)
    browser = institution(api, iid)
    early = browser.fill(f"{home(iid)}/renewal", {"occurred_on": "2024-03-20"})
    assert early.status_code == 422
    assert refused_beside(early.text, "occurred_on")
    assert "renewal window opens" in refusal_of(early.text)["detail"]

    scope = {
        "scope": "4-03-02-01 2,3,4,5",
        "test_sites": "麓山路考点\n岳麓考点",
        "reason": "扩大等级",
    }
    assert browser.fill(f"{home(iid)}/scope", scope).status_code == 303
    details = {
        "name": "长沙岳麓职业技能评价中心（新）",
        "address": "长沙市岳麓区麓山路2号",
        "district": "长沙市岳麓区",
        "legal_representative": "王某",
        "contact_name": "张某",
        "contact_phone": "0731-11111111",
    }
    assert browser.fill(f"{home(iid)}/details", details).status_code == 303
    events = events_of(api, iid)
    assert [e["type"] for e in events[-2:]] == ["ScopeChangeRequested", "DetailsChanged"]
    assert events[-1]["data"]["changes"] == {
        "name": "长沙岳麓职业技能评价中心（新）",
        "address": "长沙市岳麓区麓山路2号",
        "contact": {"name": "张某", "phone": "0731-11111111"},
    }

    clock.set("2027-01-10")
    assert browser.fill(f"{home(iid)}/renewal", {"occurred_on": "2027-01-10"}).status_code == 303
    assert types_of(api, iid)[-1] == "RenewalRequested"


def test_a_batch_is_kept_and_shows_what_its_checks_raised(api: Api) -> None:
    iid = approved(api)
    served_rectification(api, iid)  # evaluation suspended from 2024-03-18
    browser = institution(api, iid)
    form = browser.open(f"{home(iid)}/batches")
    assert 'data-testid="batch-note"' in form.page
    assert "暂停" in form.page
    batch = {
        "batch_id": "B-2024-01",
        "occupation": "4-03-02-01",
        "level": "4",
        "evaluated_on": "2024-03-19",
        "site": "东大街考点",
        "candidates": "30",
        "unqualified_candidates": "0",
        "passed": "25",
    }
    response = browser.send(form, batch)
    assert response.status_code == 303, response.text
    types = types_of(api, iid)
    assert "EvaluationReported" in types
    events = events_of(api, iid)
    reported = next(e for e in events if e["type"] == "EvaluationReported")
    assert {f["check"] for f in reported["data"]["flags"]} >= {"during_suspension"}
    raised = [
        e
        for e in events
        if e["type"] == "FindingRecorded" and e["data"]["reference"] == "B-2024-01"
    ]
    assert len(raised) == len(reported["data"]["flags"])
    assert {e["data"]["source"] for e in raised} == {"system"}
    text = browser.client.get(home(iid)).text
    assert 'data-testid="batch-B-2024-01"' in text
    assert 'data-testid="batch-flags-B-2024-01"' in text
    for finding in raised:
        assert finding["data"]["finding_id"] in text
        assert finding["data"]["rule_id"] in text


def test_an_invalid_batch_is_refused_beside_its_field(api: Api) -> None:
    iid = approved(api)
    batch = {"batch_id": "B-1", "occupation": "不是编码", "level": "4", "site": "x"}
    batch |= {"evaluated_on": "2024-03-19", "candidates": "3", "unqualified_candidates": "0"}
    response = institution(api, iid).fill(f"{home(iid)}/batches", {**batch, "passed": "1"})
    assert response.status_code == 422
    assert refused_beside(response.text, "occupation")
    assert "EvaluationReported" not in types_of(api, iid)


# --- notices, appeals ------------------------------------------------------------------


def test_the_institution_answers_a_notice_with_a_defence(api: Api) -> None:
    iid = approved(api)
    case_id = noticed_case(api, iid)
    answer = f"{home(iid)}/cases/{case_id}/answer"
    browser = institution(api, iid)
    form = browser.open(answer)
    assert 'data-testid="defence-deadline">2024-03-27' in form.page
    empty = browser.send(form, {"answer": "defence", "statement": "", "occurred_on": "2024-03-20"})
    assert empty.status_code == 422
    assert refused_beside(empty.text, "statement")
    sent = browser.fill(
        answer, {"answer": "defence", "statement": "档案已补齐", "occurred_on": "2024-03-20"}
    )
    assert sent.status_code == 303
    assert types_of(api, iid)[-1] == "DefenceSubmitted"
    assert f'data-testid="notice-{case_id}"' not in browser.client.get(home(iid)).text


def test_the_institution_waives_its_defence(api: Api) -> None:
    iid = approved(api)
    case_id = noticed_case(api, iid)
    response = institution(api, iid).fill(
        f"{home(iid)}/cases/{case_id}/answer", {"answer": "waiver", "occurred_on": "2024-03-20"}
    )
    assert response.status_code == 303
    assert types_of(api, iid)[-1] == "DefenceWaived"


def test_the_institution_files_an_appeal(api: Api) -> None:
    iid = approved(api)
    decision_id = served_rectification(api, iid)
    path = f"{home(iid)}/decisions/{decision_id}/appeal"
    browser = institution(api, iid)
    data = {"kind": "reconsideration", "grounds": "事实认定有误", "occurred_on": "2024-03-20"}
    assert browser.fill(path, data).status_code == 303
    filed = events_of(api, iid)[-1]
    assert filed["type"] == "AppealFiled"
    assert filed["data"]["decision_id"] == decision_id
    again = browser.fill(path, data)
    assert again.status_code == 409  # one appeal pending per decision
    assert "pending" in refusal_of(again.text)["detail"]
    text = browser.client.get(home(iid)).text
    assert 'data-testid="portal-appeals"' in text
    assert "审理中" in text


# --- the rectification report and its files --------------------------------------------


def report_path(iid: str, decision_id: str) -> str:
    return f"{home(iid)}/decisions/{decision_id}/report"


def send_report(
    browser: FormClient, path: str, files: list[tuple[str, bytes, str]], report: str = "已整改"
) -> Any:
    form = browser.open(path)
    data = {**form.hidden, "report": report, "occurred_on": "2024-03-20"}
    upload = [("attachments", f) for f in files]
    return browser.client.post(path, data=data, files=upload, follow_redirects=False)


def rectifying(api: Api) -> tuple[str, FormClient, str]:
    """A served rectification: the institution, its browser, its report form's address."""
    iid = approved(api)
    decision_id = served_rectification(api, iid)
    return iid, institution(api, iid), report_path(iid, decision_id)


def reported_with_a_pdf(api: Api, iid: str) -> tuple[str, str]:
    """A served rectification and its report with a PDF: the decision and the PDF's hash."""
    decision_id = served_rectification(api, iid)
    files = [("报告.pdf", PDF, "application/pdf")]
    sent = send_report(institution(api, iid), report_path(iid, decision_id), files)
    assert sent.status_code == 303, sent.text
    return decision_id, hashlib.sha256(PDF).hexdigest()


def test_a_report_with_files_records_their_hashes_and_stores_each_once(
    api: Api, settings: Settings
) -> None:
    iid, browser, path = rectifying(api)
    files = [("整改报告.pdf", PDF, "application/pdf"), ("现场照片.png", PNG, "image/png")]
    response = send_report(browser, path, files)
    assert response.status_code == 303, response.text
    events = events_of(api, iid)
    assert [e["type"] for e in events[-2:]] == [
        "RectificationReportSubmitted",
        "AttachmentsSubmitted",
    ]
    assert events[-1]["data"] == {
        "decision_id": path.split("/")[-2],
        "attachments": [
            {
                "sha256": hashlib.sha256(PDF).hexdigest(),
                "name": "整改报告.pdf",
                "size": len(PDF),
                "media_type": "application/pdf",
            },
            {
                "sha256": hashlib.sha256(PNG).hexdigest(),
                "name": "现场照片.png",
                "size": len(PNG),
                "media_type": "image/png",
            },
        ],
    }
    # The same file in a second report is the same stored file.
    assert send_report(browser, path, [("补充.pdf", PDF, "application/pdf")]).status_code == 303
    stored = sorted(p.name for p in (settings.attachments_dir or Path()).iterdir())
    assert stored == sorted({hashlib.sha256(PDF).hexdigest(), hashlib.sha256(PNG).hexdigest()})
    assert api.get(f"/api/v1/institutions/{iid}").json()["version"] == events[-1]["version"] + 2
    intact = api.get(f"/api/v1/institutions/{iid}/integrity").json()
    assert intact["intact"] is True


def test_the_regulator_downloads_a_file_from_the_file_checked_against_its_hash(
    api: Api, settings: Settings
) -> None:
    iid = approved(api)
    digest = reported_with_a_pdf(api, iid)[1]
    regulator = FormClient.of(api, api.token("regulator", jurisdiction="hunan"))
    file_page = regulator.client.get(f"/institutions/{iid}").text
    link = f"/institutions/{iid}/attachments/{digest}"
    assert link in file_page
    assert 'data-testid="file-attachments"' in file_page
    download = regulator.client.get(link)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment;" in download.headers["content-disposition"]
    assert api.client.get(link, headers=api.admin).content == PDF  # a bearer token too

    (settings.attachments_dir or Path()).joinpath(digest).write_bytes(PDF + b"altered")
    tampered = regulator.client.get(link)
    assert tampered.status_code == 409
    assert b"altered" not in tampered.content
    assert "no longer has the SHA-256" in tampered.text


def test_files_over_the_limit_or_of_another_type_are_refused_beside_the_field(
    api: Api, settings: Settings
) -> None:
    iid, browser, path = rectifying(api)
    large = send_report(browser, path, [("大.pdf", PDF + b"0" * LIMIT, "application/pdf")])
    assert large.status_code == 413
    assert refused_beside(large.text, "attachments")
    assert "larger than the limit" in refusal_of(large.text)["detail"]
    typed = send_report(browser, path, [("报告.exe", b"MZ\x90\x00", "application/pdf")])
    assert typed.status_code == 422
    assert refused_beside(typed.text, "attachments")
    many = send_report(browser, path, [(f"{n}.pdf", PDF, "application/pdf") for n in range(11)])
    assert many.status_code == 422
    assert "at most 10 files" in refusal_of(many.text)["detail"]

    form = browser.open(path)
    body = {**form.hidden, "report": "x", "occurred_on": "2024-03-20"}
    huge = [("attachments", ("huge.pdf", PDF + b"0" * 400_000, "application/pdf"))]
    too_much = browser.client.post(path, data=body, files=huge, follow_redirects=False)
    assert too_much.status_code == 413
    assert "RectificationReportSubmitted" not in types_of(api, iid)
    assert settings.attachments_dir is not None
    assert not settings.attachments_dir.exists(), "nothing refused is stored"


def test_the_report_form_is_protected_like_every_form(api: Api) -> None:
    iid, browser, path = rectifying(api)
    form = browser.open(path)
    files = [("attachments", ("r.pdf", PDF, "application/pdf"))]
    data = {**form.hidden, "report": "已整改", "occurred_on": "2024-03-20"}
    forged = browser.client.post(path, data={**data, "csrf_token": "x"}, files=files)
    assert forged.status_code == 403
    elsewhere = browser.client.post(
        path, data=data, files=files, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    first = browser.client.post(path, data=data, files=files, follow_redirects=False)
    twice = browser.client.post(path, data=data, files=files, follow_redirects=False)
    assert first.status_code == twice.status_code == 303
    assert types_of(api, iid).count("RectificationReportSubmitted") == 1


# --- CSRF and double submission on the portal's forms ----------------------------------


def test_a_portal_form_sent_twice_records_once_and_a_forged_one_nothing(api: Api) -> None:
    iid = approved(api)
    case_id = noticed_case(api, iid)
    browser = institution(api, iid)
    path = f"{home(iid)}/cases/{case_id}/answer"
    form = browser.open(path)
    data = {"answer": "defence", "statement": "陈述", "occurred_on": "2024-03-20"}
    assert browser.send(form, data, hidden={"csrf_token": "forged"}).status_code == 403
    assert browser.send(form, data, headers={"Origin": "https://evil.example"}).status_code == 403
    assert "DefenceSubmitted" not in types_of(api, iid)
    assert browser.send(form, data).status_code == 303
    assert browser.send(form, data).status_code == 303
    assert types_of(api, iid).count("DefenceSubmitted") == 1


# --- nothing of another institution ----------------------------------------------------


def test_another_institutions_portal_files_and_forms_answer_as_a_missing_record(
    api: Api,
) -> None:
    own = approved(api, 1)
    other = approved(api, 2)
    decision_id, digest = reported_with_a_pdf(api, other)
    case_id = noticed_case(api, other)
    browser = institution(api, own)
    token = form_of(browser.client.get(f"{home(own)}/batches").text, "").hidden
    missing = str(uuid4())
    for target in (other, missing):
        paths = [
            home(target),
            f"{home(target)}/filing",
            f"{home(target)}/renewal",
            f"{home(target)}/scope",
            f"{home(target)}/details",
            f"{home(target)}/batches",
            f"{home(target)}/cases/{case_id}/answer",
            f"{home(target)}/decisions/{decision_id}/report",
            f"{home(target)}/decisions/{decision_id}/appeal",
            f"/institutions/{target}/documents",
            f"/institutions/{target}/documents/decision/{decision_id}",
            f"/institutions/{target}/attachments/{digest}",
        ]
        for path in paths:
            page = browser.client.get(path)
            assert page.status_code == 404, path
            assert "no such record" in page.text, path
        for path in paths[1:9]:
            posted = browser.client.post(path, data={**token, "answer": "waiver", "report": "x"})
            assert posted.status_code == 404, path
    assert "AttachmentsSubmitted" in types_of(api, other)
    own_attachment = browser.client.get(f"/institutions/{own}/attachments/{digest}")
    assert own_attachment.status_code == 404  # its own record cites no such file
    regulator = FormClient.of(api, api.token("regulator", jurisdiction="chengdu"))
    assert regulator.client.get(f"/institutions/{other}/attachments/{digest}").status_code == 404
    assert regulator.client.get(home(other)).status_code == 404  # the portal is the institution's


def test_the_portal_is_for_institutions(api: Api) -> None:
    regulator = FormClient.of(api, api.token("regulator", jurisdiction="hunan"))
    assert regulator.client.get("/portal").status_code == 404
    iid = approved(api)
    assert 'data-testid="nav-portal"' in institution(api, iid).client.get(home(iid)).text
    assert 'data-testid="nav-portal"' not in regulator.client.get("/").text
    resubmit = api.post("/api/v1/institutions", filing(credit_code=code(1, "430104"), **HUNAN))
    assert resubmit.status_code == 409
