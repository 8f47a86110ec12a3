"""The days on which the deadline watcher next has something to record.

For each open deadline of an institution or a supervisor, the first business day on which
the watcher's commands (``advance_filing``, ``advance_casework``, ``advance_supervisor``)
would record it, read from the same state and rules those commands decide from:

- ``expiry``: the day after the last valid day of an active filing;
- ``lapse``: the lapse date of an active or expired filing no renewal was requested for;
- ``rectification``: the day after the deadline of a rectification ordered or reported;
- ``opinion_report``: the day after the report an opinion letter requires is due;
- ``inactivity``: the day an inactivity rule's months run out since the last batch or
  approval, on a day that rule's rulebook is in force, unless it was flagged already;
- ``card`` and ``term``: the day after a supervisor's card expires or a term ends.

A deadline met or recorded changes the state with an event, and the day is computed again
from it; a day is never later than the first day the watcher would act, so a watcher that
reads only the records with a day on or before today records what a pass over every
record would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

from domain.calendar import add_months
from domain.deciders.filing import renewal_window
from domain.events import (
    EvaluationReported,
    FilingApproved,
    FindingRecorded,
    LedgerEvent,
    RenewalApproved,
    SupervisorAppointed,
    SupervisorCardExpired,
    SupervisorCardRenewed,
    SupervisorCertified,
    SupervisorDecertified,
    SupervisorTermEnded,
)
from domain.evolve import evolve
from domain.history import EventRef, History, ref_of
from domain.rulebook import Catalogue, InactivityParams, Rulebook
from domain.state import InstitutionState
from domain.supervisor import Supervisor

DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class DueDate:
    """One deadline the watcher records on ``on`` at the earliest."""

    on: date
    kind: str
    #: What it concerns: a decision, a visit, an inactivity reference, a term; "" for the
    #: filing's dates and the card.
    ref: str


def institution_due_dates(
    state: InstitutionState,
    history: History,
    catalogue: Catalogue,
    filing_rulebook: Rulebook | None,
) -> list[DueDate]:
    """The institution's open deadlines; ``filing_rulebook`` is the rulebook whose filing
    rules apply on the last valid day (None if none does: the lapse is then looked at from
    the day after it)."""
    flagged = {f.reference for f in history.findings}
    return _due_dates(state, history.last_activity(), flagged, catalogue, filing_rulebook)


@dataclass(frozen=True)
class DueFold:
    """What an institution's due dates read of its events, folded from them: its state
    folded from every event but the batch reports, its last activity and the references
    of its findings.

    Of a history, due dates read only its last activity (the latest batch report or
    approval, by business date and version) and the references of its findings
    (:func:`institution_due_dates`); this fold keeps those two and not the history:
    approvals are only ever added to a history, so the latest of them and of the batches
    is the latest of the latest one and the new ones, and a finding's reference is
    its ``FindingRecorded``'s (kept by finding id, as the history keys its findings).
    A batch report moves a due date only through the last activity: the state's batches,
    its count of evaluations and its last evaluation day are read by no due date, and no
    other event's fold needs them (a batch flagged or voided that the state does not hold
    leaves it as it is). So of a batch report this fold reads only
    ``originator_version`` and ``occurred_on``, and its :meth:`due_dates` are
    :func:`institution_due_dates` of the whole institution and history.
    """

    #: The state folded from every event but the batch reports.
    state: InstitutionState = field(default_factory=InstitutionState)
    #: The latest batch report or approval, by business date and version.
    last: EventRef | None = None
    #: Each finding's reference, by finding id.
    references: Mapping[str, str] = field(default_factory=dict)
    #: The version of the last event folded (a batch report's included).
    version: int = 0

    def extended(self, events: Iterable[LedgerEvent]) -> DueFold:
        """This fold with ``events``, the institution's next ones in version order."""
        state, version, references = self.state, self.version, self.references
        last = self.last
        # As ``History.last_activity`` orders them (versions differ: no two keys equal).
        key = None if last is None else (last.occurred_on, last.version)
        later: LedgerEvent | None = None
        added: dict[str, str] | None = None  # the references copied, once a finding comes
        for e in events:
            version = e.originator_version
            if isinstance(e, EvaluationReported):
                if key is None or (e.occurred_on, version) > key:
                    key, later = (e.occurred_on, version), e
                continue
            state = evolve(state, e)
            if isinstance(e, _APPROVALS):
                if key is None or (e.occurred_on, version) > key:
                    key, later = (e.occurred_on, version), e
            elif isinstance(e, FindingRecorded):
                if added is None:
                    added = dict(references)
                added[e.finding_id] = e.reference
        if later is not None:
            last = ref_of(later)
        return DueFold(state, last, references if added is None else added, version)

    def due_dates(self, catalogue: Catalogue, filing_rulebook: Rulebook | None) -> list[DueDate]:
        """:func:`institution_due_dates` of the institution folded."""
        flagged = set(self.references.values())
        return _due_dates(self.state, self.last, flagged, catalogue, filing_rulebook)


