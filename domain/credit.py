"""The credit rating: derived by replaying history against the rulebook's rating rules.

sichuan-2021 §2.9: the rating is published and managed dynamically, lowered when a violation
is verified and cancelled for serious ones. A rating is never stored as a fact of its own: it
is recomputed from the institution's approvals, served sanctions (annulled ones excluded,
varied ones at their new level) and annual assessments, so it can be reconstructed as of any
date and every change names the decision or assessment behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from domain.calendar import add_months
from domain.history import EventRef, History, SanctionFact
from domain.rulebook import Catalogue, CreditRating, Rulebook

LEVEL_SANCTION_ZH = {0: "宣布无效", 1: "约谈", 2: "限期整改", 3: "撤销备案"}
LEVEL_SANCTION_EN = {0: "voiding", 1: "interview", 2: "rectification", 3: "revocation"}


@dataclass(frozen=True)
class RatingChange:
    on: date
    kind: str  # granted | lowered | cancelled | recovered
    before: str | None
    after: str | None
    reason_zh: str
    reason_en: str
    articles: tuple[str, ...] = ()
    decision_id: str | None = None
    event: EventRef | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "on": self.on,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "articles": list(self.articles),
            "decision_id": self.decision_id,
            "event": self.event.as_dict() if self.event else None,
        }


@dataclass(frozen=True)
class Rating:
    as_of: date
    grade: str | None
    state: str  # unrated | rated | cancelled
    published: bool
    changes: tuple[RatingChange, ...]
    rulebook: str
    basis_zh: str
    basis_en: str
    #: The grades, best first (none when the rulebook sets no rating).
    scale: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "grade": self.grade,
            "state": self.state,
            "published": self.published,
            "rulebook": self.rulebook,
            "basis_zh": self.basis_zh,
            "basis_en": self.basis_en,
            "scale": list(self.scale),
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass(frozen=True)
class _Fact:
    on: date
    version: int
    kind: str  # approval | sanction | assessment
    sanction: SanctionFact | None = None
    ref: EventRef | None = None


def _facts(history: History, on: date) -> list[_Fact]:
    facts: list[_Fact] = [
        _Fact(r.occurred_on, r.version, "approval", ref=r)
        for r in history.approvals
        if r.type == "FilingApproved"
    ]
    for s in history.in_force():
        when = s.served_on or s.decided_on
        ref = s.varied_ref or s.served_ref or s.decided_ref
        facts.append(_Fact(when, ref.version, "sanction", sanction=s, ref=ref))
    facts += [
        _Fact(a.ref.occurred_on, a.ref.version, "assessment", ref=a.ref)
        for a in history.assessments
        if not a.passed
    ]
    return sorted((f for f in facts if f.on <= on), key=lambda f: (f.on, f.version))


class _Ledger:
    def __init__(self, rules: CreditRating) -> None:
        self.rules = rules
        self.grade: str | None = None
        self.state = "unrated"
        self.since: date | None = None  # the last lowering or recovery
        self.changes: list[RatingChange] = []

    def index(self, grade: str) -> int:
        return self.rules.scale.index(grade)

    def change(self, on: date, kind: str, after: str | None, zh: str, en: str, **kw: Any) -> None:
        self.changes.append(RatingChange(on, kind, self.grade, after, zh, en, **kw))
        self.grade = after
        self.since = on

    def recover_until(self, day: date) -> None:
        months = self.rules.recovery_months
        while (
            months
            and self.state == "rated"
            and self.grade is not None
            and self.since is not None
            and self.index(self.grade) > self.index(self.rules.starting_grade)
            and add_months(self.since, months) <= day
        ):
            when = add_months(self.since, months)
            up = self.rules.scale[self.index(self.grade) - 1]
            self.change(
                when,
                "recovered",
                up,
                f"自 {self.since} 起连续 {months} 个月无新的降级事由，由 {self.grade} 恢复为 {up}",
                f"{months} months without a lowering since {self.since}: raised from"
                f" {self.grade} to {up}",
            )


def rating_at(history: History, rulebook: Rulebook, on: date) -> Rating:
    """The rating on business date ``on``, with every change that led to it."""
    rules = rulebook.credit_rating
    if rules is None:
        return Rating(
            on,
            None,
            "unrated",
            False,
            (),
            rulebook.ref,
            f"{rulebook.id} 未设信用等级",
            f"{rulebook.id} sets no credit rating",
        )
    ledger = _folded(rules, _facts(history, on))
    ledger.recover_until(on)
    return Rating(
        as_of=on,
        grade=ledger.grade,
        state=ledger.state,
        published=rules.published,
        changes=tuple(ledger.changes),
        rulebook=rulebook.ref,
        basis_zh=rules.reasoning_zh,
        basis_en=rules.reasoning_en,
        scale=rules.scale,
    )


@dataclass(frozen=True)
class RatingStanding:
    """Where a rating stands after the last fact that moves it (an approval, a sanction in
    force, a failed annual assessment): from that fact's date on, only the recovery rule
    changes it, so a later day's rating is this standing and date arithmetic, no replay."""

    rulebook: str
    grade: str | None
    state: str  # unrated | rated | cancelled
    #: The last lowering or recovery (None: none yet).
    since: date | None
    #: The business date of the last fact (None: none yet).
    last_fact_on: date | None
    #: Whether the history holds an approval (without one, no rulebook rates it).
    approved: bool

    def on(self, rulebook: Rulebook, day: date) -> RatingStanding | None:
        """The standing on ``day`` under ``rulebook``, the recoveries due by then applied;
        None when it cannot tell: another rulebook, or a day before the last fact (replay
        the history with :func:`rating_at` then)."""
        if rulebook.ref != self.rulebook:
            return None
        if self.last_fact_on is not None and day < self.last_fact_on:
            return None
        rules = rulebook.credit_rating
        if rules is None:
            return self
        ledger = _Ledger(rules)
        ledger.grade, ledger.state, ledger.since = self.grade, self.state, self.since
        ledger.recover_until(day)
        return replace(self, grade=ledger.grade, since=ledger.since)


