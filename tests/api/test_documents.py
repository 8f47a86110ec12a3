"""Formal documents drawn from a real file: a filing approved, a finding at level 2, its
notice, decision and service (which orders the rectification), and a renewal, all through
the HTTP API; then the printable pages, their PDFs, the public verification and access.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from pypdf import PdfReader

from config.settings import Settings
from domain.creditcode import make_credit_code
from domain.rulebook import Catalogue, default_catalogue
from projections.documents import collect
from tests.api.conftest import Api, code
from tests.api.ladder import Ladder

SESSION = "oversight_session"
CREDIT = make_credit_code("91510104MA61X2Y3K")
NAME = "成都天府职业技能评价中心"
#: Item 31.2 of chengdu-2024 (level 2: rectification) and its summary in the rulebook.
ITEM = "chengdu-2024/31.2"
ITEM_TEXT = "未严格按照规定区域组织开展评价"
FACTS = "在备案区域以外组织评价"
RULEBOOK_TITLE = "成都市职业技能等级评价机构管理办法"
TITLES = {
    "notice": "告知书",
    "decision": "处理决定书",
    "rectification": "整改通知书",
    "filing": "备案证明",
}


@dataclass(frozen=True)
class Recorded:
    """An event as the store holds it, read independently of the documents."""

    version: int
    type: str
    occurred_on: str
    chain_hash: str


@dataclass
class File:
    api: Api
    iid: str
    case_id: str
    decision_id: str

    def path(self, kind: str, ref: str) -> str:
        return f"/institutions/{self.iid}/documents/{kind}/{ref}"

    def recorded(self, event_type: str) -> Recorded:
        events = self.api.app.store.repository.event_store.get(UUID(self.iid))
        found = [
            Recorded(
                e.originator_version, type(e).__name__, e.occurred_on.isoformat(), e.chain_hash
            )
            for e in events
            if type(e).__name__ == event_type
        ]
        assert len(found) == 1, found
        return found[0]

    def refs(self) -> dict[str, str]:
        """kind → ref of each document event, from the store."""
        renewal = self.recorded("RenewalApproved").version
        return {
            "notice": self.case_id,
            "decision": self.decision_id,
            "rectification": self.decision_id,
            "filing": f"F-{self.recorded('FilingApproved').version}",
            "renewal": f"R-{renewal}",
        }


def finding(ladder: Ladder, rule_id: str, on: str, facts: str) -> str:
    body = {
        "rule_id": rule_id,
        "severity": "minor",
        "occurred_on": on,
        "source": "inspection",
        "reference": f"检查记录 {on}",
        "facts": facts,
    }
    return str(ladder.post("/findings", body, 201)["finding_id"])


@pytest.fixture
def file(api: Api) -> File:
    iid = api.approved("2024-03-15")["id"]
    ladder = Ladder(api, iid)
    found = finding(ladder, ITEM, "2024-03-16", FACTS)
    decision_id = ladder.case([found], "2024-03-18", decide_on="2024-03-20", rectification_days=30)
    api.clock.set("2027-01-10")
    ladder.post("/renewal", {"occurred_on": "2027-01-05"})
    ladder.post("/renewal/approval", {"occurred_on": "2027-01-10"})
    api.catch_up()
    return File(api, iid, ladder.case_id, decision_id)


def client_for(api: Api, headers: dict[str, str] | None = None) -> TestClient:
    """A client of the same app with its own cookie jar, signed in with ``headers``' token."""
    client = TestClient(api.client.app)
    if headers is not None:
        client.cookies.set(SESSION, headers["Authorization"].removeprefix("Bearer "))
    return client


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- the documents -------------------------------------------------------------------------


def test_the_file_lists_every_document_its_events_make(file: File) -> None:
    page = client_for(file.api, file.api.admin).get(f"/institutions/{file.iid}/documents")
    assert page.status_code == 200, page.text
    linked = set(
        re.findall(rf'href="/institutions/{file.iid}/documents/([a-z]+/[A-Z]-\d+)"', page.text)
    )
    refs = file.refs()
    assert linked == {
        f"notice/{refs['notice']}",
        f"decision/{refs['decision']}",
        f"rectification/{refs['rectification']}",
        f"filing/{refs['filing']}",
        f"filing/{refs['renewal']}",
    }