#: The events a history counts as approvals (``History.approvals``).
_APPROVALS = (FilingApproved, RenewalApproved)


def _due_dates(
    state: InstitutionState,
    last: EventRef | None,
    flagged: set[str],
    catalogue: Catalogue,
    filing_rulebook: Rulebook | None,
) -> list[DueDate]:
    """What :func:`institution_due_dates` reads of a history: its last activity and the
    references of its findings."""
    if state.valid_until is None:
        return []  # never approved: the watcher passes it by
    found: list[DueDate] = []
    if state.status in ("active", "expired"):
        if filing_rulebook is not None:
            _, last_day, lapses = renewal_window(state, filing_rulebook)
        else:
            last_day = state.valid_until
            lapses = last_day + DAY
        if state.status == "active":
            found.append(DueDate(last_day + DAY, "expiry", ""))
        if state.renewal_requested_on is None:
            found.append(DueDate(lapses, "lapse", ""))
    for decision_id, decision in sorted(state.decisions.items()):
        rect = decision.rectification
        if rect is not None and not decision.rescinded and rect.state in ("ordered", "reported"):
            found.append(DueDate(rect.deadline + DAY, "rectification", decision_id))
    for visit_id, opinion in sorted(state.opinions.items()):
        if opinion.state == "awaiting_report":
            found.append(DueDate(opinion.report_due + DAY, "opinion_report", visit_id))
    if state.holds_scope():
        found += _inactivity(last, flagged, catalogue, state.jurisdiction)
    return sorted(found)


def _inactivity(
    last: EventRef | None, flagged: set[str], catalogue: Catalogue, jurisdiction: str
) -> list[DueDate]:
    """As :func:`domain.detection.inactivity_flags` counts, for each rulebook of the
    jurisdiction: the first day on or after the months run out that it is in force."""
    if last is None:
        return []
    books = catalogue.for_jurisdiction(jurisdiction)
    changes = sorted(
        {r.effective_from for r in books} | {r.effective_until for r in books if r.effective_until}
    )
    rules_from = catalogue.rules_from(jurisdiction)
    found: dict[str, date] = {}
    for rulebook in books:
        first = rules_from or rulebook.effective_from
        since = last.occurred_on
        if since < first and rulebook.earlier_conduct.inactivity_from == "effective_from":
            since = first
        for spec in rulebook.derived_rules:
            if spec.kind != "inactivity":
                continue
            months = cast(InactivityParams, spec.typed_params()).months
            reference = f"inactive-since-{since}-{months}m"
            if reference in flagged:
                continue
            due = add_months(since, months)
            day = next(
                (
                    d
                    for d in (due, *(c for c in changes if c > due))
                    if catalogue.in_force(jurisdiction, d) is rulebook
                ),
                None,
            )
            if day is not None and (reference not in found or day < found[reference]):
                found[reference] = day
    return [DueDate(day, "inactivity", reference) for reference, day in found.items()]


#: The supervisor events that can move a supervisor's days (card, terms, decertification).
SUPERVISOR_DATE_EVENTS: tuple[type[LedgerEvent], ...] = (
    SupervisorCertified,
    SupervisorCardRenewed,
    SupervisorAppointed,
    SupervisorCardExpired,
    SupervisorTermEnded,
    SupervisorDecertified,
)


def supervisor_due_dates(sup: Supervisor) -> list[DueDate]:
    """The supervisor's card expiry and the ends of its terms not yet recorded."""
    if sup.decertified is not None:
        return []
    found: list[DueDate] = []
    until = sup.card_valid_until
    if until is not None and sup.card_expiry_recorded != until:
        found.append(DueDate(until + DAY, "card", ""))
    for term in sup.terms:
        ends_on: date | None = term["ends_on"]
        if ends_on is not None and term["term"] not in sup.terms_ended:
            found.append(DueDate(ends_on + DAY, "term", str(term["term"])))
    return sorted(found)
