"""Formal documents built from an institution's recorded events.

Four kinds, each from the event that makes it:

- ``notice`` 告知书 (the notice of the intended decision): ``NoticeIssued``;
- ``decision`` 处理决定书: ``CaseDecided``, with its service (``DecisionServed``) once recorded;
- ``rectification`` 整改通知书: ``RectificationOrdered``, recorded when a decision that
  orders rectification is served;
- ``filing`` 备案证明 (the filing certificate): ``FilingApproved`` or ``RenewalApproved``.

A document copies what its events recorded: levels, actions, articles, the requirement
and the rulebook's identity. Nothing here judges: the text of a cited article is looked
up in the rulebook the event names, and whether that file is still the one recorded
(same content hash) is stated on the document.

**Document numbers.** ``<mark>评<kind>〔<year>〕<credit code>-<n>号``, e.g.
``蓉评决〔2024〕91510104MA61X2Y3K5-2号``: the jurisdiction's mark (:data:`JURISDICTION_MARK`;
the code itself for a jurisdiction without one), the kind's mark (:data:`KIND_MARK`), the
calendar year of the event's business date, the institution's credit code (unique in its
jurisdiction for life) and ``n``, the event's place among the institution's events of the
same kind whose business date falls in that year, counted in recording order. Only
earlier events are counted, so a number never changes once its event is recorded, and the
same events always give the same number.

``institution_documents(app, principal, iid)`` is the one place that reads the
application: it authorises the read, loads the events and checks the hash chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, cast, get_args
from uuid import UUID

from domain.access import Principal
from domain.application import OversightApplication
from domain.chain import ChainBreak
from domain.errors import NotFound
from domain.events import (
    AppealDecided,
    CaseDecided,
    CaseOpened,
    DecisionServed,
    DefenceSubmitted,
    DefenceWaived,
    FilingApproved,
    FindingRecorded,
    LedgerEvent,
    NoticeIssued,
    RectificationOrdered,
    RenewalApproved,
)
from domain.institution import Institution
from domain.rulebook import Catalogue, Rulebook

DocumentKind = Literal["notice", "decision", "rectification", "filing"]
KINDS: tuple[DocumentKind, ...] = get_args(DocumentKind)

#: The event each kind of document is made from.
DOCUMENT_EVENTS: dict[type[LedgerEvent], DocumentKind] = {
    NoticeIssued: "notice",
    CaseDecided: "decision",
    RectificationOrdered: "rectification",
    FilingApproved: "filing",
    RenewalApproved: "filing",
}
#: The first character of a document number: the jurisdiction's customary short name.
JURISDICTION_MARK = {"chengdu": "蓉", "hunan": "湘", "huangshi": "黄", "zhengzhou": "郑"}
KIND_MARK: dict[DocumentKind, str] = {
    "notice": "告",
    "decision": "决",
    "rectification": "改",
    "filing": "备",
}


def kind_of(event: LedgerEvent) -> DocumentKind | None:
    return DOCUMENT_EVENTS.get(type(event))


def ref_of(event: LedgerEvent) -> str:
    """The document's reference in its institution's file: the case, decision or event."""
    if isinstance(event, NoticeIssued):
        return event.case_id
    if isinstance(event, CaseDecided | RectificationOrdered):
        return event.decision_id
    prefix = "R" if isinstance(event, RenewalApproved) else "F"
    return f"{prefix}-{event.originator_version}"


def document_number(
    jurisdiction: str, credit_code: str, kind: DocumentKind, year: int, sequence: int
) -> str:
    mark = JURISDICTION_MARK.get(jurisdiction, jurisdiction)
    return f"{mark}评{KIND_MARK[kind]}〔{year}〕{credit_code}-{sequence}号"


# --- the view model ----------------------------------------------------------------------


@dataclass(frozen=True)
class RulebookUsed:
    """The rulebook an event recorded (or, where it records none, the one then in force)."""

    id: str
    version: int
    #: The content hash as recorded (a prefix where the event records only the ref).
    recorded_hash: str
    #: False: the event names no rulebook; this is the one in force on its business date.
    recorded: bool
    title_zh: str = ""
    title_en: str = ""
    issuer_zh: str = ""
    issuer_en: str = ""
    #: The catalogue's file has the recorded content (its hash starts with the recorded one).
    matches: bool = False


@dataclass(frozen=True)
class CitedArticle:
    citation: str  # "chengdu-2024/30.4"
    article_zh: str = ""  # the article's title, where the rulebook holds it
    article_en: str = ""
    text_zh: str = ""  # the item's (or cap rule's) summary; "" where the rulebook has none
    text_en: str = ""


@dataclass(frozen=True)
class Party:
    """The institution as its file stood right after the document's event."""

    name: str
    credit_code: str
    kind: str
    jurisdiction: str
    district: str
    address: str
    legal_representative: str


