"""Deciders of special supervision's opinion letter and the rectification report it
requires by a due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.deciders.common import NewEvent, new
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import (
    SupervisionOpinionIssued,
    SupervisionReportOverdue,
    SupervisionReportSubmitted,
)
from domain.state import InstitutionState


@dataclass(frozen=True)
class IssueOpinion:
    on: date
    visit_id: str
    opinions: list[str]
    report_due: date
    articles: list[str]


def issue_opinion(state: InstitutionState, command: IssueOpinion) -> list[NewEvent]:
    c = command
    if c.visit_id in state.opinions:
        raise Conflict(f"visit {c.visit_id} already has its opinion letter", existing=c.visit_id)
    if not c.opinions or any(not o.strip() for o in c.opinions):
        raise InvalidInput("an opinion letter states its opinions", field="opinions")
    if c.report_due <= c.on:
        raise InvalidInput("the report is due after the letter", field="report_due")
    return [
        new(
            SupervisionOpinionIssued,
            c.on,
            visit_id=c.visit_id,
            opinions=c.opinions,
            report_due=c.report_due,
            articles=c.articles,
        )
    ]


@dataclass(frozen=True)
class SubmitOpinionReport:
    on: date
    visit_id: str
    report: str


def submit_opinion_report(state: InstitutionState, command: SubmitOpinionReport) -> list[NewEvent]:
    opinion = state.opinions.get(command.visit_id)
    if opinion is None:
        raise NotFound(f"no opinion letter for visit {command.visit_id}", field="visit_id")
    if opinion.state == "reported":
        raise Conflict("the rectification report was already submitted")
    if not command.report.strip():
        raise InvalidInput("the report states what was done", field="report")
    return [
        new(
            SupervisionReportSubmitted,
            command.on,
            visit_id=command.visit_id,
            report=command.report,
        )
    ]


def overdue_opinion_reports(state: InstitutionState, today: date) -> list[tuple[str, date]]:
    """(visit id, due date) of reports past due and not yet marked."""
    return [
        (vid, o.report_due)
        for vid, o in sorted(state.opinions.items())
        if o.state == "awaiting_report" and today > o.report_due
    ]


@dataclass(frozen=True)
class MarkOpinionReportOverdue:
    visit_id: str
    due: date


def mark_opinion_report_overdue(
    state: InstitutionState, command: MarkOpinionReportOverdue
) -> list[NewEvent]:
    return [
        new(
            SupervisionReportOverdue,
            command.due + timedelta(days=1),
            visit_id=command.visit_id,
            report_due=command.due,
        )
    ]
