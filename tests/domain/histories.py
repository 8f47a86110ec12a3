"""Institution files built with the aggregate's own commands, for the pure-domain rule tests.

A test states business dates (``on``); the ledger records each command when it is called, so
the order of calls is the recording order and ``occurred_on`` is the business date. Decisions
follow due process (case, notice, waived defence, decision, service) on the decision date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.base import Stamp
from domain.creditcode import make_credit_code
from domain.detection import Flag
from domain.escalation import Assessment, Finding, Ground, actions_for, assess, combine
from domain.history import EventRef, History, ref_of
from domain.institution import FilingApplication, Institution
from domain.rulebook import Rulebook, default_catalogue

#: The rulebooks under which institutions are filed (those naming a jurisdiction).
INSTITUTION_RULEBOOKS = tuple(sorted({r.id for r in default_catalogue() if r.jurisdiction}))
APPROVED_ON = "2024-03-01"
OCCUPATION = "4-03-02-01"
SITE = "东大街考点"

Day = str | date


def rulebook(rulebook_id: str) -> Rulebook:
    return default_catalogue().get(rulebook_id)


def day(value: Day) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def sanction_items(book: Rulebook) -> list[str]:
    """Every item of every sanction article (an article with a level), in source order."""
    return [
        item.id for article in book.articles if article.level is not None for item in article.items
    ]


def rule_ids(assessment: Assessment) -> set[str]:
    """The derived rules (and article escalations) among an assessment's grounds."""
    return {g.rule for g in assessment.grounds if g.rule != "item"}


def ground(assessment: Assessment, rule: str) -> Ground:
    found = [g for g in assessment.grounds if g.rule == rule]
    assert len(found) == 1, f"{rule} not among {sorted(rule_ids(assessment))}"
    return found[0]


def assert_explained(
    assessment: Assessment, decisions: Mapping[str, Iterable[str]] | None = None
) -> None:
    """Every ground names its article in Chinese and in English and lists the events behind
    it, the finding's own among them; ``decisions``: rule -> decisions its text must name."""
    own = next(g for g in assessment.grounds if g.rule == "item").events
    for g in assessment.grounds:
        assert g.article in g.explanation_zh, g.explanation_zh
        assert g.article in g.explanation_en, g.explanation_en
        assert set(own) <= set(g.events), (g.rule, g.events)
    for rule, decision_ids in (decisions or {}).items():
        behind = ground(assessment, rule)
        assert len(behind.events) > len(own), (rule, behind.events)
        for decision_id in decision_ids:
            assert decision_id in behind.explanation_zh, behind.explanation_zh
            assert decision_id in behind.explanation_en, behind.explanation_en