def rating_standing(history: History, rulebook: Rulebook) -> RatingStanding:
    """The standing after every fact of ``history``, under ``rulebook``."""
    facts = _facts(history, date.max)
    approved = any(f.kind == "approval" for f in facts)
    last = facts[-1].on if facts else None
    rules = rulebook.credit_rating
    if rules is None:
        return RatingStanding(rulebook.ref, None, "unrated", None, last, approved)
    ledger = _folded(rules, facts)
    return RatingStanding(rulebook.ref, ledger.grade, ledger.state, ledger.since, last, approved)


def standing_of(history: History, catalogue: Catalogue, jurisdiction: str) -> RatingStanding | None:
    """The standing under the jurisdiction's rulebook in force on the last fact's date (the
    newest one before any fact); None when the jurisdiction has no rulebook."""
    facts = _facts(history, date.max)
    on = facts[-1].on if facts else date.max
    rulebook = catalogue.in_force(jurisdiction, on) or max(
        catalogue.for_jurisdiction(jurisdiction),
        key=lambda r: (r.effective_from, r.version),
        default=None,
    )
    return None if rulebook is None else rating_standing(history, rulebook)


def _folded(rules: CreditRating, facts: list[_Fact]) -> _Ledger:
    """The rating after ``facts`` (in date order), before any recovery after the last."""
    ledger = _Ledger(rules)
    for fact in facts:
        ledger.recover_until(fact.on)
        if fact.kind == "approval":
            _approved(ledger, rules, fact)
        elif ledger.state == "rated" and ledger.grade is not None:
            if fact.kind == "assessment":
                _lower(
                    ledger,
                    fact,
                    rules.failed_assessment_lowers,
                    "年度评估不合格",
                    "failed annual assessment",
                    (),
                    None,
                )
            else:
                _sanctioned(ledger, rules, fact)
    return ledger


def _approved(ledger: _Ledger, rules: CreditRating, fact: _Fact) -> None:
    """An approval grants the starting grade to a record that holds none."""
    if ledger.state == "rated":
        return
    ledger.state = "rated"
    ledger.change(
        fact.on,
        "granted",
        rules.starting_grade,
        f"{fact.on} 备案通过，初始信用等级 {rules.starting_grade}",
        f"filing approved on {fact.on}: starting grade {rules.starting_grade}",
        event=fact.ref,
    )


def _sanctioned(ledger: _Ledger, rules: CreditRating, fact: _Fact) -> None:
    """A sanction in force cancels the rating or lowers it by its level's steps."""
    s = fact.sanction
    assert s is not None
    articles = s.articles
    cited = "、".join(articles) or "—"
    if s.level in rules.cancelled_by_levels:
        ledger.state = "cancelled"
        ledger.change(
            fact.on,
            "cancelled",
            None,
            f"{fact.on} 依 {cited} 作出{LEVEL_SANCTION_ZH[s.level]}决定（{s.decision_id}），"
            f"取消信用等级",
            f"cancelled on {fact.on} by the {LEVEL_SANCTION_EN[s.level]} decided under"
            f" {', '.join(articles)} (decision {s.decision_id})",
            articles=articles,
            decision_id=s.decision_id,
            event=fact.ref,
        )
        return
    _lower(
        ledger,
        fact,
        rules.lowered_by_level.get(s.level, 0),
        f"依 {cited} 作出的{LEVEL_SANCTION_ZH[s.level]}决定（{s.decision_id}）",
        f"the {LEVEL_SANCTION_EN[s.level]} decided under {', '.join(articles)}"
        f" (decision {s.decision_id})",
        articles,
        s.decision_id,
    )


def _lower(
    ledger: _Ledger,
    fact: _Fact,
    steps: int,
    why_zh: str,
    why_en: str,
    articles: tuple[str, ...],
    decision_id: str | None,
) -> None:
    if steps <= 0 or ledger.grade is None:
        return
    scale = ledger.rules.scale
    after = scale[min(len(scale) - 1, ledger.index(ledger.grade) + steps)]
    if after == ledger.grade:
        ledger.since = fact.on  # already at the bottom: only the clean period restarts
        return
    ledger.change(
        fact.on,
        "lowered",
        after,
        f"{fact.on} 因{why_zh}由 {ledger.grade} 降为 {after}",
        f"lowered from {ledger.grade} to {after} on {fact.on} by {why_en}",
        articles=articles,
        decision_id=decision_id,
        event=fact.ref,
    )
