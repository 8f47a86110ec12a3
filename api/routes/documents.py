"""Formal documents: printable HTML (A4) and PDF, and their public verification.

- ``GET /institutions/{iid}/documents``: the documents of an institution's file;
- ``GET /institutions/{iid}/documents/{kind}/{ref}``: one document, for print;
  ``?format=pdf`` renders the same page to PDF (WeasyPrint, Chinese fonts embedded);
- ``GET /verify/{chain_hash}``: public, no sign-in: which document the hash belongs to and
  whether the institution's hash chain still verifies, showing only what the public
  disclosure list shows (kind, number, date, the institution's name and credit code).

The documents sign in like the pages (the session cookie; no cookie: a redirect to
``/login``) or with ``Authorization: Bearer``, under the same scope: an institution sees
its own file only, and a file outside the caller's scope answers 404, as if absent.
The content comes from :mod:`projections.documents`; the routes only render it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.i18n import Pair, Translator
from api.routes.pages.common import PublicDep, SignedInDep
from domain.access import SYSTEM
from domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from projections.documents import KINDS, Document, institution_documents
from projections.verification import locate

router = APIRouter(include_in_schema=False)

CHAIN_HASH = re.compile(r"[0-9a-f]{64}")

DOC_LABELS: dict[str, Pair] = {
    "notice": ("告知书", "Notice of the intended decision"),
    "decision": ("处理决定书", "Decision"),
    "rectification": ("整改通知书", "Rectification notice"),
    "filing": ("备案证明", "Filing certificate"),
    "renewal": ("延续备案", "renewal"),
    "list.title": ("文书", "Documents"),
    "list.empty": ("该机构档案中尚无文书。", "This file holds no documents yet."),
    "list.kind": ("文书", "Document"),
    "number": ("文号", "Number"),
    "party": ("当事机构", "Institution"),
    "event": ("依据事件", "Event"),
    "rulebook": ("适用规则", "Rulebook"),
    "rulebook.version": ("版本", "version"),
    "rulebook.hash": ("内容哈希", "content hash"),
    "rulebook.in_force": (
        "事件未记录规则版本；此为业务日期施行的版本。",
        "The event records no rulebook; this is the version in force on the business date.",
    ),
    "rulebook.differs": (
        "规则文件的内容与记录的哈希不一致，以下条文内容仅供参考。",
        "The rulebook file no longer matches the recorded hash: the texts below are for"
        " reference only.",
    ),
    "rulebook.missing": ("规则目录中已无此版本。", "The catalogue no longer holds this version."),
    "articles": ("依据条款", "Articles cited"),
    "no_text": ("（规则文件未收录该条文本）", "(the rulebook file holds no text of it)"),
    "findings": ("违规事实", "Findings"),
    "facts": ("查明的事实", "Facts established"),
    "reasons": ("理由", "Reasons"),
    "intended": ("拟作出的处理", "Intended decision"),
    "required": ("规则要求", "What the rules require"),
    "grounds": ("依据", "Grounds"),
    "defence": (
        "你机构可于 {deadline} 前提出陈述和申辩。",
        "You may state your case and defend yourselves until {deadline}.",
    ),
    "noticed": ("已于 {on} 以 {number} 告知拟处理决定。", "Notified on {on} by {number}."),
    "defences": ("陈述申辩", "Defence"),
    "defence.waived": ("放弃陈述申辩", "Defence waived"),
    "defence.none": ("期限内未提出陈述申辩", "No defence within the period"),
    "decision.made": ("处理决定", "Decision"),
    "actions": ("措施", "Measures"),
    "below": ("低于规则要求的理由", "Reason for going below the requirement"),
    "body": ("决定机关", "Deciding body"),
    "body.district": ("区县人力资源社会保障部门", "district human resources bureau"),
    "body.city": ("市人力资源社会保障部门", "city human resources bureau"),
    "body.province": ("省人力资源社会保障部门", "provincial human resources department"),
    "rectification_days": ("整改期限", "Rectification period"),
    "days": ("{n} 天", "{n} days"),
    "ban": ("禁止再次备案", "Ban on new filings"),
    "years": ("{n} 年", "{n} years"),
    "served": ("送达日期", "Served on"),
    "unserved": ("尚未送达", "Not yet served"),
    "appeal_rights": (
        "如不服本决定，可依法申请行政复议或者提起行政诉讼。",
        "If you disagree with this decision you may apply for administrative reconsideration"
        " or bring an administrative lawsuit as the law provides.",
    ),
    "appeals": ("复议或诉讼结果", "Appeal outcome"),
    "appeal.upheld": ("维持", "upheld"),
    "appeal.varied": ("变更", "varied"),
    "appeal.annulled": ("撤销", "annulled"),
    "under_decision": ("依据处理决定", "Under the decision"),
    "order": (
        "责令你机构于 {deadline} 前完成整改并提交整改报告。",
        "You are ordered to complete the rectification and report on it by {deadline}.",
    ),
    "suspended_from": ("暂停评价自", "Evaluation suspended from"),
    "published": ("公布措施", "Publication"),
    "filing.statement": (
        "该机构的备案已记录如下。",
        "The institution's filing is recorded as follows.",
    ),
    "verification": ("核验", "Verification"),
    "verification.hash": ("链式哈希", "Chain hash"),
    "verification.at": ("公开核验地址", "Public check"),
    "chain.ok": ("记录的哈希链完整。", "The record's hash chain verifies."),
    "chain.broken": (
        "记录的哈希链在第 {n} 条事件处断开。",
        "The record's hash chain breaks at event {n}.",
    ),
    "pdf": ("下载 PDF", "Download PDF"),
    "back": ("返回机构档案", "Back to the file"),
    "all": ("全部文书", "All documents"),
    "verify.title": ("文书核验", "Document verification"),
    "verify.ok": (
        "核验通过：该文书的事件已记录在案，记录的哈希链完整。",
        "Verified: the document's event is on record and the record's hash chain verifies.",
    ),
    "verify.broken": (
        "核验未通过：记录已被改动，哈希链不再完整。",
        "Not verified: the record has been altered and its hash chain no longer verifies.",
    ),
    "verify.unknown": ("没有与此哈希对应的文书。", "No document has this hash."),
    "verify.note": (
        "本页只显示文书的种类、文号、日期和机构名称，不显示文书内容。",
        "This page shows only the document's kind, number, date and institution, never its"
        " content.",
    ),
}


@dataclass(frozen=True)
class DocLabels:
    """The documents' labels in the page's language; templates call it as ``d("key")``."""

    tr: Translator

    def __call__(self, key: str, **values: object) -> str:
        text = DOC_LABELS[key][self.tr.index]
        return text.format(**values) if values else text

    def pick(self, zh: str, en: str) -> str:
        """A text the rulebook or the engine gives in both languages."""
        return zh if self.tr.lang == "zh" or not en else en

    def title(self, document: Document) -> str:
        return self(document.kind)


def _hidden(exc: DomainError) -> DomainError:
    """A file outside the caller's scope is answered as absent, as an unknown one is."""
    return NotFound("no such record") if isinstance(exc, Forbidden | NotFound) else exc


