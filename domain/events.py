"""Every event of the ledger: frozen, past tense, with a business date and an author.

Each event carries two clocks: ``occurred_on`` (the business date: the conduct, the
decision, the approval) and ``timestamp`` (the instant the store recorded it). Each also
carries who caused it (``actor``, ``role``, ``request_id``) and its link in the aggregate's
hash chain (``prev_hash``, ``chain_hash``).

These classes are a published schema: their module and name are stored with every event.
Never rename or move one without registering its old topic; change a shape with
``class_version`` and an upcaster.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypedDict

from eventsourcing.domain import Aggregate


class ScopeLine(TypedDict):
    occupation: str  # national occupation classification code, e.g. "4-07-05-04"
    levels: list[int]  # 1 (一级/高级技师) … 5 (五级/初级工)


class Contact(TypedDict):
    name: str
    phone: str


class LedgerEvent(Aggregate.Event):
    """Base of every event: both clocks, the author, the chain link."""

    occurred_on: date
    actor: str
    role: str
    request_id: str
    prev_hash: str
    chain_hash: str

    def apply(self, aggregate: Any) -> None:
        aggregate.when(self)


class LedgerCreated(Aggregate.Created, LedgerEvent):
    """Base of the events that start an aggregate's history."""


# --- institution: filing lifecycle (rules-digest §1) -------------------------------------


class FilingSubmitted(LedgerCreated):
    credit_code: str
    name: str
    kind: str  # employer | social_org | technical_school
    jurisdiction: str
    district: str
    address: str
    scope: list[ScopeLine]
    test_sites: list[str]
    legal_representative: str
    contact: Contact


class FilingResubmitted(LedgerEvent):
    """A new application on an existing record (after rejection, cancellation, lapse or ban)."""

    name: str
    kind: str
    district: str
    address: str
    scope: list[ScopeLine]
    test_sites: list[str]
    legal_representative: str
    contact: Contact


class FilingApproved(LedgerEvent):
    receipt_number: str
    valid_from: date
    valid_until: date  # last day of validity
    rulebook: str  # rulebook ref used for the checks


class FilingRejected(LedgerEvent):
    reason: str


class DetailsChanged(LedgerEvent):
    changes: dict[str, Any]  # field -> new value; only name, address, district, contacts


class ScopeChangeRequested(LedgerEvent):
    change_id: str
    scope: list[ScopeLine]  # the whole scope asked for
    test_sites: list[str]
    reason: str


class ScopeChangeApproved(LedgerEvent):
    change_id: str
    rulebook: str


class ScopeChangeRejected(LedgerEvent):
    change_id: str
    reason: str


class RenewalRequested(LedgerEvent):
    late: bool  # after expiry, inside the grace period before lapse


class RenewalApproved(LedgerEvent):
    valid_until: date  # new last day of validity


class RenewalRejected(LedgerEvent):
    reason: str


class FilingExpired(LedgerEvent):
    valid_until: date


class FilingLapsed(LedgerEvent):
    expired_on: date
    articles: list[str]


class FilingCancelled(LedgerEvent):
    reason: str


# --- institution: the register brought in from before this system -----------------------


class SourceRow(TypedDict):
    """Where an imported event came from: the file, the sheet, the row and its cells."""

    file: str
    sheet: str
    row: int  # 1-based, as the spreadsheet numbers it (the header is row 1)
    cells: dict[str, str]  # column name -> the cell as read
    key: str  # SHA-256 of the credit code, jurisdiction, kind of row and cells: its identity


class FilingImported(FilingSubmitted):
    """A filing brought in from the register the regulator kept before this system, dated
    as the register dates it. Read as a ``FilingSubmitted`` everywhere."""

    imported_from: SourceRow


class FilingApprovalImported(FilingApproved):
    """The original approval of an imported filing (its real date; the validity of the
    rulebook named). Read as a ``FilingApproved`` everywhere."""

    imported_from: SourceRow


class SanctionImported(LedgerEvent):
    """A sanction decided before this system, from the register (``occurred_on``: the
    decision's date). It counts where a rule looks back at earlier sanctions as far as the
    rulebook's ``earlier_conduct`` says; no case, notice or service is recorded for it."""

    sanction_id: str  # "IMP-<12 hex of the row key>"
    kind: str  # interview | rectification | warning
    level: int
    items: list[str]  # the items of the jurisdiction's rulebook the conduct corresponds to
    effect_on: date  # interview held, rectification ordered, warning given
    accepted_on: date | None  # a rectification's acceptance, if the register records one
    reference: str  # the decision's document number
    summary: str
    imported_from: SourceRow


