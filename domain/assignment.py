"""Assignments (委派), the rotation index, and visit records (督导情况记录).

- :class:`SupervisionLog`: one per institution, the order in which it was supervised and by
  whom. It is saved in the same transaction as every assignment to the institution, so
  rotation (zhengzhou-2014/19) is checked against a history no concurrent command can change.
- :class:`Assignment`: supervisors sent to a daily or special supervision of one institution.
- :class:`SupervisionVisit`: the record of one visit under an assignment, with the sessions
  observed, what was checked and the findings.

Rotation reads zhengzhou-2014/19 (在同一个被督导单位连续从事督导工作不能超过三次) as a run in the
*institution's* sequence of supervisions: a supervisor may take part in at most three
consecutive supervisions of the same institution; the run ends when the institution is
supervised without them. Counting in the supervisor's own sequence instead would let a
supervisor alternate between two institutions for ever, which defeats the rotation.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import LedgerAggregate, Stamp
from domain.errors import Conflict, InvalidInput, RuleRefusal
from domain.events import (
    AssignmentMade,
    AssignmentWithdrawn,
    SessionRoster,
    SupervisionLogged,
    SupervisionLogOpened,
    SupervisionUnlogged,
    SupervisionVisitRecorded,
    VisitFiled,
    VisitFinding,
)
from domain.rulebook import Rulebook
from domain.supervisor import Bar, SupervisionPolicy, Supervisor

SupervisionKind = Literal["daily", "special"]
SUPERVISION_KINDS: tuple[str, ...] = get_args(SupervisionKind)
#: Daily supervision's forms (hunan-2023/16, 17.2): on site, data comparison, remote video.
VisitMode = Literal["on_site", "data_comparison", "remote_video"]
VISIT_MODES: tuple[str, ...] = get_args(VisitMode)
SEVERITIES = ("minor", "serious")

LOG_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:supervision-log")
ASSIGNMENT_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:assignment")
VISIT_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:visit")


def supervision_log_id(institution: UUID) -> UUID:
    return uuid5(LOG_NAMESPACE, str(institution))


def assignment_id(institution: UUID, number: int) -> UUID:
    """The institution's ``number``-th assignment: two racing commands collide on it."""
    return uuid5(ASSIGNMENT_NAMESPACE, f"{institution}:{number}")


def visit_id(assignment: UUID, number: int) -> UUID:
    return uuid5(VISIT_NAMESPACE, f"{assignment}:{number}")


# --- rotation ------------------------------------------------------------------------------


def consecutive_run(
    history: Sequence[tuple[date, Collection[str]]], supervisor: str, on: date
) -> int:
    """The run of consecutive supervisions including ``supervisor`` that a new supervision
    on ``on`` would make. ``history`` is the institution's supervisions in the order they
    were logged; they are placed by date, the new one after those of the same day."""
    ordered = sorted(history, key=lambda entry: entry[0])  # stable: log order within a day
    position = sum(1 for day, _ in ordered if day <= on)
    run = 1
    for _day, members in reversed(ordered[:position]):
        if supervisor not in members:
            break
        run += 1
    for _day, members in ordered[position:]:
        if supervisor not in members:
            break
        run += 1
    return run


def rotation_headroom(run: int, policy: SupervisionPolicy) -> int | None:
    """How many more supervisions in a row of the same institution a supervisor may take
    after a run of ``run`` of them (``None`` where the rules set no limit)."""
    limit = policy.max_consecutive_assignments
    if limit is None:
        return None
    return max(0, limit - run)


def rotation_bar(
    history: Sequence[tuple[date, Collection[str]]],
    supervisor: Supervisor,
    on: date,
    policy: SupervisionPolicy,
) -> Bar | None:
    run = consecutive_run(history, str(supervisor.id), on)
    # The new supervision is the run's last: refused when the run before it left no room.
    if rotation_headroom(run - 1, policy) != 0:
        return None
    limit = policy.max_consecutive_assignments
    return Bar(
        "rotation",
        f"{supervisor.name} ({supervisor.card_number}) would supervise the institution"
        f" {run} times in a row; at most {limit}",
        (policy.rotation_article,) if policy.rotation_article else (),
    )


