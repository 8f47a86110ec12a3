"""The regulator's worklist: findings, cases, rectifications and appeals with their state.

Copies facts only, following the same transitions as the Institution aggregate:

- findings (``FindingRecorded``): ``open`` until put in a case (``in_case``, by
  ``CaseOpened``) or dismissed (``dismissed``); the level, article and actions the rules
  required come from the assessment stored with the finding;
- cases: step ``opened`` → ``noticed`` (with the defence deadline, the defences submitted
  and whether the defence was waived) → ``decided`` (with the decision, the requirement
  it was measured against and whether it fell below it) → ``served``; ``decision_status``
  follows service and appeals (``annulled``, ``varied`` with the new level and actions);
  ``interview_pending`` says a served decision calls for an interview (in its actions in
  force) that is not yet held and that no appeal annulled;
- rectifications, one per decision (the latest order): ``ordered`` → ``reported`` (first
  report) → ``accepted``; ``overdue`` when the deadline watcher records it; ``lifted`` when
  an appeal annuls or varies the decision, accepted or not (a new order after a variation
  starts again);
- appeals: ``pending`` until decided (``decided``, with the outcome);
- flags (``BatchFlagged``): a check a batch failed that the rulebook names no item for, so
  no finding could be raised; ``open`` for the regulator to judge.

``due_on`` is the deadline an item waits on: the defence deadline of a noticed case, the
deadline of a rectification not yet accepted or lifted. The "due" and "overdue" flags are
computed from it when the worklist is read, against the date the caller passes.

The institution's name, jurisdiction and district are kept in the model's own table
(from ``FilingSubmitted``, ``FilingResubmitted``, ``DetailsChanged``) and joined when
read, so work follows an institution that moves to another district.

The officer in charge of each item (``OfficerAssigned``, ``OfficerReassigned``) is kept
in ``worklist_officers`` by item kind and id (``file`` with an empty id for the whole
file) and joined when read: an item without an officer of its own is the file officer's
(a rectification first its case's).

Tables: ``worklist_institutions``, ``worklist_findings``, ``worklist_cases``,
``worklist_rectifications``, ``worklist_appeals``, ``worklist_officers``,
``worklist_flags``; and ``worklist_finding_counts``, the open findings per (jurisdiction,
district) the institutions are in now, kept in the batch's transaction as its rows change
(the dashboard's count sums a few rows instead of counting every open finding).

Reads: :mod:`projections.worklist_queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from domain.events import (
    AppealDecided,
    AppealFiled,
    BatchFlagged,
    CaseDecided,
    CaseOpened,
    DecisionServed,
    DefenceSubmitted,
    DefenceWaived,
    FindingDismissed,
    FindingRecorded,
    InterviewHeld,
    LedgerEvent,
    NoticeIssued,
    OfficerAssigned,
    OfficerReassigned,
    RectificationAccepted,
    RectificationOrdered,
    RectificationOverdue,
    RectificationReportSubmitted,
)
from projections.base import ReadModel
from projections.rows import (
    NAME_AND_PLACE,
    BatchTables,
    Counts,
    Key,
    add_counts,
    apply_handlers,
    filing_handlers,
    fill_counts,
    institution_rows,
    lookup_table,
    moved,
    requirement_columns,
    tally,
)
from projections.store import Column, Index, Row, Table, ViewSession

INSTITUTIONS = lookup_table(
    "worklist_institutions",
    NAME_AND_PLACE,
    indexes=(Index("worklist_institutions_by_place", ("jurisdiction", "district")),),
)

FINDINGS = institution_rows(
    "worklist_findings",
    ("finding_id",),
    Column("rule_id", nullable=False),
    Column("severity", nullable=False),
    Column("source", nullable=False),
    Column("occurred_on", "date", nullable=False),
    Column("required_level", "int"),
    Column("required_article"),
    Column("required_actions", "json", nullable=False),
    #: open | in_case | dismissed
    Column("state", nullable=False),
    Column("case_id"),
    indexes=(Index("worklist_findings_by_state", ("state", "occurred_on")),),
)

CASES = institution_rows(
    "worklist_cases",
    ("case_id",),
    Column("finding_ids", "json", nullable=False),
    #: opened | noticed | decided | served
    Column("step", nullable=False),
    Column("opened_on", "date", nullable=False),
    Column("noticed_on", "date"),
    Column("intended_level", "int"),
    Column("defence_deadline", "date"),
    Column("defences", "int", nullable=False),
    Column("defence_waived", "int", nullable=False),
    Column("decision_id"),
    Column("level", "int"),
    Column("actions", "json"),
    Column("requirement_level", "int"),
    Column("requirement_article"),
    Column("below_requirement", "int", nullable=False),
    Column("decided_on", "date"),
    Column("served_on", "date"),
    #: decided | served | annulled | varied (None before the decision)
    Column("decision_status"),
    Column("new_level", "int"),
    Column("new_actions", "json"),
    Column("interview_held_on", "date"),
    Column("interview_pending", "int", nullable=False),
    Column("due_on", "date"),
    indexes=(
        Index("worklist_cases_by_step", ("step", "due_on")),
        Index("worklist_cases_below_requirement", ("below_requirement", "decided_on")),
    ),
)

RECTIFICATIONS = institution_rows(
    "worklist_rectifications",
    ("decision_id",),
    Column("ordered_on", "date", nullable=False),
    Column("deadline", "date", nullable=False),
    #: ordered | reported | accepted | overdue | lifted
    Column("state", nullable=False),
    Column("reports", "int", nullable=False),
    Column("last_report_on", "date"),
    Column("accepted_on", "date"),
    #: The day the deadline watcher recorded it overdue.
    Column("overdue_on", "date"),
    Column("lifted_on", "date"),
    Column("due_on", "date"),
    indexes=(Index("worklist_rectifications_by_state", ("state", "due_on")),),
)

APPEALS = institution_rows(
    "worklist_appeals",
    ("appeal_id",),
    Column("decision_id", nullable=False),
    #: reconsideration | review
    Column("kind", nullable=False),
    Column("filed_on", "date", nullable=False),
    #: pending | decided
    Column("state", nullable=False),
    #: upheld | varied | annulled
    Column("outcome"),
    Column("decided_on", "date"),
    indexes=(Index("worklist_appeals_by_state", ("state", "filed_on")),),
)

OFFICERS = institution_rows(
    "worklist_officers",
    #: file | finding | case | rectification | appeal; the item's id ("" for the file)
    ("item_kind", "item_id"),
    Column("officer", nullable=False),
    Column("assigned_on", "date", nullable=False),
    indexes=(Index("worklist_officers_by_officer", ("officer",)),),
)

FLAGS = institution_rows(
    "worklist_flags",
    ("batch_id", "check_name"),
    Column("occurred_on", "date", nullable=False),
    Column("detail_zh", nullable=False),
    Column("detail_en", nullable=False),
    Column("reason_zh", nullable=False),
    Column("reason_en", nullable=False),
    #: open (nothing closes a flag yet: the regulator records a finding or leaves it)
    Column("state", nullable=False),
    indexes=(Index("worklist_flags_by_state", ("state", "occurred_on")),),
)

OPEN_RECTIFICATION_STATES = ("ordered", "reported", "overdue")


FINDING_COUNTS = Table(
    name="worklist_finding_counts",
    columns=(
        Column("jurisdiction", nullable=False),
        Column("district", nullable=False),
        Column("findings", "int", nullable=False),
    ),
    primary_key=("jurisdiction", "district"),
)


class _Batch(BatchTables):
    """The rows one batch of events may change."""

    def __init__(self, session: ViewSession, ids: set[UUID]) -> None:
        super().__init__(session, ids)
        self.institutions = self.hold(INSTITUTIONS, "id")
        self.findings = self.hold(FINDINGS, "institution_id")
        self.cases = self.hold(CASES, "institution_id")
        self.rectifications = self.hold(RECTIFICATIONS, "institution_id")
        self.appeals = self.hold(APPEALS, "institution_id")
        self.officers = self.hold(OFFICERS, "institution_id")
        self.flags = self.hold(FLAGS, "institution_id")
        #: Where the batch's open findings were counted before it (a rebuild changes the
        #: rows it holds in place: what they counted is taken now).
        self.counted = self._open_findings()

    def _open_findings(self) -> Counts:
        """The held open findings by the place their institution is in (a finding with no
        filing is in none: it cannot happen in a consistent store)."""
        places: dict[UUID, Key] = {
            row["id"]: (row["jurisdiction"], row["district"]) for row in self.institutions.where()
        }

        def place(finding: Row) -> Iterable[Key]:
            found = places.get(finding["institution_id"])
            return (found,) if found is not None and finding["state"] == "open" else ()

        return tally(self.findings.where(), place)

    def flush(self) -> None:
        add_counts(self.session, FINDING_COUNTS, moved(self.counted, self._open_findings()))
        super().flush()

    def case_of_decision(self, institution_id: UUID, decision_id: str) -> Row | None:
        return next(self.cases.where(institution_id=institution_id, decision_id=decision_id), None)


def _refresh_interview(case: Row) -> None:
    """Whether a served decision's interview (in its actions in force) is still to hold."""
    status = case["decision_status"]
    actions = case["new_actions"] if status == "varied" else case["actions"]
    case["interview_pending"] = (
        1
        if case["served_on"] is not None
        and status in ("served", "varied")
        and "interview" in (actions or ())
        and case["interview_held_on"] is None
        else 0
    )


