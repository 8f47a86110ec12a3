"""The Supervisor aggregate (质量督导员): card, terms, reviews, suspension, recusal.

The rules come from a :class:`SupervisionPolicy`: the supervision section of the rulebook in
force for the jurisdiction, completed by the supervisor-only rulebooks in force (those with
no jurisdiction, e.g. zhengzhou-2014, which restates the national 2003 supervision work
rules). A parameter the jurisdiction's own rulebook sets always wins; one it leaves open
(hunan-2023 gives the card no validity period) is taken from a supervisor-only rulebook,
and every refusal cites the article of the rulebook that supplied the parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import LedgerAggregate, Stamp
from domain.calendar import add_years
from domain.errors import Conflict, InvalidInput, RuleRefusal
from domain.events import (
    AnnualReviewRecorded,
    AssignmentSuspended,
    AssignmentSuspensionLifted,
    ConflictOfInterestDeclared,
    ConflictOfInterestEnded,
    SessionRoster,
    SupervisorAppointed,
    SupervisorCardExpired,
    SupervisorCardRenewed,
    SupervisorCertified,
    SupervisorDecertified,
    SupervisorTermEnded,
)
from domain.rulebook import Rulebook

SUPERVISOR_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:supervisor")
SUPERVISOR_KINDS = ("external", "internal")


def supervisor_id(jurisdiction: str, card_number: str) -> UUID:
    """One record per card number per jurisdiction."""
    return uuid5(SUPERVISOR_NAMESPACE, f"{jurisdiction}:{card_number.strip().upper()}")


# --- the rules that apply ------------------------------------------------------------------


@dataclass(frozen=True)
class SupervisionPolicy:
    """The supervisor rules in force for one jurisdiction on one date, each with its article."""

    card_validity_years: int | None = None
    card_article: str | None = None
    term_years: int | None = None
    max_terms: int | None = None
    term_article: str | None = None
    max_consecutive_assignments: int | None = None
    rotation_article: str | None = None
    min_special_group_size: int | None = None
    special_group_article: str | None = None
    recusal_articles: tuple[str, ...] = ()
    rulebooks: tuple[str, ...] = ()

    @classmethod
    def compose(cls, primary: Rulebook, supplements: Sequence[Rulebook] = ()) -> SupervisionPolicy:
        """``primary``'s supervision rules, gaps filled from ``supplements`` in order."""
        books = [primary, *sorted(supplements, key=lambda r: (r.id, r.version))]
        used: list[str] = [primary.ref]

        def first(value_name: str) -> Rulebook | None:
            for book in books:
                if getattr(book.supervision, value_name) is not None:
                    if book.ref not in used:
                        used.append(book.ref)
                    return book
            return None

        card = first("card_validity_years")
        term = first("term_years")
        rotation = first("max_consecutive_assignments")
        group = first("min_special_group_size")
        recusal: list[str] = []
        for book in books:
            article = book.supervision.recusal_article
            if article is not None and article not in recusal:
                recusal.append(article)
                if book.ref not in used:
                    used.append(book.ref)
        return cls(
            card_validity_years=card.supervision.card_validity_years if card else None,
            card_article=card.supervision.card_article if card else None,
            term_years=term.supervision.term_years if term else None,
            max_terms=term.supervision.max_terms if term else None,
            term_article=term.supervision.term_article if term else None,
            max_consecutive_assignments=(
                rotation.supervision.max_consecutive_assignments if rotation else None
            ),
            rotation_article=rotation.supervision.rotation_article if rotation else None,
            min_special_group_size=group.supervision.min_special_group_size if group else None,
            special_group_article=group.supervision.special_group_article if group else None,
            recusal_articles=tuple(recusal),
            rulebooks=tuple(used),
        )


def _cite(*articles: str | None) -> tuple[str, ...]:
    return tuple(a for a in articles if a)


@dataclass(frozen=True)
class Bar:
    """Why a supervisor may not be assigned (to anything, or to one institution)."""

    code: str  # decertified | suspended | card_expired | not_certified_yet | not_appointed
    #           | term_expired | internal | conflict | session_role | rotation | jurisdiction
    detail: str
    articles: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, "articles": list(self.articles)}