class Ledger:
    """One institution's file in one jurisdiction, approved on ``approved_on``."""

    def __init__(self, rulebook_id: str, approved_on: Day = APPROVED_ON) -> None:
        self.rulebook = rulebook(rulebook_id)
        self.events: list[Any] = []
        self._recorded = datetime(2000, 1, 1, tzinfo=UTC)
        self._serial = 0
        approved = day(approved_on)
        submitted = approved - timedelta(days=14)
        self.inst = Institution.submit(self._application(), submitted, self._stamp(submitted))
        self.inst.approve(approved, self._stamp(approved), self.rulebook)
        self._collect()

    # --- recording ------------------------------------------------------------------------

    def _application(self) -> FilingApplication:
        assert self.rulebook.jurisdiction is not None
        return FilingApplication(
            credit_code=make_credit_code("91430104MA4L0A2B3"),
            name="示范职业技能评价中心",
            kind="social_org",
            jurisdiction=self.rulebook.jurisdiction,
            district="示范区",
            address="示范路1号",
            scope=[{"occupation": OCCUPATION, "levels": [5, 4, 3]}],
            test_sites=[SITE],
            legal_representative="王某",
            contact={"name": "李某", "phone": "000-00000000"},
        )

    def _stamp(self, on: Day) -> Stamp:
        """Recorded no earlier than the business date, and after everything recorded before."""
        business = datetime.combine(day(on), time(2), tzinfo=UTC)
        self._recorded = max(self._recorded + timedelta(minutes=1), business)
        return Stamp("regulator.li", "regulator", f"req-{self._serial}", self._recorded)

    def _collect(self) -> None:
        self.events.extend(self.inst.collect_events())

    def _next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial}"

    @property
    def last_ref(self) -> EventRef:
        return ref_of(self.events[-1])

    # --- findings, batches, complaints ----------------------------------------------------

    def finding(
        self,
        item: str,
        on: Day,
        *,
        severity: str = "minor",
        source: str = "inspection",
        reference: str = "",
    ) -> str:
        finding_id = self._next_id("F")
        self.inst.record_finding(
            day(on),
            self._stamp(on),
            finding_id=finding_id,
            rule_id=self.rulebook.cite(item),
            severity=severity,
            source=source,
            reference=reference or f"inspection {on}",
            facts=f"{item} observed",
            evidence=[],
            assessment={},
        )
        self._collect()
        return finding_id

    def flagged(self, flag: Flag) -> str:
        """A system flag recorded as a finding, as the application records it."""
        return self.finding(
            flag.rule_id.partition("/")[2],
            flag.occurred_on,
            source="system",
            reference=flag.reference,
        )

    def batch(
        self,
        on: Day,
        *,
        paper_set: str = "P-1",
        candidates: int = 100,
        unqualified: int = 0,
        batch_id: str | None = None,
    ) -> str:
        batch_id = batch_id or self._next_id("B")
        self.inst.report_evaluation(
            day(on),
            self._stamp(on),
            batch_id=batch_id,
            occupation=OCCUPATION,
            level=4,
            site=SITE,
            territory=self.inst.jurisdiction,
            candidates=candidates,
            unqualified_candidates=unqualified,
            passed=candidates - unqualified,
            paper_set_id=paper_set,
            flags=[],
        )
        self._collect()
        return batch_id

    def complaint(self, lodged_on: Day) -> str:
        complaint_id = self._next_id("CP")
        self.inst.receive_complaint(
            day(lodged_on), self._stamp(lodged_on), complaint_id, "12333", "投诉内容", "来信"
        )
        self._collect()
        return complaint_id

    def verify(self, complaint_id: str, on: Day, *, substantiated: bool = True) -> None:
        self.inst.verify_complaint(
            day(on), self._stamp(on), complaint_id, substantiated, "核查结论"
        )
        self._collect()

    # --- due process and effects ----------------------------------------------------------

    def requirement(self, finding_ids: list[str], as_of: Day) -> dict[str, Any]:
        combined = combine([self.assess(fid, as_of) for fid in finding_ids])
        assert combined is not None
        return combined

    def decide(
        self,
        finding_ids: str | list[str],
        on: Day,
        *,
        under: str | None = None,
        served_on: Day | None = None,
        rectification_days: int = 30,
    ) -> str:
        """Open a case and decide it: at the level the rules require, or ``under`` an item."""
        ids = [finding_ids] if isinstance(finding_ids, str) else list(finding_ids)
        book = self.rulebook
        decided = day(on)
        requirement = self.requirement(ids, decided)
        if under is None:
            level = int(requirement["level"])
            actions, ban_years = tuple(requirement["actions"]), requirement["ban_years"]
            articles = [str(requirement["article"])]
        else:
            level = book.level_of(under)
            actions, ban_years = actions_for(book.article_of(under).effects)
            articles = [book.cite(under)]
        case_id = self._next_id("C")
        decision_id = self._next_id("D")
        stamp = self._stamp(decided)
        self.inst.open_case(decided, stamp, case_id, ids)
        self.inst.issue_notice(
            decided,
            stamp,
            case_id=case_id,
            intended_level=level,
            intended_actions=list(actions),
            facts="查明的事实",
            reasons="理由",
            legal_basis=articles,
            defence_deadline=decided + timedelta(days=10),
            requirement=requirement,
        )
        self.inst.waive_defence(decided, stamp, case_id)
        self.inst.decide(
            decided,
            stamp,
            case_id=case_id,
            decision_id=decision_id,
            level=level,
            actions=list(actions),
            articles=articles,
            reasons="决定理由",
            deciding_body="city",
            requirement=requirement,
            below_reason="书面理由" if level < requirement["level"] else "",
            rectification_days=rectification_days if level == 2 else None,
            ban_years=ban_years if "ban" in actions else None,
            ban_indefinite="ban" in actions and ban_years is None,
            revocation_authority=book.due_process.revocation_authority,
            revocation_article=book.due_process.revocation_authority_article,
            due_process_articles=list(book.due_process.articles),
        )
        served = day(served_on) if served_on is not None else decided
        self.inst.serve(
            served,
            self._stamp(served),
            case_id,
            public_announcement="public_announcement" in actions,
            abnormal_activity_list="abnormal_activity_list" in actions,
            void_batch_ids=[],
        )
        self._collect()
        return decision_id

    def interview(self, decision_id: str, on: Day) -> None:
        self.inst.hold_interview(day(on), self._stamp(on), decision_id, ["主要负责人"], "规范操作")
        self._collect()

    def rectify(
        self, decision_id: str, accepted_on: Day, *, reported_on: Day | None = None
    ) -> None:
        reported = reported_on if reported_on is not None else accepted_on
        self.inst.submit_rectification_report(
            day(reported), self._stamp(reported), decision_id, "整改报告"
        )
        self.inst.accept_rectification(
            day(accepted_on), self._stamp(accepted_on), decision_id, "验收合格"
        )
        self._collect()

    def overdue(self, decision_id: str) -> EventRef:
        """The rectification's deadline passes; the ref of the event that records it."""
        deadline: date = self.inst.decision(decision_id)["rectification"]["deadline"]
        self.inst.mark_rectification_overdue(
            self._stamp(deadline + timedelta(days=1)), decision_id, deadline
        )
        self._collect()
        return self.last_ref

    def deadline_of(self, decision_id: str) -> date:
        deadline: date = self.inst.decision(decision_id)["rectification"]["deadline"]
        return deadline

    def annul(self, decision_id: str, on: Day) -> None:
        appeal_id = self._next_id("A")
        stamp = self._stamp(on)
        self.inst.file_appeal(day(on), stamp, appeal_id, decision_id, "reconsideration", "事实不清")
        self.inst.decide_appeal(
            day(on),
            stamp,
            appeal_id=appeal_id,
            outcome="annulled",
            new_level=None,
            new_actions=[],
            reasons="复议撤销",
        )
        self._collect()

    # --- reading --------------------------------------------------------------------------

    def history(self) -> History:
        return History.from_events(self.events)

    def today(self) -> date:
        """The latest business date recorded so far."""
        dates: list[date] = [e.occurred_on for e in self.events]
        return max(dates)

    def assess(self, finding_id: str, as_of: Day | None = None) -> Assessment:
        """What the rulebook requires for a recorded finding, as the application asks it."""
        history = self.history()
        fact = history.finding(finding_id)
        assert fact is not None, finding_id
        finding = Finding(
            fact.finding_id,
            fact.rule_id,
            fact.severity,
            fact.occurred_on,
            fact.ref,
            fact.reference if fact.source == "system" else None,
        )
        return assess(history, self.rulebook, finding, day(as_of) if as_of else self.today())
