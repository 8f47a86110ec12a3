"""Application commands for findings, batches, complaints, cases, effects and appeals.

Mixed into ``OversightApplication``. Each command: authorise → load → ask the engine what
the rules require → let the aggregate validate and record → save everything together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from domain.access import Principal
from domain.credit import rating_at
from domain.detection import (
    Batch,
    FilingSnapshot,
    Flag,
    batch_flags,
    complaint_flags,
    inactivity_flags,
    overdue_flag,
)
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.escalation import Assessment, Finding, actions_for, assess_leniently, combine
from domain.history import History, ref_of
from domain.institution import Institution
from domain.ledger import Context, LedgerApplication
from domain.rulebook import Rulebook


@dataclass(frozen=True)
class BatchReport:
    batch_id: str
    occupation: str
    level: int
    evaluated_on: date
    site: str
    territory: str | None
    candidates: int
    unqualified_candidates: int
    passed: int
    paper_set_id: str


class CaseworkCommands(LedgerApplication):
    #: Defence period in days when the rulebook does not state one (from the settings).
    default_defence_days: int = 10

    # --- history and time travel ----------------------------------------------------------

    def _events(self, iid: UUID, known_at: datetime | None = None) -> list[Any]:
        events: list[Any] = list(self.repository.event_store.get(iid))
        if known_at is not None:
            events = [e for e in events if e.timestamp <= known_at]
        return events

    def history(self, iid: UUID, known_at: datetime | None = None) -> History:
        return History.from_events(self._events(iid, known_at))

    def institution_at(
        self,
        principal: Principal,
        iid: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> Institution:
        """The file as of a business date and/or as the store knew it at an instant."""
        self.institution(principal, iid)  # authorises the read
        events = self._events(iid, known_at)
        if as_of is not None:
            events = [e for e in events if e.occurred_on <= as_of or e.originator_version == 1]
        if not events:
            raise NotFound(f"institution {iid} was not yet known at {known_at}")
        # Business-date filtering leaves gaps in the version sequence, so the events are
        # applied directly rather than through the library's sequence-checking mutate().
        aggregate = cast(Institution, events[0].mutate(None))
        for event in events[1:]:
            event.apply(aggregate)
            aggregate.version = event.originator_version
            aggregate.modified_on = event.timestamp
        assert aggregate is not None
        return aggregate

    # --- findings -------------------------------------------------------------------------

    def _assess(
        self, inst: Institution, history: History, finding: Finding, as_of: date
    ) -> Assessment:
        return assess_leniently(history, self.catalogue, inst.jurisdiction, finding, as_of)

    def _check_rule_id(self, inst: Institution, rule_id: str, on: date) -> Rulebook:
        rulebook = self.rulebook_for(inst.jurisdiction, on)
        prefix, _, item = rule_id.partition("/")
        if prefix != rulebook.id or rulebook.item(item) is None:
            raise InvalidInput(
                f"{rule_id} is not an item of {rulebook.id} v{rulebook.version}, in force in"
                f" {inst.jurisdiction} on {on}",
                field="rule_id",
            )
        if rulebook.article_of(item).level is None:
            raise InvalidInput(f"{rule_id} is not a sanction item", field="rule_id")
        return rulebook

    def _add_finding(
        self,
        inst: Institution,
        history: History,
        stamp_ctx: Context,
        *,
        rule_id: str,
        severity: str,
        occurred_on: date,
        source: str,
        reference: str,
        facts: str,
        evidence: list[dict[str, str]],
        about_decision: str | None = None,
    ) -> str:
        finding_id = f"F-{inst.version + 1}"
        finding = Finding(finding_id, rule_id, severity, occurred_on, None, about_decision)
        assessment = self._assess(inst, history, finding, self.today())
        inst.record_finding(
            occurred_on,
            self.stamp(stamp_ctx),
            finding_id=finding_id,
            rule_id=rule_id,
            severity=severity,
            source=source,
            reference=reference,
            facts=facts,
            evidence=evidence,
            assessment=assessment.as_dict(),
        )
        return finding_id

    def record_finding(
        self,
        ctx: Context,
        iid: UUID,
        *,
        rule_id: str,
        severity: str,
        occurred_on: date,
        source: str,
        reference: str,
        facts: str,
        evidence: list[dict[str, str]],
    ) -> dict[str, Any]:
        self._not_future(occurred_on)
        inst = self._load_for(ctx, iid, "decide")
        self._check_rule_id(inst, rule_id, occurred_on)
        finding_id = self._add_finding(
            inst,
            self.history(iid),
            ctx,
            rule_id=rule_id,
            severity=severity,
            occurred_on=occurred_on,
            source=source,
            reference=reference,
            facts=facts,
            evidence=evidence,
        )
        return self._save_result(ctx, inst, finding_id=finding_id)

    def _raise_flags(self, ctx: Context, inst: Institution, flags: list[Flag]) -> list[str]:
        """Record each flag as a system finding, each assessed against the history so far."""
        ids: list[str] = []
        for flag in flags:
            history = History.from_events(self._events(inst.id) + inst.pending_events)
            ids.append(
                self._add_finding(
                    inst,
                    history,
                    ctx,
                    rule_id=flag.rule_id,
                    severity="minor",
                    occurred_on=flag.occurred_on,
                    source="system",
                    reference=flag.reference,
                    facts=f"{flag.detail_zh}\n{flag.detail_en}",
                    evidence=[],
                    about_decision=flag.about_decision,
                )
            )
        return ids

    def dismiss_finding(
        self, ctx: Context, iid: UUID, finding_id: str, on: date, reason: str
    ) -> dict[str, Any]:
        inst = self._load_for(ctx, iid, "decide")
        inst.dismiss_finding(on, self.stamp(ctx), finding_id, reason)
        return self._save_result(ctx, inst)

    # --- evaluation batches ----------------------------------------------------------------

    def report_evaluation(self, ctx: Context, iid: UUID, report: BatchReport) -> dict[str, Any]:
        """Record the batch (always) and raise a system finding for each check it fails."""
        self._not_future(report.evaluated_on, "evaluated_on")
        inst = self._load_for(ctx, iid, "apply")
        history = self.history(iid)
        rulebook = self.catalogue.in_force(inst.jurisdiction, report.evaluated_on)
        batch = Batch(
            batch_id=report.batch_id,
            occupation=report.occupation,
            level=report.level,
            evaluated_on=report.evaluated_on,
            site=report.site,
            territory=report.territory or inst.jurisdiction,
            candidates=report.candidates,
            unqualified_candidates=report.unqualified_candidates,
            paper_set_id=report.paper_set_id,
        )
        flags = (
            batch_flags(
                self._filing_on(inst, history, report.evaluated_on), history, rulebook, batch
            )
            if rulebook is not None
            else []
        )
        inst.report_evaluation(
            report.evaluated_on,
            self.stamp(ctx),
            batch_id=report.batch_id,
            occupation=report.occupation,
            level=report.level,
            site=report.site,
            territory=batch.territory,
            candidates=report.candidates,
            unqualified_candidates=report.unqualified_candidates,
            passed=report.passed,
            paper_set_id=report.paper_set_id,
            flags=[f.as_dict() for f in flags],
        )
        system = self._system_context(ctx)
        ids = self._raise_flags(system, inst, flags)
        return self._save_result(ctx, inst, batch_id=report.batch_id, finding_ids=ids)

    @staticmethod
    def _system_context(ctx: Context) -> Context:
        return Context(principal=Principal("system", "system"), request_id=ctx.request_id)

    @staticmethod
    def _filing_on(inst: Institution, history: History, day: date) -> FilingSnapshot:
        approved = inst.valid_from is not None and inst.valid_from <= day
        within = inst.valid_until is not None and day <= inst.valid_until
        revoked = any(
            s.has_kind("revocation") and s.effect_on is not None and s.effect_on <= day
            for s in history.in_force()
        )
        suspended = any(
            s.has_kind("rectification")
            and s.effect_on is not None
            and s.effect_on <= day
            and (s.accepted_on is None or day < s.accepted_on)
            for s in history.in_force()
        )
        ended = inst.status in ("cancelled", "lapsed") and not within
        return FilingSnapshot(
            jurisdiction=inst.jurisdiction,
            scope={line["occupation"]: set(line["levels"]) for line in inst.scope},
            test_sites=set(inst.test_sites),
            in_force=approved and within and not revoked and not ended,
            status="revoked" if revoked else inst.status,
            suspended=suspended,
        )

    # --- complaints -----------------------------------------------------------------------

    def receive_complaint(
        self, ctx: Context, iid: UUID, on: date, channel: str, summary: str, reference: str
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        complaint_id = f"CP-{inst.version + 1}"
        inst.receive_complaint(on, self.stamp(ctx), complaint_id, channel, summary, reference)
        return self._save_result(ctx, inst, complaint_id=complaint_id)

    def verify_complaint(
        self,
        ctx: Context,
        iid: UUID,
        complaint_id: str,
        on: date,
        substantiated: bool,
        reason: str,
        finding_rule_id: str | None = None,
        finding_occurred_on: date | None = None,
    ) -> dict[str, Any]:
        """Verify; a substantiated one may open a finding, and the count rule is checked."""
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        inst.verify_complaint(on, self.stamp(ctx), complaint_id, substantiated, reason)
        ids: list[str] = []
        if substantiated and finding_rule_id:
            conduct_on = finding_occurred_on or inst.complaints[complaint_id]["received_on"]
            self._check_rule_id(inst, finding_rule_id, conduct_on)
            ids.append(
                self._add_finding(
                    inst,
                    History.from_events(self._events(iid) + inst.pending_events),
                    ctx,
                    rule_id=finding_rule_id,
                    severity="minor",
                    occurred_on=conduct_on,
                    source="complaint",
                    reference=complaint_id,
                    facts=reason,
                    evidence=[],
                )
            )
        history = History.from_events(self._events(iid) + inst.pending_events)
        rulebook = self.catalogue.in_force(inst.jurisdiction, on)
        if rulebook is not None and substantiated:
            ids += self._raise_flags(
                self._system_context(ctx), inst, complaint_flags(history, rulebook, complaint_id)
            )
        return self._save_result(ctx, inst, finding_ids=ids)

    # --- annual assessment and credit rating ----------------------------------------------

    def record_annual_assessment(
        self,
        ctx: Context,
        iid: UUID,
        on: date,
        *,
        year: int,
        assessing_body: str,
        passed: bool,
        grade: str,
        scores: dict[str, float],
        remarks: str,
    ) -> dict[str, Any]:
        """Record the result; a failure raises the finding the rulebook names, if any."""
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        rulebook = self.rulebook_for(inst.jurisdiction, on)
        rules = rulebook.annual_assessment
        assessment_id = f"AA-{year}"
        inst.record_annual_assessment(
            on,
            self.stamp(ctx),
            assessment_id=assessment_id,
            year=year,
            assessing_body=assessing_body,
            passed=passed,
            grade=grade,
            scores=scores,
            remarks=remarks,
            dimensions=rules.dimensions,
            published=rules.published,
            articles=rules.articles,
        )
        ids: list[str] = []
        if not passed and rules.failed_item is not None:
            flag = Flag(
                "failed_annual_assessment",
                rulebook.cite(rules.failed_item),
                on,
                f"{year} 年度评估不合格（{assessing_body}）",
                f"failed the {year} assessment ({assessing_body})",
                assessment_id,
                (ref_of(cast(Any, inst.pending_events[-1])),),
            )
            ids = self._raise_flags(self._system_context(ctx), inst, [flag])
        return self._save_result(ctx, inst, assessment_id=assessment_id, finding_ids=ids)

    def credit_rating(self, principal: Principal, iid: UUID, as_of: date) -> dict[str, Any]:
        inst = self.institution(principal, iid)
        rulebook = self.catalogue.in_force(inst.jurisdiction, as_of) or self.catalogue.in_force(
            inst.jurisdiction, inst.submitted_on
        )
        if rulebook is None:
            raise NotFound(f"no rulebook of {inst.jurisdiction} covers {as_of}", field="as_of")
        rating = rating_at(self.history(iid), rulebook, as_of)
        return {"institution_id": str(iid), **rating.as_dict()}

    # --- assessment -----------------------------------------------------------------------

    def assessment(self, principal: Principal, iid: UUID, as_of: date) -> dict[str, Any]:
        """What the rules require at ``as_of`` for every finding not yet decided."""
        inst = self.institution(principal, iid)
        history = self.history(iid)
        open_findings = [f for f in history.open_findings() if f.occurred_on <= as_of]
        assessments = [
            self._assess(
                inst,
                history,
                Finding.of(f),
                as_of,
            )
            for f in open_findings
        ]
        rulebook = self.catalogue.in_force(inst.jurisdiction, as_of)
        due = inactivity_flags(history, rulebook, as_of) if rulebook and inst.holds_scope() else []
        return {
            "institution_id": str(iid),
            "as_of": as_of,
            "requirement": combine(assessments),
            "findings": [a.as_dict() for a in assessments],
            "due_system_findings": [
                {
                    **f.as_dict(),
                    "occurred_on": f.occurred_on,
                    "events": [r.as_dict() for r in f.events],
                }
                for f in due
            ],
        }

    # --- cases ----------------------------------------------------------------------------

    def _requirement(self, inst: Institution, case_id: str, as_of: date) -> dict[str, Any]:
        case = inst.case(case_id)
        history = History.from_events(self._events(inst.id) + inst.pending_events)
        assessments = []
        for fid in case["finding_ids"]:
            fact = history.finding(fid)
            assert fact is not None
            assessments.append(
                self._assess(
                    inst,
                    history,
                    Finding.of(fact),
                    as_of,
                )
            )
        requirement = combine(assessments)
        assert requirement is not None
        return requirement

    def open_case(
        self, ctx: Context, iid: UUID, on: date, finding_ids: list[str]
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        case_id = f"C-{inst.version + 1}"
        inst.open_case(on, self.stamp(ctx), case_id, finding_ids)
        return self._save_result(ctx, inst, case_id=case_id)

    def issue_notice(
        self,
        ctx: Context,
        iid: UUID,
        case_id: str,
        on: date,
        *,
        facts: str,
        reasons: str,
        intended_level: int | None = None,
        defence_days: int | None = None,
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        requirement = self._requirement(inst, case_id, on)
        rulebook = self.rulebook_for(inst.jurisdiction, on)
        level = requirement["level"] if intended_level is None else intended_level
        actions = self._actions_for_level(rulebook, level, requirement)[0]
        days = defence_days or rulebook.due_process.defence_days or self.default_defence_days
        inst.issue_notice(
            on,
            self.stamp(ctx),
            case_id=case_id,
            intended_level=level,
            intended_actions=list(actions),
            facts=facts,
            reasons=reasons,
            legal_basis=sorted({g["article"] for g in requirement["grounds"]})
            + list(rulebook.due_process.articles),
            defence_deadline=on + timedelta(days=days),
            requirement=requirement,
        )
        return self._save_result(ctx, inst)

    @staticmethod
    def _actions_for_level(
        rulebook: Rulebook, level: int, requirement: dict[str, Any]
    ) -> tuple[tuple[str, ...], int | None]:
        if level == requirement["level"]:
            return tuple(requirement["actions"]), requirement["ban_years"]
        article = next(a for a in rulebook.articles if a.level == level)
        return actions_for(article.effects)

    def submit_defence(
        self,
        ctx: Context,
        iid: UUID,
        case_id: str,
        on: date,
        statement: str,
        evidence: list[dict[str, str]],
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "apply")
        inst.submit_defence(on, self.stamp(ctx), case_id, statement, evidence)
        return self._save_result(ctx, inst)

    def waive_defence(self, ctx: Context, iid: UUID, case_id: str, on: date) -> dict[str, Any]:
        inst = self._load_for(ctx, iid, "apply")
        inst.waive_defence(on, self.stamp(ctx), case_id)
        return self._save_result(ctx, inst)

    def decide_case(
        self,
        ctx: Context,
        iid: UUID,
        case_id: str,
        on: date,
        *,
        reasons: str,
        level: int | None = None,
        below_reason: str = "",
        deciding_body: str | None = None,
        rectification_days: int | None = None,
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        rulebook = self.rulebook_for(inst.jurisdiction, on)
        requirement = self._requirement(inst, case_id, on)
        chosen = requirement["level"] if level is None else level
        if chosen not in (0, 1, 2, 3):
            raise InvalidInput("level must be 0-3", field="level")
        actions, ban_years = self._actions_for_level(rulebook, chosen, requirement)
        body = deciding_body or ("district" if ctx.principal.district else "city")
        if ctx.principal.district and body != "district":
            raise Forbidden("a district token decides as the district body")
        articles = (
            [requirement["article"]]
            if chosen == requirement["level"]
            else [
                rulebook.cite(next(a for a in rulebook.articles if a.level == chosen).items[0].id)
            ]
        )
        decision_id = f"D-{inst.version + 1}"
        inst.decide(
            on,
            self.stamp(ctx),
            case_id=case_id,
            decision_id=decision_id,
            level=chosen,
            actions=list(actions),
            articles=articles,
            reasons=reasons,
            deciding_body=body,
            requirement=requirement,
            below_reason=below_reason,
            rectification_days=rectification_days if chosen == 2 else None,
            ban_years=ban_years if "ban" in actions else None,
            ban_indefinite="ban" in actions and ban_years is None,
            revocation_authority=rulebook.due_process.revocation_authority,
            revocation_article=rulebook.due_process.revocation_authority_article,
            due_process_articles=list(rulebook.due_process.articles),
        )
        return self._save_result(ctx, inst, decision_id=decision_id)

    def serve_decision(
        self, ctx: Context, iid: UUID, case_id: str, on: date, void_batch_ids: list[str]
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        decision = inst.decision(inst.case(case_id)["decision_id"] or "")
        for batch_id in void_batch_ids:
            if batch_id not in inst.batches:
                raise InvalidInput(f"batch {batch_id} was never reported", field="void_batch_ids")
        actions = decision["actions"]
        inst.serve(
            on,
            self.stamp(ctx),
            case_id,
            public_announcement="public_announcement" in actions,
            abnormal_activity_list="abnormal_activity_list" in actions,
            void_batch_ids=void_batch_ids,
        )
        changed = self._update_rosters(ctx, inst, self._rosters_for(inst, inst.scope))
        return self._save_result(ctx, inst, *changed)

    def hold_interview(
        self,
        ctx: Context,
        iid: UUID,
        decision_id: str,
        on: date,
        attendees: list[str],
        pledge: str,
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        inst.hold_interview(on, self.stamp(ctx), decision_id, attendees, pledge)
        return self._save_result(ctx, inst)

    def submit_rectification_report(
        self, ctx: Context, iid: UUID, decision_id: str, on: date, report: str
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "apply")
        inst.submit_rectification_report(on, self.stamp(ctx), decision_id, report)
        return self._save_result(ctx, inst)

    def accept_rectification(
        self, ctx: Context, iid: UUID, decision_id: str, on: date, remarks: str
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        inst.accept_rectification(on, self.stamp(ctx), decision_id, remarks)
        return self._save_result(ctx, inst)

    def file_appeal(
        self, ctx: Context, iid: UUID, decision_id: str, on: date, kind: str, grounds: str
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "apply")
        appeal_id = f"A-{inst.version + 1}"
        inst.file_appeal(on, self.stamp(ctx), appeal_id, decision_id, kind, grounds)
        return self._save_result(ctx, inst, appeal_id=appeal_id)

    def decide_appeal(
        self,
        ctx: Context,
        iid: UUID,
        appeal_id: str,
        on: date,
        *,
        outcome: str,
        reasons: str,
        new_level: int | None = None,
    ) -> dict[str, Any]:
        self._not_future(on)
        inst = self._load_for(ctx, iid, "decide")
        rulebook = self.rulebook_for(inst.jurisdiction, on)
        new_actions: list[str] = []
        if outcome == "varied" and new_level is not None:
            article = next((a for a in rulebook.articles if a.level == new_level), None)
            if article is None:
                raise InvalidInput(f"{rulebook.id} has no level {new_level}", field="new_level")
            new_actions = list(actions_for(article.effects)[0])
        inst.decide_appeal(
            on,
            self.stamp(ctx),
            appeal_id=appeal_id,
            outcome=outcome,
            new_level=new_level,
            new_actions=new_actions,
            reasons=reasons,
        )
        changed = self._update_rosters(ctx, inst, self._rosters_for(inst, inst.scope))
        return self._save_result(ctx, inst, *changed)

    # --- on-site supervision --------------------------------------------------------------

    def pause_evaluation(
        self, ctx: Context, iid: UUID, session_id: str, on: date, problem: str
    ) -> dict[str, Any]:
        inst = self._load_for(ctx, iid, "read")
        if ctx.principal.role not in ("admin", "regulator", "supervisor"):
            raise Forbidden("only a supervisor or regulator pauses an evaluation")
        inst.pause_evaluation(on, self.stamp(ctx), session_id, ctx.principal.subject, problem)
        return self._save_result(ctx, inst)

    def resume_evaluation(
        self, ctx: Context, iid: UUID, session_id: str, on: date, correction: str
    ) -> dict[str, Any]:
        inst = self._load_for(ctx, iid, "read")
        if ctx.principal.role not in ("admin", "regulator", "supervisor"):
            raise Forbidden("only a supervisor or regulator resumes an evaluation")
        inst.resume_evaluation(on, self.stamp(ctx), session_id, correction)
        return self._save_result(ctx, inst)

    def stop_evaluation(
        self, ctx: Context, iid: UUID, session_id: str, on: date, reason: str, batch_id: str
    ) -> dict[str, Any]:
        inst = self._load_for(ctx, iid, "decide")
        inst.stop_evaluation(on, self.stamp(ctx), session_id, reason, batch_id)
        return self._save_result(ctx, inst)

    # --- deadlines ------------------------------------------------------------------------

    def advance_casework(self, iid: UUID, today: date, request_id: str) -> list[str]:
        """Overdue rectifications and inactivity due by ``today``, each recorded once."""
        ctx = Context(principal=Principal("deadline-worker", "system"), request_id=request_id)
        inst: Institution = self._get(Institution, iid)
        recorded: list[str] = []
        flags: list[Flag] = []
        for decision_id, deadline in inst.overdue_rectifications(today):
            inst.mark_rectification_overdue(self.stamp(ctx), decision_id, deadline)
            recorded.append("RectificationOverdue")
            flags += self._overdue(inst, decision_id, deadline)
        for visit_id, due in inst.overdue_opinion_reports(today):
            inst.mark_opinion_report_overdue(self.stamp(ctx), visit_id, due)
            recorded.append("SupervisionReportOverdue")
            flags += [
                replace(
                    flag,
                    check="opinion_report_overdue",
                    about_decision=None,
                    detail_zh=f"督导意见书（督导 {visit_id}）要求的整改报告逾期未交，期限 {due}",
                    detail_en="the rectification report required by the opinion letter of"
                    f" visit {visit_id} was not submitted by {due}",
                )
                for flag in self._overdue(inst, visit_id, due)
            ]
        if inst.holds_scope():
            rulebook = self.catalogue.in_force(inst.jurisdiction, today)
            if rulebook is not None:
                flags += inactivity_flags(self.history(iid), rulebook, today)
        recorded += ["FindingRecorded"] * len(self._raise_flags(ctx, inst, flags))
        if recorded:
            self._save_institution(ctx, inst)
        return recorded

    def _overdue(self, inst: Institution, reference: str, due: date) -> list[Flag]:
        """The overdue-rectification finding for what was just marked overdue, if the
        rulebook in force on the deadline has one."""
        rulebook = self.catalogue.in_force(inst.jurisdiction, due)
        if rulebook is None:
            return []
        marked = ref_of(cast(Any, inst.pending_events[-1]))
        flag = overdue_flag(rulebook, reference, due, marked)
        return [flag] if flag is not None else []

    # --- decision reconstruction ----------------------------------------------------------

    def explain_decision(self, principal: Principal, iid: UUID, decision_id: str) -> dict[str, Any]:
        inst = self.institution(principal, iid)
        events = self._events(iid)
        decided = next(
            (
                e
                for e in events
                if type(e).__name__ == "CaseDecided" and e.decision_id == decision_id
            ),
            None,
        )
        if decided is None:
            raise NotFound(f"decision {decision_id} does not exist", field="decision_id")
        known = [e for e in events if e.originator_version <= decided.known_version]
        stored = dict(decided.requirement)
        now_history = History.from_events(events)
        case_findings = inst.case(decided.case_id)["finding_ids"]
        recomputed: list[Assessment] = []
        for fid in case_findings:
            fact = now_history.finding(fid)
            assert fact is not None
            recomputed.append(
                self._assess(
                    inst,
                    now_history,
                    Finding.of(fact),
                    decided.occurred_on,
                )
            )
        now = combine(recomputed)
        assert now is not None
        then_grounds = {(g["rule"], g["article"]) for g in stored["grounds"]}
        now_grounds = {(g["rule"], g["article"]) for g in now["grounds"]}
        later = [e for e in events if e.originator_version > decided.originator_version]
        annulled = [
            {
                "decision_id": e.decision_id,
                "outcome": e.outcome,
                "version": e.originator_version,
                "occurred_on": e.occurred_on,
            }
            for e in later
            if type(e).__name__ == "AppealDecided" and e.outcome != "upheld"
        ]
        differs = now["level"] != stored["level"] or now_grounds != then_grounds
        why_en: list[str] = []
        why_zh: list[str] = []
        for rule, article in sorted(then_grounds - now_grounds):
            why_en.append(f"ground {rule} ({article}) no longer holds")
            why_zh.append(f"依据 {rule}（{article}）已不成立")
        for rule, article in sorted(now_grounds - then_grounds):
            why_en.append(f"ground {rule} ({article}) now holds")
            why_zh.append(f"依据 {rule}（{article}）现已成立")
        for a in annulled:
            why_en.append(
                f"decision {a['decision_id']} was {a['outcome']} on appeal ({a['occurred_on']})"
            )
            verb = "撤销" if a["outcome"] == "annulled" else "变更"
            why_zh.append(f"决定 {a['decision_id']} 经复议或诉讼被{verb}（{a['occurred_on']}）")
        return {
            "decision_id": decision_id,
            "case_id": decided.case_id,
            "decided_on": decided.occurred_on,
            "recorded_at": decided.timestamp,
            "decided_by": {
                "actor": decided.actor,
                "role": decided.role,
                "body": decided.deciding_body,
            },
            "known_events": [
                {
                    "version": e.originator_version,
                    "type": type(e).__name__,
                    "occurred_on": e.occurred_on,
                    "recorded_at": e.timestamp,
                }
                for e in known
            ],
            "rulebook": stored["rulebook"],
            "requirement_then": stored,
            "decision": {
                "level": decided.level,
                "actions": list(decided.actions),
                "articles": list(decided.articles),
                "reasons": decided.reasons,
                "below_requirement": decided.below_requirement,
                "below_reason": decided.below_reason,
            },
            "requirement_now": now,
            "would_differ": differs,
            "why_en": why_en if differs else [],
            "why_zh": why_zh if differs else [],
            "later_appeals": annulled,
        }