# --- institution: findings, evaluation batches, complaints (rules-digest §2, §4) ----------


class FindingRecorded(LedgerEvent):
    """A breach found (conduct on ``occurred_on``), with what the rules required when recorded."""

    finding_id: str
    rule_id: str  # "hunan-2023/25.3"
    severity: str  # minor | serious
    source: str  # inspection | complaint | self_report | media | audit | system
    reference: str
    facts: str
    evidence: list[dict[str, str]]  # [{"sha256": ..., "name": ...}]
    assessment: dict[str, Any]  # the Assessment computed then, with rulebook id/version/hash


class FindingDismissed(LedgerEvent):
    """A finding withdrawn as unfounded or recorded in error (it stays in the history)."""

    finding_id: str
    reason: str


class EvaluationReported(LedgerEvent):
    """An evaluation batch (always recorded, even when it breaks the rules)."""

    batch_id: str
    occupation: str
    level: int
    site: str
    territory: str
    candidates: int
    unqualified_candidates: int
    passed: int
    paper_set_id: str
    flags: list[dict[str, str]]  # what the checks found: [{"check", "rule_id", "detail"}]


class BatchFlagged(LedgerEvent):
    """A check a batch failed for which the rulebook names no item: no finding can be raised,
    so the regulator is told (the worklist's flags) with the reason."""

    batch_id: str
    check: str  # no_filing_in_force, during_suspension, outside_scope…
    detail_zh: str
    detail_en: str
    reason_zh: str  # why no finding was raised
    reason_en: str


class ComplaintReceived(LedgerEvent):
    complaint_id: str
    channel: str
    summary: str
    reference: str


class ComplaintVerified(LedgerEvent):
    complaint_id: str
    substantiated: bool
    reason: str


class AnnualAssessmentRecorded(LedgerEvent):
    """The annual (or periodic) assessment of the institution (huangshi-2022/5-6 etc.)."""

    assessment_id: str
    year: int
    assessing_body: str
    passed: bool
    grade: str  # e.g. 优秀/合格/不合格, or "" when only pass/fail is given
    scores: dict[str, float]  # by dimension
    remarks: str
    published: bool  # the rulebook makes results public
    articles: list[str]


# --- institution: cases, decisions, effects, appeals (rules-digest §3, §5) -----------------


class CaseOpened(LedgerEvent):
    case_id: str
    finding_ids: list[str]


class NoticeIssued(LedgerEvent):
    """告知: the intended decision with facts, reasons and basis; the defence period opens."""

    case_id: str
    intended_level: int
    intended_actions: list[str]
    facts: str
    reasons: str
    legal_basis: list[str]
    defence_deadline: date
    requirement: dict[str, Any]


class DefenceSubmitted(LedgerEvent):
    case_id: str
    statement: str
    evidence: list[dict[str, str]]


class DefenceWaived(LedgerEvent):
    case_id: str


class CaseDecided(LedgerEvent):
    """The regulator's decision, with the requirement computed at that moment."""

    case_id: str
    decision_id: str
    level: int
    actions: list[str]
    articles: list[str]
    reasons: str
    deciding_body: str  # district | city | province
    requirement: dict[str, Any]
    below_requirement: bool
    below_reason: str
    known_version: int  # the institution's version the decision was computed from
    rectification_days: int | None
    ban_years: int | None
    ban_indefinite: bool


class DecisionServed(LedgerEvent):
    case_id: str
    decision_id: str


class InterviewHeld(LedgerEvent):
    decision_id: str
    attendees: list[str]
    pledge: str


class ResultsVoided(LedgerEvent):
    decision_id: str
    batch_id: str
    certificates: list[str]


class RectificationOrdered(LedgerEvent):
    decision_id: str
    deadline: date
    suspended_from: date
    public_announcement: bool
    abnormal_activity_list: bool


class RectificationReportSubmitted(LedgerEvent):
    decision_id: str
    report: str


class Attachment(TypedDict):
    """A file kept outside the ledger, in the attachment store under its SHA-256."""

    sha256: str
    name: str
    size: int  # bytes
    media_type: str


class AttachmentsSubmitted(LedgerEvent):
    """Files submitted with a rectification report (recorded right after it)."""

    decision_id: str
    attachments: list[Attachment]


class RectificationAccepted(LedgerEvent):
    decision_id: str
    remarks: str


class RectificationOverdue(LedgerEvent):
    decision_id: str
    deadline: date


class FilingRevoked(LedgerEvent):
    decision_id: str
    ban_until: date | None  # None with ban_indefinite: no new filing ever
    ban_indefinite: bool


