"""What an institution's portal shows: its own file, its deadlines, what waits for it.

Every read here is for a caller whose token is scoped to the institution (``own_id``):
any other address — another institution's record, a record that does not exist, a caller
of another role — is ``NotFound``, so the portal never tells whether another record
exists. The record itself is then read through the application, which authorises it
again. The view copies what the record holds: the filing (with the renewal window the
domain computes), the cases, decisions, batches (with what their checks raised), the
files sent with reports, the documents, and every date the institution must meet, with
the days left counted here so that no template does date arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.access import Principal
from domain.application import OversightApplication, StoredEvent
from domain.errors import NotFound
from domain.institution import Institution
from domain.state import AttachmentState
from projections.documents import institution_documents
from projections.institution_file import Particulars, _particulars
from projections.workbench import CaseLine, DecisionLine, Desk, _desk


def own_id(principal: Principal, iid: str) -> UUID:
    """The institution id of a portal address, if it is the caller's own; else NotFound."""
    try:
        wanted = UUID(iid)
    except ValueError:
        raise NotFound(f"no institution {iid!r}", field="iid") from None
    if principal.institution_id is None or principal.institution_id != wanted:
        raise NotFound("no such record", field="iid")
    return wanted


# --- what the portal shows -------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A date the institution must meet, or one its filing reaches."""

    #: defence | rectification | opinion_report | renewal_opens | expiry | lapse
    kind: str
    due: date
    #: What it concerns: a case, a decision, a visit; empty for the filing's dates.
    ref: str
    #: Days from today to ``due`` (negative once passed).
    days_left: int

    @property
    def passed(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class RaisedFlag:
    """A check a reported batch failed, as the batch's event recorded it."""

    check: str
    rule_id: str
    detail_zh: str
    detail_en: str


@dataclass(frozen=True)
class ReportedBatch:
    """A batch as reported (always kept), what its checks raised and the findings."""

    batch_id: str
    occupation: str
    level: int
    evaluated_on: date
    site: str
    candidates: int
    passed: int
    flags: tuple[RaisedFlag, ...]
    finding_ids: tuple[str, ...]
    voided_by: str | None


@dataclass(frozen=True)
class DocumentLine:
    kind: str
    ref: str
    number: str
    occurred_on: date


@dataclass(frozen=True)
class Renewal:
    """The renewal window of the current validity, as the domain computes it."""

    opens_on: date
    last_valid_day: date
    lapses_on: date


@dataclass(frozen=True)
class Portal:
    """An institution's own file as its portal shows it."""

    desk: Desk
    file: Particulars
    legal_representative: str
    contact: dict[str, str]
    renewal: Renewal | None
    deadlines: tuple[Deadline, ...]
    batches: tuple[ReportedBatch, ...]
    attachments: tuple[AttachmentState, ...]
    documents: tuple[DocumentLine, ...]

    @property
    def institution(self) -> Particulars:
        return self.file

    @property
    def today(self) -> date:
        return self.desk.today

    @property
    def waiting_notices(self) -> tuple[CaseLine, ...]:
        """Notices the institution has not answered (no defence, no waiver)."""
        return tuple(
            c for c in self.desk.cases if c.step == "noticed" and not c.defences and not c.waived
        )

    @property
    def rectifications(self) -> tuple[DecisionLine, ...]:
        """Served decisions whose rectification is not accepted (reports may be sent)."""
        return tuple(
            d
            for d in self.desk.decisions
            if d.rectification in ("ordered", "reported", "overdue") and not d.rescinded
        )

    @property
    def appealable(self) -> tuple[DecisionLine, ...]:
        """Served decisions not annulled and without an appeal pending."""
        pending = {a.decision_id for a in self.desk.appeals if a.outcome is None}
        return tuple(
            d
            for d in self.desk.decisions
            if d.served_on is not None and not d.rescinded and d.decision_id not in pending
        )

    def attachments_of(self, decision_id: str) -> tuple[AttachmentState, ...]:
        return tuple(a for a in self.attachments if a.decision_id == decision_id)


@dataclass(frozen=True)
class Unfiled:
    """The portal of an institution whose token was issued before its first filing."""

    institution_id: UUID
    today: date


def portal(app: OversightApplication, principal: Principal, iid: str) -> Portal | Unfiled:
    """The caller's own file; :class:`Unfiled` while nothing is filed under its id."""
    uid = own_id(principal, iid)
    try:
        inst = app.records.institution(principal, uid)
    except NotFound:
        return Unfiled(uid, app.ledger.today())
    return _portal(app, principal, inst)


def filed(app: OversightApplication, principal: Principal, iid: str) -> Portal:
    """The caller's own file, which must exist (a step on it)."""
    found = portal(app, principal, iid)
    if isinstance(found, Unfiled):
        raise NotFound("nothing is filed under this record yet", field="iid")
    return found


def _portal(app: OversightApplication, principal: Principal, inst: Institution) -> Portal:
    today = app.ledger.today()
    desk = _desk(inst, today)
    renewal = _renewal(app, inst)
    events = app.records.institution_events(principal, inst.id)
    found = institution_documents(app, principal, inst.id)
    return Portal(
        desk=desk,
        file=_particulars(inst),
        legal_representative=inst.legal_representative,
        contact={"name": inst.contact["name"], "phone": inst.contact["phone"]},
        renewal=renewal,
        deadlines=_deadlines(inst, desk, renewal, today),
        batches=_batches(events, inst),
        attachments=inst.state.attachments,
        documents=tuple(
            DocumentLine(d.kind, d.ref, d.number, d.occurred_on) for d in reversed(found.documents)
        ),
    )


def _renewal(app: OversightApplication, inst: Institution) -> Renewal | None:
    if inst.valid_until is None:
        return None
    rulebook = app.ledger.catalogue.in_force(inst.jurisdiction, inst.valid_until)
    if rulebook is None:
        return None
    opens, last, lapses = inst.renewal_window(rulebook)
    return Renewal(opens, last, lapses)


def deadlines_of(app: OversightApplication, inst: Institution, today: date) -> tuple[Deadline, ...]:
    """Every date the institution must meet (or its filing reaches), as its portal lists them."""
    return _deadlines(inst, _desk(inst, today), _renewal(app, inst), today)


def _deadlines(
    inst: Institution, desk: Desk, renewal: Renewal | None, today: date
) -> tuple[Deadline, ...]:
    dates: list[tuple[str, date, str]] = [
        ("defence", c.defence_deadline, c.case_id)
        for c in desk.cases
        if c.step == "noticed" and c.defence_deadline is not None and not c.waived
    ]
    dates += [
        ("rectification", d.rectification_deadline, d.decision_id)
        for d in desk.decisions
        if d.rectification in ("ordered", "reported", "overdue")
        and d.rectification_deadline is not None
        and not d.rescinded
    ]
    dates += [
        ("opinion_report", o.report_due, visit_id)
        for visit_id, o in inst.state.opinions.items()
        if o.state in ("awaiting_report", "overdue")
    ]
    if renewal is not None and inst.status == "active" and inst.renewal_requested_on is None:
        dates += [("renewal_opens", renewal.opens_on, ""), ("expiry", renewal.last_valid_day, "")]
    if renewal is not None and inst.status == "expired" and inst.renewal_requested_on is None:
        dates.append(("lapse", renewal.lapses_on, ""))
    found = [Deadline(kind, due, ref, (due - today).days) for kind, due, ref in dates]
    return tuple(sorted(found, key=lambda d: (d.due, d.kind, d.ref)))


def _batches(events: list[StoredEvent], inst: Institution) -> tuple[ReportedBatch, ...]:
    raised: dict[str, list[str]] = {}
    for e in events:
        if e.name == "FindingRecorded" and e.data.get("source") == "system":
            raised.setdefault(str(e.data.get("reference")), []).append(str(e.data["finding_id"]))
    voided = {bid: b.voided_by for bid, b in inst.state.batches.items()}
    return tuple(
        _batch(e, tuple(raised.get(str(e.data["batch_id"]), ())), voided)
        for e in reversed(events)
        if e.name == "EvaluationReported"
    )


def _batch(
    e: StoredEvent, finding_ids: tuple[str, ...], voided: dict[str, str | None]
) -> ReportedBatch:
    data = e.data
    return ReportedBatch(
        batch_id=str(data["batch_id"]),
        occupation=str(data["occupation"]),
        level=int(data["level"]),
        evaluated_on=e.occurred_on,
        site=str(data["site"]),
        candidates=int(data["candidates"]),
        passed=int(data["passed"]),
        flags=tuple(
            RaisedFlag(f["check"], f["rule_id"], f.get("detail_zh", ""), f.get("detail_en", ""))
            for f in data.get("flags", ())
        ),
        finding_ids=finding_ids,
        voided_by=voided.get(str(data["batch_id"])),
    )


# --- the files sent with reports -------------------------------------------------------


def attachments_of(
    app: OversightApplication, principal: Principal, iid: UUID
) -> tuple[AttachmentState, ...]:
    """The files recorded in the file ``iid``, for a caller who may read it."""
    return app.records.institution(principal, iid).state.attachments


def attachment_of(
    app: OversightApplication, principal: Principal, iid: UUID, sha256: str
) -> AttachmentState:
    """The file recorded with ``sha256`` in the file ``iid``; NotFound if it holds none."""
    found = next((a for a in attachments_of(app, principal, iid) if a.sha256 == sha256), None)
    if found is None:
        raise NotFound(f"no file {sha256} in this record", field="sha256")
    return found


# --- what a step acts on ---------------------------------------------------------------


@dataclass(frozen=True)
class OnPortal:
    """What a step acts on, in the institution's own file (``portal``)."""

    portal: Portal

    @property
    def institution(self) -> Particulars:
        return self.portal.file


@dataclass(frozen=True)
class PortalCase(OnPortal):
    """A noticed case the institution answers."""

    case: CaseLine


@dataclass(frozen=True)
class PortalDecision(OnPortal):
    """A served decision the institution reports on or appeals."""

    decision: DecisionLine


def portal_case(
    app: OversightApplication, principal: Principal, iid: str, case_id: str
) -> PortalCase:
    own = filed(app, principal, iid)
    return PortalCase(own, own.desk.case(case_id))


def portal_decision(
    app: OversightApplication, principal: Principal, iid: str, decision_id: str
) -> PortalDecision:
    own = filed(app, principal, iid)
    return PortalDecision(own, own.desk.decision(decision_id))