class SupervisionLog(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.institution_id: str = ""
        self.jurisdiction: str = ""
        self.entries: list[dict[str, Any]] = []  # {"assignment_id", "starts_on", "supervisors",
        #                                           "active"}

    @classmethod
    def open(cls, institution: UUID, jurisdiction: str, stamp: Stamp) -> SupervisionLog:
        return cls._start(
            SupervisionLogOpened,
            id=supervision_log_id(institution),
            stamp=stamp,
            occurred_on=stamp.today,
            institution_id=str(institution),
            jurisdiction=jurisdiction,
        )

    def _on_SupervisionLogOpened(self, e: SupervisionLogOpened) -> None:
        self.institution_id = e.institution_id
        self.jurisdiction = e.jurisdiction
        self.entries = []

    def add(
        self, assignment: UUID, starts_on: date, supervisors: Sequence[str], stamp: Stamp
    ) -> None:
        self._record(
            SupervisionLogged,
            stamp=stamp,
            occurred_on=stamp.today,
            assignment_id=str(assignment),
            starts_on=starts_on,
            supervisors=list(supervisors),
        )

    def _on_SupervisionLogged(self, e: SupervisionLogged) -> None:
        self.entries.append(
            {
                "assignment_id": e.assignment_id,
                "starts_on": e.starts_on,
                "supervisors": list(e.supervisors),
                "active": True,
            }
        )

    def remove(self, assignment: UUID, stamp: Stamp) -> None:
        if any(e["assignment_id"] == str(assignment) and e["active"] for e in self.entries):
            self._record(
                SupervisionUnlogged,
                stamp=stamp,
                occurred_on=stamp.today,
                assignment_id=str(assignment),
            )

    def _on_SupervisionUnlogged(self, e: SupervisionUnlogged) -> None:
        for entry in self.entries:
            if entry["assignment_id"] == e.assignment_id:
                entry["active"] = False

    @property
    def next_number(self) -> int:
        return len(self.entries) + 1

    def history(self) -> list[tuple[date, frozenset[str]]]:
        """The supervisions that count for rotation (withdrawn ones do not)."""
        return [(e["starts_on"], frozenset(e["supervisors"])) for e in self.entries if e["active"]]


def assignment_bars(
    supervisors: Sequence[Supervisor],
    institution: UUID,
    jurisdiction: str,
    on: date,
    policy: SupervisionPolicy,
    history: Sequence[tuple[date, Collection[str]]],
    sessions: Sequence[SessionRoster] = (),
) -> list[Bar]:
    """Every reason why these supervisors may not supervise ``institution`` on ``on``."""
    found: list[Bar] = []
    for supervisor in supervisors:
        if supervisor.jurisdiction != jurisdiction:
            found.append(
                Bar(
                    "jurisdiction",
                    f"{supervisor.name} ({supervisor.card_number}) is certified in"
                    f" {supervisor.jurisdiction}, not {jurisdiction}",
                )
            )
            continue
        found.extend(supervisor.bars_for(institution, on, policy, sessions))
        bar = rotation_bar(history, supervisor, on, policy)
        if bar is not None:
            found.append(bar)
    return found


def group_size_problem(kind: str, size: int, policy: SupervisionPolicy) -> RuleRefusal | None:
    minimum = policy.min_special_group_size
    if kind == "special" and minimum is not None and size < minimum:
        return RuleRefusal(
            f"a special supervision group has at least {minimum} supervisors; {size} named",
            field="supervisors",
            articles=[policy.special_group_article] if policy.special_group_article else [],
        )
    return None


# --- the assignment ------------------------------------------------------------------------


def validate_sessions(sessions: Sequence[SessionRoster]) -> list[SessionRoster]:
    seen: set[str] = set()
    clean: list[SessionRoster] = []
    for i, session in enumerate(sessions):
        sid = session["session_id"].strip()
        if not sid:
            raise InvalidInput("a session needs its id", field=f"sessions.{i}.session_id")
        if sid in seen:
            raise InvalidInput(f"session {sid} appears twice", field=f"sessions.{i}.session_id")
        seen.add(sid)
        clean.append(
            {
                "session_id": sid,
                "examiners": sorted({c.strip().upper() for c in session["examiners"]}),
                "internal_supervisors": sorted(
                    {c.strip().upper() for c in session["internal_supervisors"]}
                ),
            }
        )
    return clean


class Assignment(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.number: int = 0
        self.institution_id: str = ""
        self.institution_name: str = ""
        self.jurisdiction: str = ""
        self.district: str = ""
        self.kind: str = ""
        self.supervisors: list[str] = []
        self.made_on: date = date.min
        self.starts_on: date = date.min
        self.sessions: list[SessionRoster] = []
        self.matters: list[str] = []
        self.campaign_id: str | None = None
        self.withdrawn: dict[str, Any] | None = None
        self.visits: list[dict[str, Any]] = []  # {"visit_id", "visited_on"}

    @classmethod
    def make(
        cls,
        *,
        number: int,
        institution: UUID,
        institution_name: str,
        jurisdiction: str,
        district: str,
        kind: str,
        supervisors: Sequence[str],
        starts_on: date,
        sessions: Sequence[SessionRoster],
        matters: Sequence[str],
        campaign: UUID | None,
        on: date,
        stamp: Stamp,
        policy: SupervisionPolicy,
    ) -> Assignment:
        if kind not in SUPERVISION_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(SUPERVISION_KINDS)}", field="kind")
        if not supervisors:
            raise InvalidInput("name at least one supervisor", field="supervisors")
        if len(set(supervisors)) != len(supervisors):
            raise InvalidInput("a supervisor is named twice", field="supervisors")
        if starts_on < on:
            raise InvalidInput(
                "the supervision cannot start before it is assigned", field="starts_on"
            )
        problem = group_size_problem(kind, len(supervisors), policy)
        if problem is not None:
            raise problem
        return cls._start(
            AssignmentMade,
            id=assignment_id(institution, number),
            stamp=stamp,
            occurred_on=on,
            number=number,
            institution_id=str(institution),
            institution_name=institution_name,
            jurisdiction=jurisdiction,
            district=district,
            kind=kind,
            supervisors=list(supervisors),
            starts_on=starts_on,
            sessions=validate_sessions(sessions),
            matters=[m.strip() for m in matters if m.strip()],
            campaign_id=str(campaign) if campaign else None,
            rulebooks=list(policy.rulebooks),
        )

    def _on_AssignmentMade(self, e: AssignmentMade) -> None:
        self.number = e.number
        self.institution_id = e.institution_id
        self.institution_name = e.institution_name
        self.jurisdiction = e.jurisdiction
        self.district = e.district
        self.kind = e.kind
        self.supervisors = list(e.supervisors)
        self.made_on = e.occurred_on
        self.starts_on = e.starts_on
        self.sessions = list(e.sessions)
        self.matters = list(e.matters)
        self.campaign_id = e.campaign_id

    def withdraw(self, reason: str, on: date, stamp: Stamp) -> None:
        if not reason.strip():
            raise InvalidInput("a reason is required", field="reason")
        if self.withdrawn is not None:
            raise Conflict(f"the assignment was withdrawn on {self.withdrawn['on']}")
        if self.visits:
            raise Conflict(
                f"{len(self.visits)} visit record(s) are filed under this assignment;"
                " it can no longer be withdrawn"
            )
        self._record(AssignmentWithdrawn, stamp=stamp, occurred_on=on, reason=reason)

    def _on_AssignmentWithdrawn(self, e: AssignmentWithdrawn) -> None:
        self.withdrawn = {"on": e.occurred_on, "reason": e.reason}

    def file_visit(self, visit: UUID, on: date, stamp: Stamp) -> None:
        if self.withdrawn is not None:
            raise Conflict(f"the assignment was withdrawn on {self.withdrawn['on']}")
        if on < self.starts_on:
            raise InvalidInput(
                f"the visit precedes the assignment's start on {self.starts_on}",
                field="occurred_on",
            )
        self._record(VisitFiled, stamp=stamp, occurred_on=on, visit_id=str(visit))

    def _on_VisitFiled(self, e: VisitFiled) -> None:
        self.visits.append({"visit_id": e.visit_id, "visited_on": e.occurred_on})

    @property
    def next_visit_id(self) -> UUID:
        return visit_id(self.id, len(self.visits) + 1)

    def holds(self, supervisor: UUID) -> bool:
        return str(supervisor) in self.supervisors


# --- the visit record ----------------------------------------------------------------------


def finding_problem(finding: VisitFinding, rulebook: Rulebook, visited_on: date) -> str | None:
    """Why a visit's finding cannot be recorded under ``rulebook`` (None: it can)."""
    rule_id = finding["rule_id"]
    if not rule_id.startswith(f"{rulebook.id}/") or rulebook.item(rule_id) is None:
        return f"{rule_id} is not an item of {rulebook.id} v{rulebook.version}"
    if rulebook.article_of(rule_id).level is None:
        return f"{rule_id} is not a sanction item of {rulebook.id}"
    if finding["severity"] not in SEVERITIES:
        return f"severity must be one of {', '.join(SEVERITIES)}"
    if finding["occurred_on"] > visited_on:
        return "the conduct cannot be later than the visit"
    if not finding["facts"].strip():
        return "facts must not be empty"
    return None


class SupervisionVisit(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.assignment_id: str = ""
        self.institution_id: str = ""
        self.jurisdiction: str = ""
        self.district: str = ""
        self.kind: str = ""
        self.mode: str = ""
        self.visited_on: date = date.min
        self.supervisors: list[str] = []
        self.sessions: list[SessionRoster] = []
        self.checked: list[str] = []
        self.findings: list[VisitFinding] = []
        self.finding_ids: list[str] = []
        self.summary: str = ""

    @classmethod
    def record(
        cls,
        *,
        assignment: Assignment,
        on: date,
        mode: str,
        supervisors: Sequence[str],
        sessions: Sequence[SessionRoster],
        checked: Sequence[str],
        findings: Sequence[VisitFinding],
        finding_ids: Sequence[str],
        summary: str,
        stamp: Stamp,
    ) -> SupervisionVisit:
        """A visit record; the findings must already have been checked against the rulebook."""
        if mode not in VISIT_MODES:
            raise InvalidInput(f"mode must be one of {', '.join(VISIT_MODES)}", field="mode")
        if not supervisors or len(set(supervisors)) != len(supervisors):
            raise InvalidInput("name the visiting supervisors once each", field="supervisors")
        strangers = [s for s in supervisors if s not in assignment.supervisors]
        if strangers:
            raise InvalidInput(
                f"{', '.join(strangers)} not assigned to this supervision", field="supervisors"
            )
        items = [c.strip() for c in checked if c.strip()]
        if not items:
            raise InvalidInput("state what was checked", field="checked")
        if finding_ids and len(finding_ids) != len(findings):
            raise ValueError("one institution finding id per visit finding, in order")
        return cls._start(
            SupervisionVisitRecorded,
            id=assignment.next_visit_id,
            stamp=stamp,
            occurred_on=on,
            assignment_id=str(assignment.id),
            institution_id=assignment.institution_id,
            jurisdiction=assignment.jurisdiction,
            district=assignment.district,
            kind=assignment.kind,
            mode=mode,
            supervisors=list(supervisors),
            sessions=validate_sessions(sessions),
            checked=items,
            findings=[
                {
                    "rule_id": f["rule_id"],
                    "severity": f["severity"],
                    "occurred_on": f["occurred_on"],
                    "facts": f["facts"].strip(),
                }
                for f in findings
            ],
            finding_ids=list(finding_ids),
            summary=summary.strip(),
        )

    def _on_SupervisionVisitRecorded(self, e: SupervisionVisitRecorded) -> None:
        self.assignment_id = e.assignment_id
        self.institution_id = e.institution_id
        self.jurisdiction = e.jurisdiction
        self.district = e.district
        self.kind = e.kind
        self.mode = e.mode
        self.visited_on = e.occurred_on
        self.supervisors = list(e.supervisors)
        self.sessions = list(e.sessions)
        self.checked = list(e.checked)
        self.findings = list(e.findings)
        self.finding_ids = list(e.finding_ids)
        self.summary = e.summary