class AppealFiled(LedgerEvent):
    appeal_id: str
    decision_id: str
    kind: str  # reconsideration (复议) | review (诉讼)
    grounds: str


class AppealDecided(LedgerEvent):
    """Upheld, varied (a new action) or annulled: compensating, nothing is deleted."""

    appeal_id: str
    decision_id: str
    outcome: str  # upheld | varied | annulled
    new_level: int | None
    new_actions: list[str]
    reasons: str


class EvaluationPaused(LedgerEvent):
    """On-site pause by a supervisor (hunan-2023/17.3)."""

    session_id: str
    supervisor: str
    problem: str
    assignment_id: str


class SupervisionOpinionIssued(LedgerEvent):
    """The opinion letter closing a special supervision; a rectification report is due
    (hunan-2023/18)."""

    visit_id: str
    opinions: list[str]
    report_due: date
    articles: list[str]


class SupervisionReportSubmitted(LedgerEvent):
    visit_id: str
    report: str


class SupervisionReportOverdue(LedgerEvent):
    visit_id: str
    report_due: date


class EvaluationResumed(LedgerEvent):
    session_id: str
    correction: str


class EvaluationStopped(LedgerEvent):
    session_id: str
    reason: str
    batch_id: str


# --- institution: the officer in charge of the file and of each work item (issue 15) ---


class OfficerAssigned(LedgerEvent):
    """The officer in charge of a work item, or of the whole file (``item_kind`` "file").

    ``officer`` is the subject of a regulator's token (a user name)."""

    item_kind: str  # file | finding | case | rectification | appeal
    item_id: str  # the finding, case, decision (of a rectification) or appeal; "" for file
    officer: str
    reason: str


class OfficerReassigned(LedgerEvent):
    """The work item passes from one officer to another, with the reason."""

    item_kind: str
    item_id: str
    from_officer: str
    to_officer: str
    reason: str


# --- index and access aggregates ---------------------------------------------------------


class RosterOpened(LedgerCreated):
    jurisdiction: str
    occupation: str


class RosterHoldingSet(LedgerEvent):
    institution_id: str
    kind: str
    levels: list[int]  # empty: the institution no longer holds the occupation


class TokenIssued(LedgerCreated):
    token_hash: str
    subject: str
    role: str
    jurisdiction: str | None
    district: str | None
    institution_id: str | None
    note: str


class TokenExpirySet(LedgerEvent):
    """The instant from which the token is refused (recorded right after its issue)."""

    expires_at: datetime


class TokenRevoked(LedgerEvent):
    reason: str


class TokenIssuedToUser(LedgerEvent):
    """The token is a credential of the named user (recorded right after its issue): it
    acts as that user, with the user's role and scope at each request, and stops working
    when the user is disabled."""

    user: str


# --- user accounts: a name, a role and scope, a password (argon2id), sign-ins ---------------


class UserCreated(LedgerCreated):
    name: str
    display_name: str
    role: str
    jurisdiction: str | None
    district: str | None
    institution_id: str | None


class PasswordSet(LedgerEvent):
    """The user's password, as an argon2id hash (never the password)."""

    password_hash: str


class UserRoleChanged(LedgerEvent):
    role: str
    jurisdiction: str | None
    district: str | None
    institution_id: str | None


class UserDisabled(LedgerEvent):
    reason: str


class SignInFailed(LedgerEvent):
    """A sign-in with a wrong password; ``failures`` counts those in a row."""

    failures: int


class UserLocked(LedgerEvent):
    """Too many failed sign-ins in a row: every sign-in is refused until ``until``."""

    until: datetime


class SignInSucceeded(LedgerEvent):
    """A sign-in by password (``via="password"``) or single sign-on (``via="oidc"``)."""

    via: str


class RegistryOpened(LedgerCreated):
    name: str


class RegistryEntryAdded(LedgerEvent):
    entry_id: str


class IdempotentRequestRecorded(LedgerCreated):
    fingerprint: str
    result: dict[str, Any]


# --- supervision ---------------------------------------------------------------------------
# Supervisors (督导员), random spot-check campaigns (双随机、一公开), assignments (委派) and
# visit records (督导情况记录) — rules-digest §3.


class SessionRoster(TypedDict):
    """An evaluation session (场次) and the people serving in it, named by card number."""

    session_id: str
    examiners: list[str]
    internal_supervisors: list[str]


class VisitFinding(TypedDict):
    rule_id: str  # "hunan-2023/25.9"
    severity: str  # minor | serious
    occurred_on: date  # the date of the conduct
    facts: str


