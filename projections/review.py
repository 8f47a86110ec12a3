"""What an appeal reviewer reads beside the file: each decision explained, and the credit
rating's history.

:func:`explanation` copies :meth:`domain.records.Records.explain_decision` into a frozen view:
what was known when the decision was taken, which rulebook (id, version, content hash) the
requirement came from, the requirement then and now, the decision itself, and whether (and
why) the requirement would differ now. :func:`rating_history` copies the credit rating with
every change that led to it. Neither judges anything: the domain computed it all.

Both take the same point in time as the file (``as_of``: a business date, ``known_at``: an
instant of the store), so a page drawn "as it stood then" explains as it stood then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.access import Principal
from domain.application import OversightApplication
from domain.errors import NotFound
from domain.records import Records


@dataclass(frozen=True)
class RulebookRef:
    id: str
    version: int
    hash: str


@dataclass(frozen=True)
class GroundEvent:
    """An event a ground rests on."""

    version: int
    type: str
    occurred_on: date


@dataclass(frozen=True)
class Ground:
    """One reason the rules give for a level: the article, why, and the events behind it."""

    article: str
    level: int
    explanation_zh: str
    explanation_en: str
    events: tuple[GroundEvent, ...]


@dataclass(frozen=True)
class AssessedFinding:
    """What the rules require for one finding, and why."""

    finding_id: str
    rule_id: str
    #: The item whose level is required.
    article: str
    level: int
    grounds: tuple[Ground, ...]


@dataclass(frozen=True)
class Requirement:
    """What the rules require for findings together (the heaviest of them)."""

    level: int
    article: str
    actions: tuple[str, ...]
    rulebook: RulebookRef
    findings: tuple[AssessedFinding, ...]
    #: Every ground of the requirement itself.
    grounds: tuple[Ground, ...] = ()


def ground(g: Mapping[str, Any]) -> Ground:
    return Ground(
        article=g["article"],
        level=g["level"],
        explanation_zh=g["explanation_zh"],
        explanation_en=g["explanation_en"],
        events=tuple(
            GroundEvent(r["version"], str(r["type"]), r["occurred_on"]) for r in g.get("events", ())
        ),
    )


def _assessed(f: Mapping[str, Any]) -> AssessedFinding:
    return AssessedFinding(
        finding_id=f["finding_id"],
        rule_id=f["rule_id"],
        article=f["article"],
        level=f["level"],
        grounds=tuple(ground(g) for g in f.get("grounds", ())),
    )


def requirement(r: Mapping[str, Any] | None) -> Requirement | None:
    """A requirement as the domain stores and computes it (``escalation.combine``)."""
    if not r:
        return None
    book = r["rulebook"]
    return Requirement(
        level=r["level"],
        article=r["article"],
        actions=tuple(r["actions"]),
        rulebook=RulebookRef(book["id"], book["version"], book["hash"]),
        findings=tuple(_assessed(f) for f in r.get("findings", ())),
        grounds=tuple(ground(g) for g in r.get("grounds", ())),
    )


# --- a decision explained ----------------------------------------------------------------


@dataclass(frozen=True)
class KnownEvent:
    """An event the decision's requirement was computed from."""

    version: int
    type: str
    occurred_on: date
    recorded_at: datetime


@dataclass(frozen=True)
class Decided:
    """What the regulator decided, and on what."""

    level: int
    actions: tuple[str, ...]
    articles: tuple[str, ...]
    reasons: str
    below_requirement: bool
    below_reason: str | None


@dataclass(frozen=True)
class LaterAppeal:
    decision_id: str
    #: annulled | varied
    outcome: str
    version: int
    occurred_on: date


@dataclass(frozen=True)
class Explanation:
    decision_id: str
    case_id: str
    decided_on: date
    recorded_at: datetime
    actor: str
    role: str
    deciding_body: str
    #: What was known when the requirement was computed.
    known_events: tuple[KnownEvent, ...]
    #: The rulebook the requirement then came from.
    rulebook: RulebookRef
    then: Requirement
    decision: Decided
    #: The requirement recomputed with what is known at the page's point in time.
    now: Requirement
    would_differ: bool
    why_zh: tuple[str, ...]
    why_en: tuple[str, ...]
    later_appeals: tuple[LaterAppeal, ...]


