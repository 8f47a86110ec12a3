"""Deciders of on-site supervision's hold on an evaluation session (hunan-2023/17.3): a
supervisor pauses it over a problem; it resumes once corrected, or is stopped, which
voids the batch it was evaluating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.deciders.common import NewEvent, new, require_reason
from domain.errors import Conflict
from domain.events import EvaluationPaused, EvaluationResumed, EvaluationStopped
from domain.state import InstitutionState


def _session_state(state: InstitutionState, session_id: str) -> str | None:
    session = state.sessions.get(session_id)
    return None if session is None else session.state


@dataclass(frozen=True)
class PauseEvaluation:
    on: date
    session_id: str
    supervisor: str
    problem: str
    assignment_id: str = ""


def pause_evaluation(state: InstitutionState, command: PauseEvaluation) -> list[NewEvent]:
    current = _session_state(state, command.session_id)
    if current in ("paused", "stopped"):
        raise Conflict(f"session {command.session_id} is {current}")
    require_reason(command.problem)
    return [
        new(
            EvaluationPaused,
            command.on,
            session_id=command.session_id,
            supervisor=command.supervisor,
            problem=command.problem,
            assignment_id=command.assignment_id,
        )
    ]


@dataclass(frozen=True)
class ResumeEvaluation:
    on: date
    session_id: str
    correction: str


def resume_evaluation(state: InstitutionState, command: ResumeEvaluation) -> list[NewEvent]:
    if _session_state(state, command.session_id) != "paused":
        raise Conflict(f"session {command.session_id} is not paused")
    require_reason(command.correction)
    return [
        new(
            EvaluationResumed,
            command.on,
            session_id=command.session_id,
            correction=command.correction,
        )
    ]


@dataclass(frozen=True)
class StopEvaluation:
    on: date
    session_id: str
    reason: str
    batch_id: str


def stop_evaluation(state: InstitutionState, command: StopEvaluation) -> list[NewEvent]:
    if _session_state(state, command.session_id) != "paused":
        raise Conflict(f"session {command.session_id} must be paused before it is stopped")
    require_reason(command.reason)
    return [
        new(
            EvaluationStopped,
            command.on,
            session_id=command.session_id,
            reason=command.reason,
            batch_id=command.batch_id,
        )
    ]