# --- findings -----------------------------------------------------------------------------


def _finding_recorded(b: _Batch, e: FindingRecorded) -> None:
    assessment = e.assessment or {}
    level = assessment.get("level")
    b.findings.add(
        {
            "institution_id": e.originator_id,
            "finding_id": e.finding_id,
            "rule_id": e.rule_id,
            "severity": e.severity,
            "source": e.source,
            "occurred_on": e.occurred_on,
            "required_level": int(level) if level is not None else None,
            "required_article": assessment.get("article"),
            "required_actions": list(assessment.get("actions") or ()),
            "state": "open",
            "case_id": None,
        }
    )


def _finding_dismissed(b: _Batch, e: FindingDismissed) -> None:
    row = b.findings.get(e.originator_id, e.finding_id)
    if row is not None:
        row["state"] = "dismissed"


# --- cases --------------------------------------------------------------------------------


def _case_opened(b: _Batch, e: CaseOpened) -> None:
    b.cases.add(
        {
            "institution_id": e.originator_id,
            "case_id": e.case_id,
            "finding_ids": list(e.finding_ids),
            "step": "opened",
            "opened_on": e.occurred_on,
            "noticed_on": None,
            "intended_level": None,
            "defence_deadline": None,
            "defences": 0,
            "defence_waived": 0,
            "decision_id": None,
            "level": None,
            "actions": None,
            "requirement_level": None,
            "requirement_article": None,
            "below_requirement": 0,
            "decided_on": None,
            "served_on": None,
            "decision_status": None,
            "new_level": None,
            "new_actions": None,
            "interview_held_on": None,
            "interview_pending": 0,
            "due_on": None,
        }
    )
    for finding_id in e.finding_ids:
        finding = b.findings.get(e.originator_id, finding_id)
        if finding is not None:
            finding.update(state="in_case", case_id=e.case_id)