def explanation(
    app: OversightApplication,
    principal: Principal,
    institution_id: UUID,
    decision_id: str,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    records: Records | None = None,
) -> Explanation:
    """Decision ``decision_id`` explained, with "now" meaning ``as_of``/``known_at``.

    Raises ``NotFound`` for a decision not recorded (or not yet, at that point in time) and
    ``Forbidden`` outside the caller's scope.
    """
    x = (records or app.records).explain_decision(
        principal, institution_id, decision_id, as_of=as_of, known_at=known_at
    )
    then, now = requirement(x["requirement_then"]), requirement(x["requirement_now"])
    # A decision always has a requirement, then and now.
    assert then is not None
    assert now is not None
    d, by, book = x["decision"], x["decided_by"], x["rulebook"]
    return Explanation(
        decision_id=x["decision_id"],
        case_id=x["case_id"],
        decided_on=x["decided_on"],
        recorded_at=x["recorded_at"],
        actor=by["actor"],
        role=by["role"],
        deciding_body=by["body"] or "",
        known_events=tuple(
            KnownEvent(e["version"], e["type"], e["occurred_on"], e["recorded_at"])
            for e in x["known_events"]
        ),
        rulebook=RulebookRef(book["id"], book["version"], book["hash"]),
        then=then,
        decision=Decided(
            level=d["level"],
            actions=tuple(d["actions"]),
            articles=tuple(d["articles"]),
            reasons=d["reasons"] or "",
            below_requirement=bool(d["below_requirement"]),
            below_reason=d["below_reason"],
        ),
        now=now,
        would_differ=bool(x["would_differ"]),
        why_zh=tuple(x["why_zh"]),
        why_en=tuple(x["why_en"]),
        later_appeals=tuple(
            LaterAppeal(a["decision_id"], a["outcome"], a["version"], a["occurred_on"])
            for a in x["later_appeals"]
        ),
    )


@dataclass(frozen=True)
class DecisionReview:
    """A decision explained, with the institution it belongs to (its own page)."""

    institution_id: UUID
    institution_name: str
    credit_code: str
    explanation: Explanation


def decision_review(
    app: OversightApplication,
    principal: Principal,
    institution_id: UUID,
    decision_id: str,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> DecisionReview:
    inst = app.records.institution(principal, institution_id)
    explained = explanation(
        app, principal, institution_id, decision_id, as_of=as_of, known_at=known_at
    )
    return DecisionReview(inst.id, inst.name, inst.credit_code, explained)


# --- the credit rating over time -----------------------------------------------------------


@dataclass(frozen=True)
class RatingChange:
    on: date
    #: granted | lowered | cancelled | recovered
    kind: str
    before: str | None
    after: str | None
    reason_zh: str
    reason_en: str
    decision_id: str | None
    #: The version of the event behind the change (none for a recovery).
    version: int | None


@dataclass(frozen=True)
class RatingHistory:
    as_of: date
    grade: str | None
    #: unrated | rated | cancelled
    state: str
    published: bool
    #: The grades, best first.
    scale: tuple[str, ...]
    #: The rulebook the rating follows.
    rulebook: str
    basis_zh: str
    basis_en: str
    #: Every change up to ``as_of``, oldest first.
    changes: tuple[RatingChange, ...]


def rating_history(
    app: OversightApplication,
    principal: Principal,
    institution_id: UUID,
    as_of: date,
    *,
    known_at: datetime | None = None,
    as_it_stood: bool = False,
    records: Records | None = None,
) -> RatingHistory | None:
    """The rating on ``as_of`` with its changes (with ``as_it_stood``: from the facts dated by
    then only); ``None`` where no rulebook covers it."""
    try:
        r = (records or app.records).credit_rating(
            principal, institution_id, as_of, known_at=known_at, as_it_stood=as_it_stood
        )
    except NotFound:
        return None
    return RatingHistory(
        as_of=r["as_of"],
        grade=r["grade"],
        state=r["state"],
        published=bool(r["published"]),
        scale=tuple(r["scale"]),
        rulebook=r["rulebook"],
        basis_zh=r["basis_zh"],
        basis_en=r["basis_en"],
        changes=tuple(
            RatingChange(
                on=c["on"],
                kind=c["kind"],
                before=c["before"],
                after=c["after"],
                reason_zh=c["reason_zh"],
                reason_en=c["reason_en"],
                decision_id=c["decision_id"],
                version=c["event"]["version"] if c["event"] else None,
            )
            for c in r["changes"]
        ),
    )