@dataclass(frozen=True)
class FindingCited:
    finding_id: str
    rule_id: str
    severity: str
    occurred_on: date
    facts: str


@dataclass(frozen=True)
class GroundCited:
    article: str
    level: int
    explanation_zh: str
    explanation_en: str


@dataclass(frozen=True)
class NoticeBody:
    case_id: str
    findings: tuple[FindingCited, ...]
    intended_level: int
    intended_actions: tuple[str, ...]
    facts: str
    reasons: str
    grounds: tuple[GroundCited, ...]
    required_level: int
    required_article: str
    defence_deadline: date


@dataclass(frozen=True)
class Appeal:
    outcome: str  # upheld | varied | annulled
    decided_on: date
    new_level: int | None


@dataclass(frozen=True)
class DecisionBody:
    case_id: str
    decision_id: str
    findings: tuple[FindingCited, ...]
    notice_number: str
    notice_on: date | None
    defences_on: tuple[date, ...]
    defence_waived: bool
    level: int
    actions: tuple[str, ...]
    reasons: str
    deciding_body: str
    required_level: int
    required_article: str
    below_requirement: bool
    below_reason: str
    rectification_days: int | None
    ban_years: int | None
    ban_indefinite: bool
    served_on: date | None
    served_at: datetime | None
    appeals: tuple[Appeal, ...]


@dataclass(frozen=True)
class RectificationBody:
    decision_id: str
    decision_number: str
    decided_on: date
    findings: tuple[FindingCited, ...]
    deadline: date
    suspended_from: date
    public_announcement: bool
    abnormal_activity_list: bool


@dataclass(frozen=True)
class FilingBody:
    renewal: bool
    receipt_number: str
    valid_from: date | None
    valid_until: date
    scope: tuple[tuple[str, tuple[int, ...]], ...]
    test_sites: tuple[str, ...]


Body = NoticeBody | DecisionBody | RectificationBody | FilingBody


@dataclass(frozen=True)
class Document:
    kind: DocumentKind
    ref: str
    number: str
    institution_id: UUID
    #: The institution's version at the document's event, and the event's type.
    version: int
    event: str
    occurred_on: date
    recorded_at: datetime
    chain_hash: str
    party: Party
    rulebook: RulebookUsed | None
    articles: tuple[CitedArticle, ...]
    body: Body


@dataclass(frozen=True)
class InstitutionDocuments:
    institution_id: UUID
    documents: tuple[Document, ...]
    #: The first break of the institution's hash chain, or None when it verifies.
    chain_break: ChainBreak | None = None
    by_key: dict[tuple[str, str], Document] = field(default_factory=dict, compare=False)

    def get(self, kind: str, ref: str) -> Document:
        found = self.by_key.get((kind, ref))
        if found is None:
            raise NotFound(f"no {kind} document {ref!r} in this file", field="ref")
        return found

    def with_hash(self, chain_hash: str) -> Document | None:
        return next((d for d in self.documents if d.chain_hash == chain_hash), None)


# --- reading the application -------------------------------------------------------------


def institution_documents(
    app: OversightApplication, principal: Principal, iid: UUID
) -> InstitutionDocuments:
    """Every document in the institution's file, if ``principal`` may read the file."""
    app.records.institution(principal, iid)
    events = cast(list[LedgerEvent], list(app.store.repository.event_store.get(iid)))
    return collect(iid, events, app.ledger.catalogue, app.records.verify_aggregate(iid))


def collect(
    iid: UUID,
    events: Sequence[LedgerEvent],
    catalogue: Catalogue,
    chain_break: ChainBreak | None = None,
) -> InstitutionDocuments:
    """The documents the events make, in recording order."""
    documents = tuple(_Builder(events, catalogue).documents())
    return InstitutionDocuments(
        iid, documents, chain_break, {(d.kind, d.ref): d for d in documents}
    )


# --- building ----------------------------------------------------------------------------


def _replay(events: Iterable[LedgerEvent]) -> Iterator[tuple[LedgerEvent, Institution]]:
    """Each event with the file as it stood right after it."""
    state: Any = None
    for event in events:
        state = event.mutate(state)
        yield event, cast(Institution, state)


def _party(inst: Institution) -> Party:
    return Party(
        name=inst.name,
        credit_code=inst.credit_code,
        kind=inst.kind,
        jurisdiction=inst.jurisdiction,
        district=inst.district,
        address=inst.address,
        legal_representative=inst.legal_representative,
    )


