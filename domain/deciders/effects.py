"""Deciders of a decision's service and what follows it: voided results, the rectification
order (which suspends evaluation until accepted), revocation with its ban, the interview,
and the rectification's reports, acceptance and overdue mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendar import add_years
from domain.deciders.cases import case_of, decision_of
from domain.deciders.common import NewEvent, new
from domain.errors import Conflict, InvalidInput
from domain.events import (
    Attachment,
    AttachmentsSubmitted,
    DecisionServed,
    FilingRevoked,
    InterviewHeld,
    RectificationAccepted,
    RectificationOrdered,
    RectificationOverdue,
    RectificationReportSubmitted,
    ResultsVoided,
)
from domain.state import DecisionState, InstitutionState, Rectification

DEFAULT_RECTIFICATION_DAYS = 30


@dataclass(frozen=True)
class Serve:
    on: date
    case_id: str
    public_announcement: bool
    abnormal_activity_list: bool
    void_batch_ids: list[str]


def serve(state: InstitutionState, command: Serve) -> list[NewEvent]:
    """Service of the decision, then its effects (voiding, suspension, revocation)."""
    case = case_of(state, command.case_id)
    if case.step != "decided":
        raise Conflict(f"case {command.case_id} has no decision to serve (step: {case.step})")
    decision_id = case.decision_id
    assert decision_id is not None
    decision = state.decisions[decision_id]
    if command.on < decision.decided_on:
        raise InvalidInput("service cannot precede the decision", field="occurred_on")
    served = new(DecisionServed, command.on, case_id=command.case_id, decision_id=decision_id)
    return [
        served,
        *effects(
            command.on,
            decision_id,
            decision,
            level=decision.level,
            actions=decision.actions,
            public_announcement=command.public_announcement,
            abnormal_activity_list=command.abnormal_activity_list,
            void_batch_ids=command.void_batch_ids,
        ),
    ]


def effects(
    on: date,
    decision_id: str,
    decision: DecisionState,
    *,
    level: int,
    actions: tuple[str, ...] | list[str],
    public_announcement: bool,
    abnormal_activity_list: bool,
    void_batch_ids: list[str],
) -> list[NewEvent]:
    """What a decision at ``level`` with ``actions`` does once served (or varied)."""
    decided = [
        new(ResultsVoided, on, decision_id=decision_id, batch_id=batch_id, certificates=[])
        for batch_id in (void_batch_ids if "void_results" in actions else [])
    ]
    if level == 2 or "rectification" in actions:
        days = decision.rectification_days or DEFAULT_RECTIFICATION_DAYS
        decided.append(
            new(
                RectificationOrdered,
                on,
                decision_id=decision_id,
                deadline=on + timedelta(days=days),
                suspended_from=on,
                public_announcement=public_announcement,
                abnormal_activity_list=abnormal_activity_list,
            )
        )
    if level == 3 or "revocation" in actions:
        indefinite = bool(decision.ban_indefinite)
        years = decision.ban_years
        decided.append(
            new(
                FilingRevoked,
                on,
                decision_id=decision_id,
                ban_until=None if indefinite or not years else add_years(on, int(years)),
                ban_indefinite=indefinite,
            )
        )
    return decided


@dataclass(frozen=True)
class HoldInterview:
    on: date
    decision_id: str
    attendees: list[str]
    pledge: str


def hold_interview(state: InstitutionState, command: HoldInterview) -> list[NewEvent]:
    decision = decision_of(state, command.decision_id)
    if "interview" not in decision.actions or decision.served_on is None:
        raise Conflict(
            f"decision {command.decision_id} does not call for an interview (or is unserved)"
        )
    if decision.interview_held:
        raise Conflict("the interview was already held")
    if decision.rescinded:
        raise Conflict(f"decision {command.decision_id} was annulled")
    if not command.attendees:
        raise InvalidInput("name who attended", field="attendees")
    return [
        new(
            InterviewHeld,
            command.on,
            decision_id=command.decision_id,
            attendees=command.attendees,
            pledge=command.pledge,
        )
    ]


# --- rectification ----------------------------------------------------------------------


def open_rectification(state: InstitutionState, decision_id: str) -> Rectification:
    """The decision's rectification, while reports and acceptance can still be recorded."""
    decision = decision_of(state, decision_id)
    rect = decision.rectification
    if rect is None:
        raise Conflict(f"decision {decision_id} ordered no rectification")
    if rect.state == "accepted":
        raise Conflict(f"the rectification of {decision_id} was already accepted")
    if decision.rescinded:
        raise Conflict(f"decision {decision_id} was annulled")
    return rect


@dataclass(frozen=True)
class SubmitRectificationReport:
    on: date
    decision_id: str
    report: str
    #: Files sent with the report, already in the attachment store.
    attachments: tuple[Attachment, ...] = ()


def submit_rectification_report(
    state: InstitutionState, command: SubmitRectificationReport
) -> list[NewEvent]:
    """The report; its files, if any, are recorded right after it."""
    open_rectification(state, command.decision_id)
    if not command.report.strip():
        raise InvalidInput("the report states what was done", field="report")
    check_attachments(command.attachments)
    report = new(
        RectificationReportSubmitted,
        command.on,
        decision_id=command.decision_id,
        report=command.report,
    )
    if not command.attachments:
        return [report]
    files = [dict(a) for a in command.attachments]
    return [
        report,
        new(AttachmentsSubmitted, command.on, decision_id=command.decision_id, attachments=files),
    ]


SHA256 = re.compile(r"[0-9a-f]{64}")


def check_attachments(attachments: tuple[Attachment, ...]) -> None:
    """Each file names its SHA-256 (hex), a name, a size and a media type; none twice."""
    seen: set[str] = set()
    for a in attachments:
        if not SHA256.fullmatch(a["sha256"]):
            raise InvalidInput("an attachment's sha256 is 64 hex digits", field="attachments")
        if not a["name"].strip() or a["size"] <= 0 or not a["media_type"]:
            raise InvalidInput(
                f"attachment {a['name']!r} needs a name, a size and a media type",
                field="attachments",
            )
        if a["sha256"] in seen:
            raise InvalidInput(f"{a['name']} is attached twice", field="attachments")
        seen.add(a["sha256"])


@dataclass(frozen=True)
class AcceptRectification:
    on: date
    decision_id: str
    remarks: str


def accept_rectification(state: InstitutionState, command: AcceptRectification) -> list[NewEvent]:
    rect = open_rectification(state, command.decision_id)
    if rect.reports == 0:
        raise Conflict("no rectification report has been submitted")
    return [
        new(
            RectificationAccepted,
            command.on,
            decision_id=command.decision_id,
            remarks=command.remarks,
        )
    ]


def overdue_rectifications(state: InstitutionState, today: date) -> list[tuple[str, date]]:
    """(decision id, deadline) of rectifications past their deadline and not yet marked."""
    due: list[tuple[str, date]] = []
    for decision_id, decision in sorted(state.decisions.items()):
        rect = decision.rectification
        if (
            rect is not None
            and not decision.rescinded
            and rect.state in ("ordered", "reported")
            and today > rect.deadline
        ):
            due.append((decision_id, rect.deadline))
    return due


@dataclass(frozen=True)
class MarkRectificationOverdue:
    decision_id: str
    deadline: date


def mark_rectification_overdue(
    state: InstitutionState, command: MarkRectificationOverdue
) -> list[NewEvent]:
    """The deadline passed: recorded on the day after it (the watcher finds these)."""
    return [
        new(
            RectificationOverdue,
            command.deadline + timedelta(days=1),
            decision_id=command.decision_id,
            deadline=command.deadline,
        )
    ]