@pytest.mark.parametrize(
    ("kind", "event", "mark", "texts"),
    [
        ("notice", "NoticeIssued", "告", [FACTS, "陈述和申辩", "2024-03-28", "限期整改"]),
        ("decision", "CaseDecided", "决", [FACTS, "送达日期", "2024-03-20", "30 天", "行政复议"]),
        ("rectification", "RectificationOrdered", "改", [FACTS, "2024-04-19", "暂停评价自"]),
    ],
)
def test_each_casework_document_shows_its_number_articles_dates_and_hash(
    file: File, kind: str, event: str, mark: str, texts: list[str]
) -> None:
    page = client_for(file.api, file.api.admin).get(file.path(kind, file.refs()[kind]))
    assert page.status_code == 200, page.text
    text = page.text
    assert f"<h1>{TITLES[kind]}</h1>" in text
    assert f"蓉评{mark}〔2024〕{CREDIT}-1号" in text
    assert ITEM in text
    assert ITEM_TEXT in text
    assert RULEBOOK_TITLE in text
    assert "规则文件的内容与记录的哈希不一致" not in text
    assert NAME in text
    assert CREDIT in text
    for expected in texts:
        assert expected in text, expected
    recorded = file.recorded(event)
    assert recorded.occurred_on in text
    assert "业务日期" in text
    assert "录入时间" in text
    assert recorded.chain_hash in text
    assert f"/verify/{recorded.chain_hash}" in text
    assert "记录的哈希链完整" in text


@pytest.mark.parametrize(
    ("ref", "event", "year", "texts"),
    [
        ("filing", "FilingApproved", "2024", ["2024-03-15", "2027-03-14", "chengdu-2024/8"]),
        ("renewal", "RenewalApproved", "2027", ["延续备案", "2030-03-14", "chengdu-2024/14"]),
    ],
)
def test_the_filing_certificate_of_an_approval_and_of_a_renewal(
    file: File, ref: str, event: str, year: str, texts: list[str]
) -> None:
    page = client_for(file.api, file.api.admin).get(file.path("filing", file.refs()[ref]))
    assert page.status_code == 200, page.text
    assert "<h1>备案证明</h1>" in page.text
    assert f"蓉评备〔{year}〕{CREDIT}-1号" in page.text
    assert f"CHENGDU-2024-{CREDIT}-1" in page.text  # the receipt number the approval recorded
    assert "4-03-02-01" in page.text
    assert "东大街考点" in page.text
    for expected in texts:
        assert expected in page.text, expected
    assert file.recorded(event).chain_hash in page.text


def test_numbers_count_the_documents_of_a_kind_in_the_year(file: File) -> None:
    ladder = Ladder(file.api, file.iid)
    file.api.clock.set("2027-01-20")
    again = finding(ladder, "chengdu-2024/30.11", "2027-01-12", "再次发现的问题")
    second = ladder.case([again], "2027-01-14", decide_on="2027-01-20")
    client = client_for(file.api, file.api.admin)
    page = client.get(file.path("decision", second))
    assert f"蓉评决〔2027〕{CREDIT}-1号" in page.text
    assert f"蓉评告〔2027〕{CREDIT}-1号" in page.text  # the notice it refers to
    first = client.get(file.path("decision", file.decision_id))
    assert f"蓉评决〔2024〕{CREDIT}-1号" in first.text  # unchanged by the later decision

    third = finding(ladder, "chengdu-2024/30.11", "2027-01-18", "第三次")
    ladder.case([third], "2027-01-19", decide_on="2027-01-20")
    page = client.get(file.path("notice", ladder.case_id))
    assert f"蓉评告〔2027〕{CREDIT}-2号" in page.text


def test_the_page_is_in_english_with_lang_en(file: File) -> None:
    page = client_for(file.api, file.api.admin).get(
        file.path("decision", file.decision_id), params={"lang": "en"}
    )
    assert page.status_code == 200
    assert "<h1>Decision</h1>" in page.text
    assert "Evaluation was not organised strictly within the prescribed territory." in page.text
    assert f"蓉评决〔2024〕{CREDIT}-1号" in page.text  # the number does not depend on language