def _institution_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no institution {value!r}", field="iid") from None


@router.get("/institutions/{iid}/documents", response_class=HTMLResponse)
def documents(iid: str, page: SignedInDep) -> Response:
    try:
        found = institution_documents(page.app, page.principal, _institution_id(iid))
    except DomainError as exc:
        return page.refused(_hidden(exc))
    return page.render(
        "documents/list.html",
        d=DocLabels(page.tr),
        found=found,
        documents=list(reversed(found.documents)),
    )


@router.get("/institutions/{iid}/documents/{kind}/{ref}", response_class=HTMLResponse)
def document(
    request: Request,
    iid: str,
    kind: str,
    ref: str,
    page: SignedInDep,
    format: str | None = None,
) -> Response:
    try:
        if format not in (None, "", "html", "pdf"):
            raise InvalidInput("format is html or pdf", field="format")
        if kind not in KINDS:
            raise NotFound(f"no document kind {kind!r} (kinds: {', '.join(KINDS)})")
        found = institution_documents(page.app, page.principal, _institution_id(iid))
        chosen = found.get(kind, ref)
    except DomainError as exc:
        return page.refused(_hidden(exc))
    rendered = page.render(
        "documents/document.html",
        d=DocLabels(page.tr),
        doc=chosen,
        chain_break=found.chain_break,
        verify_url=str(request.url_for("verify_document", chain_hash=chosen.chain_hash)),
        pdf=format == "pdf",
    )
    if format != "pdf":
        return rendered
    return pdf_response(bytes(rendered.body), f"{chosen.kind}-{chosen.ref}", chosen.number)


def pdf_response(html: bytes, ascii_name: str, name: str) -> Response:
    """The page rendered to PDF; fonts come from fontconfig (deploy/ensure-weasyprint.sh)."""
    from weasyprint import HTML  # a heavy import, needed only here

    pdf = HTML(string=html.decode("utf-8"), media_type="print").write_pdf()
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{ascii_name}.pdf";'
            f" filename*=UTF-8''{quote(name)}.pdf",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/verify/{chain_hash}", response_class=HTMLResponse, name="verify_document")
def verify(chain_hash: str, page: PublicDep) -> Response:
    """Public: is this the hash of a recorded document, and does its record still verify?"""
    wanted = chain_hash.strip().lower()
    located = locate(page.store, wanted) if CHAIN_HASH.fullmatch(wanted) else None
    d = DocLabels(page.tr)
    if located is None:
        return page.render(
            "documents/verify.html",
            status_code=404,
            d=d,
            doc=None,
            chain_hash=wanted,
            verified=False,
            known=False,
        )
    doc: Document | None
    try:
        found = institution_documents(page.app, SYSTEM, located.institution_id)
        doc = found.with_hash(wanted) or found.get(located.kind, located.ref)
        verified = found.chain_break is None and doc.chain_hash == wanted
    except DomainError:  # the record no longer holds the event the index points at
        doc, verified = None, False
    return page.render(
        "documents/verify.html",
        status_code=200 if verified else 409,
        d=d,
        doc=doc,
        chain_hash=wanted,
        verified=verified,
        known=True,
    )