def _notice_issued(b: _Batch, e: NoticeIssued) -> None:
    case = b.cases.get(e.originator_id, e.case_id)
    if case is not None:
        case.update(
            step="noticed",
            noticed_on=e.occurred_on,
            intended_level=e.intended_level,
            defence_deadline=e.defence_deadline,
            due_on=e.defence_deadline,
        )


def _defence_submitted(b: _Batch, e: DefenceSubmitted) -> None:
    case = b.cases.get(e.originator_id, e.case_id)
    if case is not None:
        case["defences"] = int(case["defences"]) + 1


def _defence_waived(b: _Batch, e: DefenceWaived) -> None:
    case = b.cases.get(e.originator_id, e.case_id)
    if case is not None:
        case["defence_waived"] = 1


def _case_decided(b: _Batch, e: CaseDecided) -> None:
    case = b.cases.get(e.originator_id, e.case_id)
    if case is None:
        return
    case.update(
        step="decided",
        decision_id=e.decision_id,
        level=e.level,
        actions=list(e.actions),
        **requirement_columns(e),
        decided_on=e.occurred_on,
        decision_status="decided",
        due_on=None,
    )


def _decision_served(b: _Batch, e: DecisionServed) -> None:
    case = b.cases.get(e.originator_id, e.case_id)
    if case is None:
        return
    case.update(step="served", served_on=e.occurred_on)
    if case["decision_status"] == "decided":
        case["decision_status"] = "served"
    _refresh_interview(case)


def _interview_held(b: _Batch, e: InterviewHeld) -> None:
    case = b.case_of_decision(e.originator_id, e.decision_id)
    if case is not None:
        case["interview_held_on"] = e.occurred_on
        _refresh_interview(case)


# --- rectifications -----------------------------------------------------------------------


def _rectification_ordered(b: _Batch, e: RectificationOrdered) -> None:
    b.rectifications.add(
        {
            "institution_id": e.originator_id,
            "decision_id": e.decision_id,
            "ordered_on": e.occurred_on,
            "deadline": e.deadline,
            "state": "ordered",
            "reports": 0,
            "last_report_on": None,
            "accepted_on": None,
            "overdue_on": None,
            "lifted_on": None,
            "due_on": e.deadline,
        }
    )


def _rectification_reported(b: _Batch, e: RectificationReportSubmitted) -> None:
    row = b.rectifications.get(e.originator_id, e.decision_id)
    if row is None:
        return
    row.update(reports=int(row["reports"]) + 1, last_report_on=e.occurred_on)
    if row["state"] == "ordered":
        row["state"] = "reported"


def _rectification_accepted(b: _Batch, e: RectificationAccepted) -> None:
    row = b.rectifications.get(e.originator_id, e.decision_id)
    if row is not None:
        row.update(state="accepted", accepted_on=e.occurred_on, due_on=None)