@pytest.mark.parametrize("kind", ["notice", "decision", "rectification", "filing", "renewal"])
def test_the_pdf_holds_the_chinese_title_the_number_and_the_articles(file: File, kind: str) -> None:
    kind_path = "filing" if kind == "renewal" else kind
    response = client_for(file.api, file.api.admin).get(
        file.path(kind_path, file.refs()[kind]), params={"format": "pdf"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text = pdf_text(response.content)
    assert TITLES[kind_path] in text.replace(" ", "")
    assert CREDIT in text
    if kind_path == "filing":
        assert ("chengdu-2024/14" if kind == "renewal" else "chengdu-2024/8") in text
    else:
        assert ITEM in text
        assert ITEM_TEXT in text
    chain_hash = file.recorded(
        {
            "notice": "NoticeIssued",
            "decision": "CaseDecided",
            "rectification": "RectificationOrdered",
            "filing": "FilingApproved",
            "renewal": "RenewalApproved",
        }[kind]
    ).chain_hash
    assert chain_hash in text.replace("\n", "")


def test_unknown_documents_and_formats_are_refused(file: File) -> None:
    client = client_for(file.api, file.api.admin)
    assert client.get(file.path("decision", "D-999")).status_code == 404
    assert client.get(file.path("certificate", "F-2")).status_code == 404
    assert client.get(file.path("filing", "F-3")).status_code == 404
    response = client.get(file.path("decision", file.decision_id), params={"format": "docx"})
    assert response.status_code == 422
    assert client.get("/institutions/not-a-uuid/documents").status_code == 404


# --- the public check ------------------------------------------------------------------------


def test_the_verification_page_confirms_a_real_hash_without_signing_in(file: File) -> None:
    recorded = file.recorded("CaseDecided")
    page = client_for(file.api).get(f"/verify/{recorded.chain_hash}")
    assert page.status_code == 200, page.text
    assert "核验通过" in page.text
    assert "处理决定书" in page.text
    assert f"蓉评决〔2024〕{CREDIT}-1号" in page.text
    assert NAME in page.text
    assert CREDIT in page.text
    assert "2024-03-20" in page.text
    # no more than the disclosure list shows: no facts, reasons, persons or contacts
    for private in (FACTS, "综合陈述申辩意见作出决定", "王某", "李某", "028-00000000", ITEM_TEXT):
        assert private not in page.text, private


def test_the_verification_page_refuses_an_unknown_or_altered_hash(file: File) -> None:
    real = file.recorded("NoticeIssued").chain_hash
    altered = real[:-1] + ("0" if real[-1] != "0" else "1")
    client = client_for(file.api)
    for wanted in (altered, "0" * 64, "not-a-hash"):
        page = client.get(f"/verify/{wanted}")
        assert page.status_code == 404, wanted
        assert "没有与此哈希对应的文书" in page.text
        assert "核验通过" not in page.text
    # an event that makes no document is not a document, though its hash is real
    opened = file.recorded("CaseOpened").chain_hash
    assert client.get(f"/verify/{opened}").status_code == 404


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_record_altered_in_the_database_no_longer_verifies(
    file: File, settings: Settings
) -> None:
    notice = file.recorded("NoticeIssued")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        table = sql.Identifier(settings.database_schema, "oversight_events")
        query = sql.SQL("SELECT state FROM {} WHERE originator_id=%s AND originator_version=%s")
        row = conn.execute(query.format(table), (UUID(file.iid), notice.version)).fetchone()
        assert row is not None
        forged = bytes(row[0]).replace(b"2024-03-28", b"2024-04-28")
        assert forged != bytes(row[0])
        conn.execute(
            sql.SQL(
                "UPDATE {} SET state=%s WHERE originator_id=%s AND originator_version=%s"
            ).format(table),
            (forged, UUID(file.iid), notice.version),
        )
    page = client_for(file.api).get(f"/verify/{notice.chain_hash}")
    assert page.status_code == 409
    assert "核验未通过" in page.text
    assert "核验通过：" not in page.text
    document = client_for(file.api, file.api.admin).get(file.path("notice", file.case_id))
    assert f"记录的哈希链在第 {notice.version} 条事件处断开" in document.text


# --- access --------------------------------------------------------------------------------


def test_without_a_token_the_documents_ask_for_sign_in(file: File) -> None:
    client = client_for(file.api)
    for path in (
        f"/institutions/{file.iid}/documents",
        file.path("decision", file.decision_id),
        file.path("decision", file.decision_id) + "?format=pdf",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
    response = client.get(
        file.path("decision", file.decision_id), headers={"Authorization": "Basic eA=="}
    )
    assert response.status_code == 401


def test_an_institution_gets_its_own_documents_and_no_others(file: File) -> None:
    api = file.api
    own = api.token("institution", jurisdiction="chengdu", institution=UUID(file.iid))
    other_iid = api.approved("2027-01-10", credit_code=code(7), name="另一机构")["id"]
    other = api.token("institution", jurisdiction="chengdu", institution=UUID(other_iid))
    path = file.path("decision", file.decision_id)

    assert client_for(api, own).get(path).status_code == 200
    assert api.client.get(path, headers=own).status_code == 200  # bearer, like the API
    for headers in (other,):
        for target in (path, f"/institutions/{file.iid}/documents", path + "?format=pdf"):
            response = client_for(api, headers).get(target)
            assert response.status_code == 404, target
            assert NAME not in response.text
    assert client_for(api, other).get(f"/institutions/{other_iid}/documents").status_code == 200


@pytest.mark.parametrize(
    ("role", "jurisdiction", "status"),
    [
        ("reviewer", "chengdu", 200),
        ("regulator", "chengdu", 200),
        ("supervisor", "chengdu", 200),
        ("regulator", "hunan", 404),
        ("reviewer", "hunan", 404),
    ],
)
def test_reviewers_and_regulators_of_the_jurisdiction_get_the_documents(
    file: File, role: str, jurisdiction: str, status: int
) -> None:
    headers = file.api.token(role, jurisdiction=jurisdiction)
    response = client_for(file.api, headers).get(file.path("notice", file.case_id))
    assert response.status_code == status


# --- the view model ------------------------------------------------------------------------


def test_a_rulebook_file_changed_since_the_event_is_flagged_on_the_document(file: File) -> None:
    app = file.api.app
    events: list[Any] = list(app.store.repository.event_store.get(UUID(file.iid)))
    changed = Catalogue(
        r.model_copy(update={"content_hash": "f" * 64}) if r.id == "chengdu-2024" else r
        for r in default_catalogue()
    )
    decision = collect(UUID(file.iid), events, changed).get("decision", file.decision_id)
    assert decision.rulebook is not None
    assert not decision.rulebook.matches
    assert decision.articles[0].text_zh == ITEM_TEXT  # still shown, flagged as not the file used
    same = collect(UUID(file.iid), events, default_catalogue()).get("decision", file.decision_id)
    assert same.rulebook is not None
    assert same.rulebook.matches
    assert same.number == decision.number


def test_a_hunan_revocation_annulled_on_appeal_reads_in_chinese_in_its_pdf(api: Api) -> None:
    """The portal's ladder ends in a revocation annulled on appeal: its decision's PDF holds
    the Chinese title, the article with its text, the indefinite ban and the outcome."""
    credit_code = code(31, "430104")
    iid = api.approved(
        "2024-03-15", credit_code=credit_code, jurisdiction="hunan", district="长沙市岳麓区"
    )["id"]
    ladder = Ladder(api, iid)
    found = finding(ladder, "hunan-2023/27.4", "2024-03-16", "未经评价直接发放证书")
    decision_id = ladder.case([found], "2024-03-17", decide_on="2024-03-18")
    ladder.annul(decision_id, "2024-03-19")
    response = client_for(api, api.admin).get(
        f"/institutions/{iid}/documents/decision/{decision_id}", params={"format": "pdf"}
    )
    assert response.status_code == 200, response.text
    text = pdf_text(response.content).replace(" ", "")
    assert "处理决定书" in text
    assert f"湘评决〔2024〕{credit_code}-1号" in text
    assert "hunan-2023/27.4" in text
    assert "未经评价直接办证、贩卖证书或证书数据造假" in text.replace("\n", "")
    assert "禁止再次备案" in text
    assert "无限期" in text
    assert "复议或诉讼结果" in text
    assert "撤销" in text