class SupervisorCertified(LedgerCreated):
    """Trained, examined and issued a supervisor card (证卡)."""

    jurisdiction: str
    district: str | None  # the recommending district; None: the jurisdiction's own
    kind: str  # external (外督) | internal (内督)
    institution_id: str | None  # internal supervisors: the institution that certified them
    name: str
    subject: str  # the login of the person holding the card
    card_number: str
    card_valid_until: date | None  # last valid day; None: the rules set no validity
    card_articles: list[str]
    rulebooks: list[str]


class SupervisorCardRenewed(LedgerEvent):
    card_valid_until: date | None
    card_articles: list[str]
    rulebooks: list[str]


class SupervisorAppointed(LedgerEvent):
    """Engaged (聘任) for a term of supervision work."""

    term: int  # 1 for the first term
    term_ends_on: date | None  # last day of the term; None: the rules set no term
    articles: list[str]
    rulebooks: list[str]


class AnnualReviewRecorded(LedgerEvent):
    year: int
    passed: bool
    remarks: str


class SupervisorCardExpired(LedgerEvent):
    """The card's validity ended (zhengzhou-2014/5); recorded once by the deadline watcher."""

    card_valid_until: date
    articles: list[str]


class SupervisorTermEnded(LedgerEvent):
    """An appointment term ran out (hunan-2023/8); recorded once per term."""

    term: int
    ended_on: date
    articles: list[str]


class AssignmentSuspended(LedgerEvent):
    """No assignments for this supervisor (暂停质量督导任务委派)."""

    reason: str
    articles: list[str]
    until: date | None  # last day of the suspension; None: until lifted


class AssignmentSuspensionLifted(LedgerEvent):
    reason: str


class SupervisorDecertified(LedgerEvent):
    """Qualification withdrawn (取消其质量督导资质); final."""

    reason: str
    articles: list[str]


class ConflictOfInterestDeclared(LedgerEvent):
    institution_id: str
    relation: str


class ConflictOfInterestEnded(LedgerEvent):
    institution_id: str
    reason: str


class SupervisionLogOpened(LedgerCreated):
    """The order in which one institution was supervised, and by whom (rotation index)."""

    institution_id: str
    jurisdiction: str


class SupervisionLogged(LedgerEvent):
    assignment_id: str
    starts_on: date
    supervisors: list[str]


class SupervisionUnlogged(LedgerEvent):
    assignment_id: str


class AssignmentMade(LedgerCreated):
    """Supervisors sent (委派) to a daily or special supervision of one institution."""

    number: int  # 1 for the institution's first assignment
    institution_id: str
    institution_name: str
    jurisdiction: str
    district: str
    kind: str  # daily | special
    supervisors: list[str]
    starts_on: date
    sessions: list[SessionRoster]
    matters: list[str]
    campaign_id: str | None
    rulebooks: list[str]


class AssignmentWithdrawn(LedgerEvent):
    reason: str


class VisitFiled(LedgerEvent):
    """A visit record was filed under this assignment (``occurred_on``: the visit date)."""

    visit_id: str


class SupervisionVisitRecorded(LedgerCreated):
    """The record of one supervision visit (督导情况记录表)."""

    assignment_id: str
    institution_id: str
    jurisdiction: str
    district: str
    kind: str  # daily | special
    mode: str  # on_site | data_comparison | remote_video
    supervisors: list[str]
    sessions: list[SessionRoster]
    checked: list[str]
    findings: list[VisitFinding]
    finding_ids: list[str]  # each finding as recorded in the institution's file, in order
    summary: str


class CampaignOpened(LedgerCreated):
    """A random spot-check campaign and its scope, announced before the draw."""

    reference: str
    title: str
    jurisdiction: str
    district: str | None
    kind: str  # daily | special
    matters: list[str]
    institution_kinds: list[str]  # empty: every kind
    occupations: list[str]  # empty: every occupation
    supervisor_district: str | None  # None: every external supervisor of the jurisdiction
    target_count: int
    group_size: int
    max_targets_per_supervisor: int
    planned_on: date
    rulebooks: list[str]


class CampaignDrawn(LedgerEvent):
    """The draw: its seed, the pools it drew from, what was barred, and what it picked."""

    seed: str
    seed_source: str  # generated | supplied
    algorithm: str
    institution_pool: list[str]
    institution_exclusions: list[dict[str, str]]
    supervisor_pool: list[str]
    supervisor_exclusions: list[dict[str, Any]]
    barred_pairs: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    passed_over: list[str]


class CampaignPublished(LedgerEvent):
    """The draw result made public (一公开); ``occurred_on`` is the publication date."""