def _rectification_overdue(b: _Batch, e: RectificationOverdue) -> None:
    row = b.rectifications.get(e.originator_id, e.decision_id)
    if row is not None:
        row.update(state="overdue", overdue_on=e.occurred_on)


# --- appeals ------------------------------------------------------------------------------


def _appeal_filed(b: _Batch, e: AppealFiled) -> None:
    b.appeals.add(
        {
            "institution_id": e.originator_id,
            "appeal_id": e.appeal_id,
            "decision_id": e.decision_id,
            "kind": e.kind,
            "filed_on": e.occurred_on,
            "state": "pending",
            "outcome": None,
            "decided_on": None,
        }
    )


def _appeal_decided(b: _Batch, e: AppealDecided) -> None:
    appeal = b.appeals.get(e.originator_id, e.appeal_id)
    if appeal is not None:
        appeal.update(state="decided", outcome=e.outcome, decided_on=e.occurred_on)
    if e.outcome == "upheld":
        return
    rectification = b.rectifications.get(e.originator_id, e.decision_id)
    if rectification is not None:
        rectification.update(state="lifted", lifted_on=e.occurred_on, due_on=None)
    case = b.case_of_decision(e.originator_id, e.decision_id)
    if case is None:
        return
    if e.outcome == "annulled":
        case["decision_status"] = "annulled"
    else:
        case.update(
            decision_status="varied",
            new_level=e.new_level,
            new_actions=list(e.new_actions),
            interview_held_on=None,
        )
    _refresh_interview(case)


# --- officers -----------------------------------------------------------------------------


def _officer(b: _Batch, e: OfficerAssigned | OfficerReassigned) -> None:
    officer = e.officer if isinstance(e, OfficerAssigned) else e.to_officer
    b.officers.add(
        {
            "institution_id": e.originator_id,
            "item_kind": e.item_kind,
            "item_id": e.item_id,
            "officer": officer,
            "assigned_on": e.occurred_on,
        }
    )


# --- flags --------------------------------------------------------------------------------


def _batch_flagged(b: _Batch, e: BatchFlagged) -> None:
    b.flags.add(
        {
            "institution_id": e.originator_id,
            "batch_id": e.batch_id,
            "check_name": e.check,
            "occurred_on": e.occurred_on,
            "detail_zh": e.detail_zh,
            "detail_en": e.detail_en,
            "reason_zh": e.reason_zh,
            "reason_en": e.reason_en,
            "state": "open",
        }
    )


Handler = Callable[[_Batch, Any], None]

HANDLERS: dict[type[LedgerEvent], Handler] = {
    **filing_handlers(INSTITUTIONS),
    FindingRecorded: _finding_recorded,
    FindingDismissed: _finding_dismissed,
    CaseOpened: _case_opened,
    NoticeIssued: _notice_issued,
    DefenceSubmitted: _defence_submitted,
    DefenceWaived: _defence_waived,
    CaseDecided: _case_decided,
    DecisionServed: _decision_served,
    InterviewHeld: _interview_held,
    RectificationOrdered: _rectification_ordered,
    RectificationReportSubmitted: _rectification_reported,
    RectificationAccepted: _rectification_accepted,
    RectificationOverdue: _rectification_overdue,
    AppealFiled: _appeal_filed,
    AppealDecided: _appeal_decided,
    OfficerAssigned: _officer,
    OfficerReassigned: _officer,
    BatchFlagged: _batch_flagged,
}


class Worklist(ReadModel):
    name: ClassVar[str] = "worklist"
    tables: ClassVar[tuple[Table, ...]] = (
        INSTITUTIONS,
        FINDINGS,
        CASES,
        RECTIFICATIONS,
        APPEALS,
        OFFICERS,
        FLAGS,
        FINDING_COUNTS,
    )
    handles: ClassVar[tuple[type[LedgerEvent], ...]] = tuple(HANDLERS)

    def prepare(self, session: ViewSession) -> None:
        """The counts, where there are none, from the rows (a store whose worklist was
        projected before it kept counts; a worklist with no open finding has none)."""
        d = session.dialect
        fill_counts(
            session,
            FINDING_COUNTS,
            "jurisdiction, district, findings",
            "SELECT i.jurisdiction, i.district, COUNT(*)"
            f" FROM {d.table(FINDINGS.name)} x JOIN {d.table(INSTITUTIONS.name)} i"
            " ON i.id = x.institution_id WHERE x.state = 'open'"
            " GROUP BY i.jurisdiction, i.district",
        )

    def apply(self, session: ViewSession, events: Sequence[LedgerEvent]) -> None:
        apply_handlers(HANDLERS, _Batch(session, {e.originator_id for e in events}), events)