class _Builder:
    def __init__(self, events: Sequence[LedgerEvent], catalogue: Catalogue) -> None:
        self.events = events
        self.catalogue = catalogue
        self.numbers: dict[tuple[DocumentKind, int], int] = {}
        self.notice_numbers: dict[str, tuple[str, date]] = {}
        self.decision_numbers: dict[str, tuple[str, date]] = {}

    def documents(self) -> Iterator[Document]:
        for event, inst in _replay(self.events):
            kind = kind_of(event)
            if kind is None:
                continue
            year = event.occurred_on.year
            sequence = self.numbers.get((kind, year), 0) + 1
            self.numbers[(kind, year)] = sequence
            number = document_number(inst.jurisdiction, inst.credit_code, kind, year, sequence)
            yield self._document(kind, number, event, inst)

    def _document(
        self, kind: DocumentKind, number: str, event: LedgerEvent, inst: Institution
    ) -> Document:
        found, citations, body = self._content(number, event, inst)
        recorded = found[1] if found else None
        return Document(
            kind=kind,
            ref=ref_of(event),
            number=number,
            institution_id=inst.id,
            version=event.originator_version,
            event=type(event).__name__,
            occurred_on=event.occurred_on,
            recorded_at=event.timestamp,
            chain_hash=event.chain_hash,
            party=_party(inst),
            rulebook=_used(found) if found else None,
            articles=tuple(cite_article(c, recorded, self.catalogue) for c in citations),
            body=body,
        )

    def _content(
        self, number: str, event: LedgerEvent, inst: Institution
    ) -> tuple[tuple[RulebookUsed, Rulebook | None] | None, list[str], Body]:
        if isinstance(event, NoticeIssued):
            self.notice_numbers[event.case_id] = (number, event.occurred_on)
            used = self._recorded(event.requirement)
            return used, list(event.legal_basis), self._notice(event)
        if isinstance(event, CaseDecided):
            self.decision_numbers[event.decision_id] = (number, event.occurred_on)
            used = self._recorded(event.requirement)
            return used, list(event.articles), self._decision(event)
        if isinstance(event, RectificationOrdered):
            decided = self._decided(event.decision_id)
            used = self._recorded(decided.requirement)
            return used, list(decided.articles), self._rectification(event, decided)
        if isinstance(event, FilingApproved):
            used = self._by_ref(event.rulebook)
            cited = [c.article for c in used[1].filing.caps] if used[1] else []
            return used, cited, self._filing(inst, event.valid_until, renewal=False)
        assert isinstance(event, RenewalApproved)
        in_force = self._in_force(inst.jurisdiction, event.occurred_on)
        renewal = list(in_force[1].filing.renewal_articles) if in_force and in_force[1] else []
        return in_force, renewal, self._filing(inst, event.valid_until, renewal=True)

    # --- rulebooks

    def _recorded(self, requirement: dict[str, Any]) -> tuple[RulebookUsed, Rulebook | None]:
        ident = requirement.get("rulebook") or {}
        rulebook_id, version = str(ident.get("id", "")), int(ident.get("version", 0))
        return self._lookup(rulebook_id, version, str(ident.get("hash", "")), recorded=True)

    def _by_ref(self, ref: str) -> tuple[RulebookUsed, Rulebook | None]:
        """``hunan-2023@v1#0123456789ab``, as a filing approval records its rulebook."""
        name, _, rest = ref.partition("@v")
        version, _, digest = rest.partition("#")
        return self._lookup(name, int(version or 0), digest, recorded=True)

    def _in_force(self, jurisdiction: str, on: date) -> tuple[RulebookUsed, Rulebook | None] | None:
        rulebook = self.catalogue.in_force(jurisdiction, on)
        if rulebook is None:
            return None
        return self._lookup(rulebook.id, rulebook.version, rulebook.content_hash, recorded=False)

    def _lookup(
        self, rulebook_id: str, version: int, digest: str, *, recorded: bool
    ) -> tuple[RulebookUsed, Rulebook | None]:
        try:
            rulebook: Rulebook | None = self.catalogue.get(rulebook_id, version)
        except KeyError:
            rulebook = None
        used = RulebookUsed(rulebook_id, version, digest, recorded)
        return used, rulebook

    # --- bodies

    def _findings(self, case_id: str) -> tuple[FindingCited, ...]:
        ids = next(
            (
                e.finding_ids
                for e in self.events
                if isinstance(e, CaseOpened) and e.case_id == case_id
            ),
            [],
        )
        recorded = {e.finding_id: e for e in self.events if isinstance(e, FindingRecorded)}
        return tuple(
            FindingCited(f.finding_id, f.rule_id, f.severity, f.occurred_on, f.facts)
            for f in (recorded[fid] for fid in ids if fid in recorded)
        )

    def _notice(self, e: NoticeIssued) -> NoticeBody:
        return NoticeBody(
            case_id=e.case_id,
            findings=self._findings(e.case_id),
            intended_level=e.intended_level,
            intended_actions=tuple(e.intended_actions),
            facts=e.facts,
            reasons=e.reasons,
            grounds=_grounds(e.requirement),
            required_level=int(e.requirement.get("level", 0)),
            required_article=str(e.requirement.get("article", "")),
            defence_deadline=e.defence_deadline,
        )

    def _decided(self, decision_id: str) -> CaseDecided:
        return next(
            e for e in self.events if isinstance(e, CaseDecided) and e.decision_id == decision_id
        )

    def _decision(self, e: CaseDecided) -> DecisionBody:
        notice_number, notice_on = self.notice_numbers.get(e.case_id, ("", None))
        served = next(
            (
                x
                for x in self.events
                if isinstance(x, DecisionServed) and x.decision_id == e.decision_id
            ),
            None,
        )
        return DecisionBody(
            case_id=e.case_id,
            decision_id=e.decision_id,
            findings=self._findings(e.case_id),
            notice_number=notice_number,
            notice_on=notice_on,
            defences_on=tuple(
                x.occurred_on
                for x in self.events
                if isinstance(x, DefenceSubmitted) and x.case_id == e.case_id
            ),
            defence_waived=any(
                isinstance(x, DefenceWaived) and x.case_id == e.case_id for x in self.events
            ),
            level=e.level,
            actions=tuple(e.actions),
            reasons=e.reasons,
            deciding_body=e.deciding_body,
            required_level=int(e.requirement.get("level", 0)),
            required_article=str(e.requirement.get("article", "")),
            below_requirement=e.below_requirement,
            below_reason=e.below_reason,
            rectification_days=e.rectification_days,
            ban_years=e.ban_years,
            ban_indefinite=e.ban_indefinite,
            served_on=served.occurred_on if served else None,
            served_at=served.timestamp if served else None,
            appeals=tuple(
                Appeal(x.outcome, x.occurred_on, x.new_level)
                for x in self.events
                if isinstance(x, AppealDecided) and x.decision_id == e.decision_id
            ),
        )

    def _rectification(self, e: RectificationOrdered, decided: CaseDecided) -> RectificationBody:
        number, decided_on = self.decision_numbers[e.decision_id]
        return RectificationBody(
            decision_id=e.decision_id,
            decision_number=number,
            decided_on=decided_on,
            findings=self._findings(decided.case_id),
            deadline=e.deadline,
            suspended_from=e.suspended_from,
            public_announcement=e.public_announcement,
            abnormal_activity_list=e.abnormal_activity_list,
        )

    @staticmethod
    def _filing(inst: Institution, valid_until: date, *, renewal: bool) -> FilingBody:
        return FilingBody(
            renewal=renewal,
            receipt_number=inst.receipt_number or "",
            valid_from=inst.valid_from,
            valid_until=valid_until,
            scope=tuple(
                (str(line["occupation"]), tuple(int(v) for v in line["levels"]))
                for line in inst.scope
            ),
            test_sites=tuple(inst.test_sites),
        )