def refusal(bars: Iterable[Bar], field: str) -> RuleRefusal:
    """One refusal naming every bar and citing every article behind them."""
    found = list(bars)
    articles: list[str] = []
    for bar in found:
        articles.extend(a for a in bar.articles if a not in articles)
    return RuleRefusal("; ".join(b.detail for b in found), field=field, articles=articles)


# --- the aggregate -------------------------------------------------------------------------


class Supervisor(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.jurisdiction: str = ""
        self.district: str | None = None
        self.kind: str = ""
        self.institution_id: str | None = None
        self.name: str = ""
        self.subject: str = ""
        self.card_number: str = ""
        self.certified_on: date = date.min
        self.card_valid_until: date | None = None
        self.card_articles: list[str] = []
        self.terms: list[dict[str, Any]] = []  # {"term", "starts_on", "ends_on"}
        self.reviews: list[dict[str, Any]] = []  # {"year", "passed", "remarks", "on"}
        self.suspension: dict[str, Any] | None = None  # {"since", "until", "reason", "articles"}
        self.decertified: dict[str, Any] | None = None  # {"on", "reason", "articles"}
        self.conflicts: dict[str, dict[str, Any]] = {}  # institution id -> {"relation", "since"}
        self.card_expiry_recorded: date | None = None
        self.terms_ended: list[int] = []

    # --- expiry (the deadline watcher) -----------------------------------------------------

    def advance_to(self, today: date, stamp: Stamp, policy: SupervisionPolicy) -> list[str]:
        """Record a card expiry and ended terms due by ``today``, each once."""
        recorded: list[str] = []
        if self.decertified is not None:
            return recorded
        until = self.card_valid_until
        if until is not None and today > until and self.card_expiry_recorded != until:
            self._record(
                SupervisorCardExpired,
                stamp=stamp,
                occurred_on=until + timedelta(days=1),
                card_valid_until=until,
                articles=list(_cite(policy.card_article)),
            )
            recorded.append("SupervisorCardExpired")
        for term in self.terms:
            ends_on: date | None = term["ends_on"]
            if ends_on is not None and today > ends_on and term["term"] not in self.terms_ended:
                self._record(
                    SupervisorTermEnded,
                    stamp=stamp,
                    occurred_on=ends_on + timedelta(days=1),
                    term=term["term"],
                    ended_on=ends_on,
                    articles=list(_cite(policy.term_article)),
                )
                recorded.append("SupervisorTermEnded")
        return recorded

    def _on_SupervisorCardExpired(self, e: SupervisorCardExpired) -> None:
        self.card_expiry_recorded = e.card_valid_until

    def _on_SupervisorTermEnded(self, e: SupervisorTermEnded) -> None:
        self.terms_ended.append(e.term)

    # --- certification and card -----------------------------------------------------------

    @classmethod
    def certify(
        cls,
        *,
        jurisdiction: str,
        district: str | None,
        kind: str,
        institution_id: UUID | None,
        name: str,
        subject: str,
        card_number: str,
        on: date,
        stamp: Stamp,
        policy: SupervisionPolicy,
    ) -> Supervisor:
        if kind not in SUPERVISOR_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(SUPERVISOR_KINDS)}", field="kind")
        for field_name, value in (
            ("name", name),
            ("subject", subject),
            ("card_number", card_number),
        ):
            if not value.strip():
                raise InvalidInput(f"{field_name} must not be empty", field=field_name)
        if kind == "internal" and institution_id is None:
            raise InvalidInput(
                "an internal supervisor (内督) is certified by its institution: name it",
                field="institution_id",
            )
        if kind == "external" and institution_id is not None:
            raise InvalidInput(
                "an external supervisor (外督) belongs to no institution", field="institution_id"
            )
        card = card_number.strip().upper()
        return cls._start(
            SupervisorCertified,
            id=supervisor_id(jurisdiction, card),
            stamp=stamp,
            occurred_on=on,
            jurisdiction=jurisdiction,
            district=district,
            kind=kind,
            institution_id=str(institution_id) if institution_id else None,
            name=name.strip(),
            subject=subject.strip(),
            card_number=card,
            card_valid_until=_card_end(on, policy),
            card_articles=list(_cite(policy.card_article)),
            rulebooks=list(policy.rulebooks),
        )

    def _on_SupervisorCertified(self, e: SupervisorCertified) -> None:
        self.jurisdiction = e.jurisdiction
        self.district = e.district
        self.kind = e.kind
        self.institution_id = e.institution_id
        self.name = e.name
        self.subject = e.subject
        self.card_number = e.card_number
        self.certified_on = e.occurred_on
        self.card_valid_until = e.card_valid_until
        self.card_articles = list(e.card_articles)

    def renew_card(self, on: date, stamp: Stamp, policy: SupervisionPolicy) -> None:
        """A new card after retraining and examination, valid from ``on``."""
        self._require_qualified("renew the card")
        if on < self.certified_on:
            raise InvalidInput("the renewal cannot precede the certification", field="occurred_on")
        self._record(
            SupervisorCardRenewed,
            stamp=stamp,
            occurred_on=on,
            card_valid_until=_card_end(on, policy),
            card_articles=list(_cite(policy.card_article)),
            rulebooks=list(policy.rulebooks),
        )

    def _on_SupervisorCardRenewed(self, e: SupervisorCardRenewed) -> None:
        self.card_valid_until = e.card_valid_until
        self.card_articles = list(e.card_articles)

    def card_valid_on(self, on: date) -> bool:
        return self.certified_on <= on and (
            self.card_valid_until is None or on <= self.card_valid_until
        )

    # --- appointment (聘任) ----------------------------------------------------------------

    def appoint(self, on: date, stamp: Stamp, policy: SupervisionPolicy) -> None:
        """Engage for a term starting ``on`` (hunan-2023/8: 3 years, at most three terms)."""
        self._require_qualified("appoint")
        if self.kind != "external":
            raise InvalidInput(
                "internal supervisors are engaged by their institution, not by the regulator",
                field="kind",
            )
        current = self.term_on(on)
        if current is not None:
            raise Conflict(
                f"term {current['term']} runs until {current['ends_on'] or 'further notice'}",
                field="occurred_on",
            )
        if self.terms and on < self.terms[-1]["starts_on"]:
            raise InvalidInput("a new term cannot precede the last one", field="occurred_on")
        if not self.card_valid_on(on):
            raise RuleRefusal(
                f"only a holder of a valid card may be engaged; card {self.card_number}"
                f" is not valid on {on}",
                field="occurred_on",
                articles=_cite(policy.card_article, policy.term_article),
            )
        if policy.max_terms is not None and len(self.terms) >= policy.max_terms:
            raise RuleRefusal(
                f"{self.name} has served {len(self.terms)} terms; at most {policy.max_terms}",
                field="occurred_on",
                articles=_cite(policy.term_article),
            )
        ends_on = (
            add_years(on, policy.term_years) - timedelta(days=1)
            if policy.term_years is not None
            else None
        )
        self._record(
            SupervisorAppointed,
            stamp=stamp,
            occurred_on=on,
            term=len(self.terms) + 1,
            term_ends_on=ends_on,
            articles=list(_cite(policy.term_article)),
            rulebooks=list(policy.rulebooks),
        )

    def _on_SupervisorAppointed(self, e: SupervisorAppointed) -> None:
        self.terms.append({"term": e.term, "starts_on": e.occurred_on, "ends_on": e.term_ends_on})

    def term_on(self, on: date) -> dict[str, Any] | None:
        for term in reversed(self.terms):
            ends_on: date | None = term["ends_on"]
            if term["starts_on"] <= on and (ends_on is None or on <= ends_on):
                return dict(term)
        return None

    # --- review and discipline ------------------------------------------------------------

    def record_annual_review(
        self, year: int, passed: bool, remarks: str, on: date, stamp: Stamp
    ) -> None:
        """The annual review (hunan-2023/21, zhengzhou-2014/10); a fail suspends nothing by
        itself: the regulator decides on a suspension (hunan-2023/30)."""
        if self.decertified is not None:
            raise Conflict(f"{self.name} was decertified on {self.decertified['on']}")
        if not self.certified_on.year <= year <= on.year:
            raise InvalidInput(
                f"the review year must lie between {self.certified_on.year} and {on.year}",
                field="year",
            )
        if any(r["year"] == year for r in self.reviews):
            raise Conflict(f"the {year} review is already recorded", field="year")
        if not passed and not remarks.strip():
            raise InvalidInput("a failed review states its reasons", field="remarks")
        self._record(
            AnnualReviewRecorded,
            stamp=stamp,
            occurred_on=on,
            year=year,
            passed=passed,
            remarks=remarks,
        )

    def _on_AnnualReviewRecorded(self, e: AnnualReviewRecorded) -> None:
        self.reviews.append(
            {"year": e.year, "passed": e.passed, "remarks": e.remarks, "on": e.occurred_on}
        )

    def suspend(
        self, on: date, stamp: Stamp, reason: str, articles: list[str], until: date | None
    ) -> None:
        self._require_qualified("suspend")
        _require_text(reason, "reason")
        if until is not None and until < on:
            raise InvalidInput("the suspension cannot end before it starts", field="until")
        if self.suspended_on(on):
            raise Conflict(f"{self.name}'s assignments are already suspended")
        self._record(
            AssignmentSuspended,
            stamp=stamp,
            occurred_on=on,
            reason=reason,
            articles=list(articles),
            until=until,
        )

    def _on_AssignmentSuspended(self, e: AssignmentSuspended) -> None:
        self.suspension = {
            "since": e.occurred_on,
            "until": e.until,
            "reason": e.reason,
            "articles": list(e.articles),
        }

    def lift_suspension(self, on: date, stamp: Stamp, reason: str) -> None:
        _require_text(reason, "reason")
        if self.suspension is None or not self.suspended_on(on):
            raise Conflict(f"{self.name}'s assignments are not suspended on {on}")
        if on < self.suspension["since"]:
            raise InvalidInput("the lifting cannot precede the suspension", field="occurred_on")
        self._record(AssignmentSuspensionLifted, stamp=stamp, occurred_on=on, reason=reason)

    def _on_AssignmentSuspensionLifted(self, e: AssignmentSuspensionLifted) -> None:
        assert self.suspension is not None
        self.suspension = {**self.suspension, "until": e.occurred_on - timedelta(days=1)}

    def suspended_on(self, on: date) -> bool:
        s = self.suspension
        return s is not None and s["since"] <= on and (s["until"] is None or on <= s["until"])

    def decertify(self, on: date, stamp: Stamp, reason: str, articles: list[str]) -> None:
        self._require_qualified("decertify")
        _require_text(reason, "reason")
        if on < self.certified_on:
            raise InvalidInput("decertification cannot precede certification", field="occurred_on")
        self._record(
            SupervisorDecertified,
            stamp=stamp,
            occurred_on=on,
            reason=reason,
            articles=list(articles),
        )

    def _on_SupervisorDecertified(self, e: SupervisorDecertified) -> None:
        self.decertified = {"on": e.occurred_on, "reason": e.reason, "articles": list(e.articles)}

    # --- recusal (回避) --------------------------------------------------------------------

    def declare_conflict(self, institution: UUID, relation: str, on: date, stamp: Stamp) -> None:
        _require_text(relation, "relation")
        if str(institution) in self.conflicts:
            raise Conflict(
                f"a conflict with {institution} is already declared", field="institution_id"
            )
        self._record(
            ConflictOfInterestDeclared,
            stamp=stamp,
            occurred_on=on,
            institution_id=str(institution),
            relation=relation,
        )

    def _on_ConflictOfInterestDeclared(self, e: ConflictOfInterestDeclared) -> None:
        self.conflicts[e.institution_id] = {"relation": e.relation, "since": e.occurred_on}

    def end_conflict(self, institution: UUID, reason: str, on: date, stamp: Stamp) -> None:
        _require_text(reason, "reason")
        if str(institution) not in self.conflicts:
            raise Conflict(f"no conflict with {institution} is declared", field="institution_id")
        self._record(
            ConflictOfInterestEnded,
            stamp=stamp,
            occurred_on=on,
            institution_id=str(institution),
            reason=reason,
        )

    def _on_ConflictOfInterestEnded(self, e: ConflictOfInterestEnded) -> None:
        self.conflicts.pop(e.institution_id, None)

    # --- eligibility ----------------------------------------------------------------------

    def bars(self, on: date, policy: SupervisionPolicy) -> list[Bar]:
        """Why this supervisor may not supervise anything on ``on`` (empty: may)."""
        found: list[Bar] = []
        who = f"{self.name} ({self.card_number})"
        if self.decertified is not None and self.decertified["on"] <= on:
            found.append(
                Bar(
                    "decertified",
                    f"{who} was decertified on {self.decertified['on']}",
                    tuple(self.decertified["articles"]),
                )
            )
        if self.suspended_on(on):
            assert self.suspension is not None
            until = self.suspension["until"]
            found.append(
                Bar(
                    "suspended",
                    f"{who}: assignments suspended since {self.suspension['since']}"
                    + (f" until {until}" if until else ""),
                    tuple(self.suspension["articles"]),
                )
            )
        if on < self.certified_on:
            found.append(
                Bar("not_certified_yet", f"{who} is certified only from {self.certified_on}")
            )
        elif self.card_valid_until is not None and on > self.card_valid_until:
            found.append(
                Bar(
                    "card_expired",
                    f"{who}: the card expired after {self.card_valid_until}"
                    f" ({policy.card_validity_years}-year validity)",
                    tuple(self.card_articles) or _cite(policy.card_article),
                )
            )
        if self.kind == "internal":
            found.append(
                Bar(
                    "internal",
                    f"{who} is an internal supervisor (内督); external supervision needs 外督",
                )
            )
        elif policy.term_years is not None and self.term_on(on) is None:
            if not self.terms:
                found.append(
                    Bar("not_appointed", f"{who} holds no appointment", _cite(policy.term_article))
                )
            else:
                last = self.terms[-1]
                found.append(
                    Bar(
                        "term_expired",
                        f"{who}: term {last['term']} ended on {last['ends_on']}",
                        _cite(policy.term_article),
                    )
                )
        return found

    def bars_for(
        self,
        institution: UUID,
        on: date,
        policy: SupervisionPolicy,
        sessions: Sequence[SessionRoster] = (),
    ) -> list[Bar]:
        """Why this supervisor may not supervise ``institution`` on ``on`` (empty: may)."""
        found = self.bars(on, policy)
        who = f"{self.name} ({self.card_number})"
        declared = self.conflicts.get(str(institution))
        if declared is not None:
            found.append(
                Bar(
                    "conflict",
                    f"{who} declared a conflict of interest with the institution"
                    f" ({declared['relation']})",
                    policy.recusal_articles,
                )
            )
        for session in sessions:
            roles = [
                role
                for role, cards in (
                    ("an examiner", session["examiners"]),
                    ("the internal supervisor", session["internal_supervisors"]),
                )
                if self.card_number in {c.strip().upper() for c in cards}
            ]
            if roles:
                found.append(
                    Bar(
                        "session_role",
                        f"{who} is {' and '.join(roles)} of session {session['session_id']}",
                        policy.recusal_articles,
                    )
                )
        return found

    # --- helpers --------------------------------------------------------------------------

    def _require_qualified(self, action: str) -> None:
        if self.decertified is not None:
            raise Conflict(
                f"cannot {action}: {self.name} was decertified on {self.decertified['on']}"
            )


def _card_end(on: date, policy: SupervisionPolicy) -> date | None:
    if policy.card_validity_years is None:
        return None
    return add_years(on, policy.card_validity_years) - timedelta(days=1)


def _require_text(value: str, field: str) -> None:
    if not value.strip():
        raise InvalidInput(f"{field} must not be empty", field=field)