def _grounds(requirement: dict[str, Any]) -> tuple[GroundCited, ...]:
    return tuple(
        GroundCited(
            str(g.get("article", "")),
            int(g.get("level", 0)),
            str(g.get("explanation_zh", "")),
            str(g.get("explanation_en", "")),
        )
        for g in requirement.get("grounds", ())
    )


def _used(found: tuple[RulebookUsed, Rulebook | None]) -> RulebookUsed:
    used, rulebook = found
    if rulebook is None:
        return used
    return RulebookUsed(
        used.id,
        used.version,
        used.recorded_hash,
        used.recorded,
        title_zh=rulebook.title_zh,
        title_en=rulebook.title_en,
        issuer_zh=rulebook.issuer_zh,
        issuer_en=rulebook.issuer_en,
        matches=bool(used.recorded_hash) and rulebook.content_hash.startswith(used.recorded_hash),
    )


def cite_article(citation: str, recorded: Rulebook | None, catalogue: Catalogue) -> CitedArticle:
    """The text of ``citation`` in the recorded rulebook (or the newest of its id)."""
    rulebook_id, _, local = citation.partition("/")
    rulebook = recorded if recorded is not None and recorded.id == rulebook_id else None
    if rulebook is None:
        try:
            rulebook = catalogue.get(rulebook_id)
        except KeyError:
            return CitedArticle(citation)
    item = rulebook.item(local)
    number = local.split(".")[0]
    article = next((a for a in rulebook.articles if str(a.number) == number), None)
    titles = (article.title_zh, article.title_en) if article else ("", "")
    if item is not None:
        return CitedArticle(citation, *titles, item.summary_zh, item.summary_en)
    cap = next((c for c in rulebook.filing.caps if c.article == citation), None)
    if cap is not None:
        return CitedArticle(citation, *titles, cap.summary_zh, cap.summary_en)
    return CitedArticle(citation, *titles)
