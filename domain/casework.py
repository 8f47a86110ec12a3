"""The Institution's casework: findings, batches, complaints, due process, effects, appeals.

Mixed into ``Institution``. Public methods validate and record; ``_on_*`` handlers only
assign state (they run again on every replay). Judgement (what the rules require) is made
by the engine before these are called and arrives as data to be recorded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from domain.base import Stamp
from domain.calendar import add_years
from domain.errors import Conflict, InvalidInput, NotFound, RuleRefusal
from domain.events import (
    AnnualAssessmentRecorded,
    AppealDecided,
    AppealFiled,
    CaseDecided,
    CaseOpened,
    ComplaintReceived,
    ComplaintVerified,
    DecisionServed,
    DefenceSubmitted,
    DefenceWaived,
    EvaluationPaused,
    EvaluationReported,
    EvaluationResumed,
    EvaluationStopped,
    FilingRevoked,
    FindingDismissed,
    FindingRecorded,
    InterviewHeld,
    NoticeIssued,
    RectificationAccepted,
    RectificationOrdered,
    RectificationOverdue,
    RectificationReportSubmitted,
    ResultsVoided,
    SupervisionOpinionIssued,
    SupervisionReportOverdue,
    SupervisionReportSubmitted,
)

if TYPE_CHECKING:
    from domain.base import LedgerAggregate

    _Base = LedgerAggregate
else:
    _Base = object

SEVERITIES = ("minor", "serious")
SOURCES = ("inspection", "complaint", "self_report", "media", "audit", "system", "supervision")
BODIES = ("district", "city", "province")
BODY_RANK = {"district": 0, "city": 1, "province": 2}
APPEAL_KINDS = ("reconsideration", "review")
APPEAL_OUTCOMES = ("upheld", "varied", "annulled")


class CaseworkMixin(_Base):
    status: str
    valid_until: date | None
    findings: dict[str, dict[str, Any]]
    complaints: dict[str, dict[str, Any]]
    batches: dict[str, dict[str, Any]]
    cases: dict[str, dict[str, Any]]
    decisions: dict[str, dict[str, Any]]
    appeals: dict[str, dict[str, Any]]
    sessions: dict[str, dict[str, Any]]
    annual_assessments: dict[str, dict[str, Any]]
    opinions: dict[str, dict[str, Any]]
    suspensions: list[str]
    ban_until: date | None
    ban_indefinite: bool
    ban_decision: str | None
    status_before_revocation: str | None
    last_evaluated_on: date | None
    evaluations_reported: int

    def _init_casework(self) -> None:
        self.findings = {}
        self.complaints = {}
        self.batches = {}
        self.cases = {}
        self.decisions = {}
        self.appeals = {}
        self.sessions = {}
        self.annual_assessments = {}
        self.opinions = {}
        self.suspensions = []
        self.ban_until = None
        self.ban_indefinite = False
        self.ban_decision = None
        self.status_before_revocation = None
        self.last_evaluated_on = None

    @property
    def suspended(self) -> bool:
        return bool(self.suspensions)

    def banned_on(self, day: date) -> bool:
        return self.ban_indefinite or (self.ban_until is not None and day < self.ban_until)

    # --- findings -------------------------------------------------------------------------

    def record_finding(
        self,
        on: date,
        stamp: Stamp,
        *,
        finding_id: str,
        rule_id: str,
        severity: str,
        source: str,
        reference: str,
        facts: str,
        evidence: list[dict[str, str]],
        assessment: dict[str, Any],
    ) -> None:
        if severity not in SEVERITIES:
            raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
        if source not in SOURCES:
            raise InvalidInput(f"source must be one of {', '.join(SOURCES)}", field="source")
        if finding_id in self.findings:
            raise Conflict(f"finding {finding_id} already exists", existing=finding_id)
        for i, item in enumerate(evidence):
            digest = item.get("sha256", "")
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise InvalidInput(
                    "sha256 must be 64 lowercase hex characters", field=f"evidence.{i}.sha256"
                )
        self._record(
            FindingRecorded,
            stamp=stamp,
            occurred_on=on,
            finding_id=finding_id,
            rule_id=rule_id,
            severity=severity,
            source=source,
            reference=reference,
            facts=facts,
            evidence=evidence,
            assessment=assessment,
        )

    def _on_FindingRecorded(self, e: FindingRecorded) -> None:
        self.findings[e.finding_id] = {
            "rule_id": e.rule_id,
            "severity": e.severity,
            "occurred_on": e.occurred_on,
            "source": e.source,
            "case_id": None,
            "dismissed": False,
            "decided": False,
        }

    def dismiss_finding(self, on: date, stamp: Stamp, finding_id: str, reason: str) -> None:
        finding = self._finding(finding_id)
        if finding["decided"] or finding["case_id"]:
            raise Conflict(f"finding {finding_id} is already in case {finding['case_id']}")
        if finding["dismissed"]:
            raise Conflict(f"finding {finding_id} is already dismissed")
        _reason(reason)
        self._record(
            FindingDismissed, stamp=stamp, occurred_on=on, finding_id=finding_id, reason=reason
        )

    def _on_FindingDismissed(self, e: FindingDismissed) -> None:
        self.findings[e.finding_id]["dismissed"] = True

    def _finding(self, finding_id: str) -> dict[str, Any]:
        try:
            return self.findings[finding_id]
        except KeyError:
            raise NotFound(f"finding {finding_id} does not exist", field="finding_id") from None

    # --- evaluation batches ----------------------------------------------------------------

    def report_evaluation(
        self,
        on: date,
        stamp: Stamp,
        *,
        batch_id: str,
        occupation: str,
        level: int,
        site: str,
        territory: str,
        candidates: int,
        unqualified_candidates: int,
        passed: int,
        paper_set_id: str,
        flags: list[dict[str, str]],
    ) -> None:
        if batch_id in self.batches:
            raise Conflict(f"batch {batch_id} was already reported", existing=batch_id)
        if candidates < 1:
            raise InvalidInput("a batch has at least one candidate", field="candidates")
        if not 0 <= unqualified_candidates <= candidates:
            raise InvalidInput(
                "unqualified candidates must be between 0 and the candidates",
                field="unqualified_candidates",
            )
        if not 0 <= passed <= candidates:
            raise InvalidInput("passed must be between 0 and the candidates", field="passed")
        if level not in (1, 2, 3, 4, 5):
            raise InvalidInput("level must be 1-5", field="level")
        self._record(
            EvaluationReported,
            stamp=stamp,
            occurred_on=on,
            batch_id=batch_id,
            occupation=occupation,
            level=level,
            site=site,
            territory=territory,
            candidates=candidates,
            unqualified_candidates=unqualified_candidates,
            passed=passed,
            paper_set_id=paper_set_id,
            flags=flags,
        )

    def _on_EvaluationReported(self, e: EvaluationReported) -> None:
        self.batches[e.batch_id] = {"evaluated_on": e.occurred_on, "flags": len(e.flags)}
        self.evaluations_reported += 1
        if self.last_evaluated_on is None or e.occurred_on > self.last_evaluated_on:
            self.last_evaluated_on = e.occurred_on

    # --- complaints -----------------------------------------------------------------------

    def receive_complaint(
        self, on: date, stamp: Stamp, complaint_id: str, channel: str, summary: str, reference: str
    ) -> None:
        if complaint_id in self.complaints:
            raise Conflict(f"complaint {complaint_id} already exists", existing=complaint_id)
        if not summary.strip():
            raise InvalidInput("summary must not be empty", field="summary")
        self._record(
            ComplaintReceived,
            stamp=stamp,
            occurred_on=on,
            complaint_id=complaint_id,
            channel=channel,
            summary=summary,
            reference=reference,
        )

    def _on_ComplaintReceived(self, e: ComplaintReceived) -> None:
        self.complaints[e.complaint_id] = {"received_on": e.occurred_on, "substantiated": None}

    def verify_complaint(
        self, on: date, stamp: Stamp, complaint_id: str, substantiated: bool, reason: str
    ) -> None:
        complaint = self.complaints.get(complaint_id)
        if complaint is None:
            raise NotFound(f"complaint {complaint_id} does not exist", field="complaint_id")
        if complaint["substantiated"] is not None:
            raise Conflict(f"complaint {complaint_id} is already verified")
        if on < complaint["received_on"]:
            raise InvalidInput("verification cannot precede receipt", field="occurred_on")
        _reason(reason)
        self._record(
            ComplaintVerified,
            stamp=stamp,
            occurred_on=on,
            complaint_id=complaint_id,
            substantiated=substantiated,
            reason=reason,
        )

    def _on_ComplaintVerified(self, e: ComplaintVerified) -> None:
        self.complaints[e.complaint_id]["substantiated"] = e.substantiated

    # --- annual assessment ----------------------------------------------------------------

    def record_annual_assessment(
        self,
        on: date,
        stamp: Stamp,
        *,
        assessment_id: str,
        year: int,
        assessing_body: str,
        passed: bool,
        grade: str,
        scores: dict[str, float],
        remarks: str,
        dimensions: tuple[str, ...],
        published: bool = False,
        articles: tuple[str, ...] = (),
    ) -> None:
        if any(a["year"] == year for a in self.annual_assessments.values()):
            raise Conflict(f"the {year} assessment is already recorded", field="year")
        if year > on.year:
            raise InvalidInput("an assessment cannot be of a year not yet begun", field="year")
        unknown = sorted(set(scores) - set(dimensions)) if dimensions else []
        if unknown:
            raise InvalidInput(
                f"{unknown[0]} is not a dimension ({', '.join(dimensions)})", field="scores"
            )
        for name, value in scores.items():
            if not 0 <= value <= 100:
                raise InvalidInput("scores are 0-100", field=f"scores.{name}")
        if not assessing_body.strip():
            raise InvalidInput("name the assessing body", field="assessing_body")
        self._record(
            AnnualAssessmentRecorded,
            stamp=stamp,
            occurred_on=on,
            assessment_id=assessment_id,
            year=year,
            assessing_body=assessing_body,
            passed=passed,
            grade=grade,
            scores=scores,
            remarks=remarks,
            published=published,
            articles=list(articles),
        )

    def _on_AnnualAssessmentRecorded(self, e: AnnualAssessmentRecorded) -> None:
        self.annual_assessments[e.assessment_id] = {
            "year": e.year,
            "passed": e.passed,
            "grade": e.grade,
            "recorded_on": e.occurred_on,
        }

    # --- cases and due process ------------------------------------------------------------

    def open_case(self, on: date, stamp: Stamp, case_id: str, finding_ids: list[str]) -> None:
        if not finding_ids:
            raise InvalidInput("a case needs at least one finding", field="finding_ids")
        for fid in finding_ids:
            finding = self._finding(fid)
            if finding["dismissed"]:
                raise Conflict(f"finding {fid} was dismissed", field="finding_ids")
            if finding["case_id"] is not None:
                raise Conflict(
                    f"finding {fid} is already in case {finding['case_id']}",
                    existing=finding["case_id"],
                    field="finding_ids",
                )
        self._record(
            CaseOpened, stamp=stamp, occurred_on=on, case_id=case_id, finding_ids=finding_ids
        )

    def _on_CaseOpened(self, e: CaseOpened) -> None:
        self.cases[e.case_id] = {
            "finding_ids": list(e.finding_ids),
            "step": "opened",
            "opened_on": e.occurred_on,
            "defence_deadline": None,
            "defences": 0,
            "waived": False,
            "decision_id": None,
        }
        for fid in e.finding_ids:
            self.findings[fid]["case_id"] = e.case_id

    def case(self, case_id: str) -> dict[str, Any]:
        try:
            return self.cases[case_id]
        except KeyError:
            raise NotFound(f"case {case_id} does not exist", field="case_id") from None

    def issue_notice(
        self,
        on: date,
        stamp: Stamp,
        *,
        case_id: str,
        intended_level: int,
        intended_actions: list[str],
        facts: str,
        reasons: str,
        legal_basis: list[str],
        defence_deadline: date,
        requirement: dict[str, Any],
    ) -> None:
        case = self.case(case_id)
        if case["step"] != "opened":
            raise Conflict(f"case {case_id} already has a notice (step: {case['step']})")
        if defence_deadline <= on:
            raise InvalidInput("the defence deadline must follow the notice", field="defence_days")
        for name, value in (("facts", facts), ("reasons", reasons)):
            if not value.strip():
                raise InvalidInput(f"a notice states its {name}", field=name)
        if not legal_basis:
            raise InvalidInput("a notice states its legal basis", field="legal_basis")
        self._record(
            NoticeIssued,
            stamp=stamp,
            occurred_on=on,
            case_id=case_id,
            intended_level=intended_level,
            intended_actions=intended_actions,
            facts=facts,
            reasons=reasons,
            legal_basis=legal_basis,
            defence_deadline=defence_deadline,
            requirement=requirement,
        )

    def _on_NoticeIssued(self, e: NoticeIssued) -> None:
        case = self.cases[e.case_id]
        case["step"] = "noticed"
        case["noticed_on"] = e.occurred_on
        case["defence_deadline"] = e.defence_deadline
        case["intended_level"] = e.intended_level

    def submit_defence(
        self, on: date, stamp: Stamp, case_id: str, statement: str, evidence: list[dict[str, str]]
    ) -> None:
        case = self.case(case_id)
        if case["step"] != "noticed":
            raise Conflict(f"case {case_id} is not awaiting a defence (step: {case['step']})")
        if case["waived"]:
            raise Conflict("the institution waived its defence")
        if on > case["defence_deadline"]:
            raise RuleRefusal(
                f"the defence period ended on {case['defence_deadline']}", field="occurred_on"
            )
        if not statement.strip():
            raise InvalidInput("a defence states something", field="statement")
        self._record(
            DefenceSubmitted,
            stamp=stamp,
            occurred_on=on,
            case_id=case_id,
            statement=statement,
            evidence=evidence,
        )

    def _on_DefenceSubmitted(self, e: DefenceSubmitted) -> None:
        self.cases[e.case_id]["defences"] += 1

    def waive_defence(self, on: date, stamp: Stamp, case_id: str) -> None:
        case = self.case(case_id)
        if case["step"] != "noticed" or case["waived"]:
            raise Conflict(f"case {case_id} cannot waive its defence now (step: {case['step']})")
        self._record(DefenceWaived, stamp=stamp, occurred_on=on, case_id=case_id)

    def _on_DefenceWaived(self, e: DefenceWaived) -> None:
        self.cases[e.case_id]["waived"] = True

    def decide(
        self,
        on: date,
        stamp: Stamp,
        *,
        case_id: str,
        decision_id: str,
        level: int,
        actions: list[str],
        articles: list[str],
        reasons: str,
        deciding_body: str,
        requirement: dict[str, Any],
        below_reason: str,
        rectification_days: int | None,
        ban_years: int | None,
        ban_indefinite: bool,
        revocation_authority: str,
        revocation_article: str | None,
        due_process_articles: list[str],
    ) -> None:
        case = self.case(case_id)
        if case["step"] == "opened":
            raise RuleRefusal(
                "no decision without a notice of the intended decision (facts, reasons, basis)",
                field="case_id",
                articles=due_process_articles,
            )
        if case["step"] != "noticed":
            raise Conflict(f"case {case_id} is already decided")
        heard = case["defences"] > 0 or case["waived"]
        if not heard and on <= case["defence_deadline"]:
            raise RuleRefusal(
                f"the defence period runs until {case['defence_deadline']};"
                " decide after it, or once a defence is submitted or waived",
                field="occurred_on",
                articles=due_process_articles,
            )
        if not reasons.strip():
            raise InvalidInput("a decision states its reasons", field="reasons")
        if deciding_body not in BODIES:
            raise InvalidInput(
                f"deciding_body must be one of {', '.join(BODIES)}", field="deciding_body"
            )
        required = int(requirement.get("level", 0))
        below = level < required
        if below and not below_reason.strip():
            raise RuleRefusal(
                f"the rules require level {required} ({requirement.get('article')});"
                " a lower decision needs a written reason",
                field="below_reason",
                articles=[str(requirement.get("article"))],
            )
        if (
            level == 3
            and revocation_authority != "any"
            and BODY_RANK[deciding_body] < BODY_RANK[revocation_authority]
        ):
            raise RuleRefusal(
                f"a revocation is decided by the {revocation_authority} body,"
                f" not the {deciding_body}",
                field="deciding_body",
                articles=[revocation_article] if revocation_article else [],
            )
        if level == 2 and (rectification_days is None or rectification_days < 1):
            raise InvalidInput(
                "a rectification order sets its period in days", field="rectification_days"
            )
        self._record(
            CaseDecided,
            stamp=stamp,
            occurred_on=on,
            case_id=case_id,
            decision_id=decision_id,
            level=level,
            actions=actions,
            articles=articles,
            reasons=reasons,
            deciding_body=deciding_body,
            requirement=requirement,
            below_requirement=below,
            below_reason=below_reason,
            known_version=self.version,
            rectification_days=rectification_days,
            ban_years=ban_years,
            ban_indefinite=ban_indefinite,
        )

    def _on_CaseDecided(self, e: CaseDecided) -> None:
        case = self.cases[e.case_id]
        case["step"] = "decided"
        case["decision_id"] = e.decision_id
        for fid in case["finding_ids"]:
            self.findings[fid]["decided"] = True
        self.decisions[e.decision_id] = {
            "case_id": e.case_id,
            "level": e.level,
            "actions": list(e.actions),
            "articles": list(e.articles),
            "decided_on": e.occurred_on,
            "served_on": None,
            "rectification_days": e.rectification_days,
            "ban_years": e.ban_years,
            "ban_indefinite": e.ban_indefinite,
            "rectification": None,
            "interview_held": False,
            "rescinded": False,
            "below_requirement": e.below_requirement,
        }

    def decision(self, decision_id: str) -> dict[str, Any]:
        try:
            return self.decisions[decision_id]
        except KeyError:
            raise NotFound(f"decision {decision_id} does not exist", field="decision_id") from None

    def serve(
        self,
        on: date,
        stamp: Stamp,
        case_id: str,
        *,
        public_announcement: bool,
        abnormal_activity_list: bool,
        void_batch_ids: list[str],
    ) -> None:
        """Serve the decision and apply its effects (suspension, revocation, voiding)."""
        case = self.case(case_id)
        if case["step"] != "decided":
            raise Conflict(f"case {case_id} has no decision to serve (step: {case['step']})")
        decision_id = case["decision_id"]
        decision = self.decisions[decision_id]
        if on < decision["decided_on"]:
            raise InvalidInput("service cannot precede the decision", field="occurred_on")
        self._record(
            DecisionServed, stamp=stamp, occurred_on=on, case_id=case_id, decision_id=decision_id
        )
        self._apply_effects(
            on,
            stamp,
            decision_id,
            decision["level"],
            decision["actions"],
            public_announcement,
            abnormal_activity_list,
            void_batch_ids,
        )

    def _apply_effects(
        self,
        on: date,
        stamp: Stamp,
        decision_id: str,
        level: int,
        actions: list[str],
        public_announcement: bool,
        abnormal_activity_list: bool,
        void_batch_ids: list[str],
    ) -> None:
        decision = self.decisions[decision_id]
        if "void_results" in actions:
            for batch_id in void_batch_ids:
                self._record(
                    ResultsVoided,
                    stamp=stamp,
                    occurred_on=on,
                    decision_id=decision_id,
                    batch_id=batch_id,
                    certificates=[],
                )
        if level == 2 or "rectification" in actions:
            days = decision["rectification_days"] or 30
            self._record(
                RectificationOrdered,
                stamp=stamp,
                occurred_on=on,
                decision_id=decision_id,
                deadline=on + timedelta(days=days),
                suspended_from=on,
                public_announcement=public_announcement,
                abnormal_activity_list=abnormal_activity_list,
            )
        if level == 3 or "revocation" in actions:
            indefinite = bool(decision["ban_indefinite"])
            years = decision["ban_years"]
            self._record(
                FilingRevoked,
                stamp=stamp,
                occurred_on=on,
                decision_id=decision_id,
                ban_until=None if indefinite or not years else add_years(on, int(years)),
                ban_indefinite=indefinite,
            )

    def _on_DecisionServed(self, e: DecisionServed) -> None:
        self.cases[e.case_id]["step"] = "served"
        self.decisions[e.decision_id]["served_on"] = e.occurred_on

    def _on_ResultsVoided(self, e: ResultsVoided) -> None:
        batch = self.batches.get(e.batch_id)
        if batch is not None:
            batch["voided_by"] = e.decision_id

    def _on_RectificationOrdered(self, e: RectificationOrdered) -> None:
        self.decisions[e.decision_id]["rectification"] = {
            "deadline": e.deadline,
            "state": "ordered",
            "reports": 0,
        }
        if e.decision_id not in self.suspensions:
            self.suspensions.append(e.decision_id)

    def _on_FilingRevoked(self, e: FilingRevoked) -> None:
        self.status_before_revocation = self.status
        self.status = "revoked"
        self.ban_until = e.ban_until
        self.ban_indefinite = e.ban_indefinite
        self.ban_decision = e.decision_id

    # --- effects that follow --------------------------------------------------------------

    def hold_interview(
        self, on: date, stamp: Stamp, decision_id: str, attendees: list[str], pledge: str
    ) -> None:
        decision = self.decision(decision_id)
        if "interview" not in decision["actions"] or decision["served_on"] is None:
            raise Conflict(
                f"decision {decision_id} does not call for an interview (or is unserved)"
            )
        if decision["interview_held"]:
            raise Conflict("the interview was already held")
        if decision["rescinded"]:
            raise Conflict(f"decision {decision_id} was annulled")
        if not attendees:
            raise InvalidInput("name who attended", field="attendees")
        self._record(
            InterviewHeld,
            stamp=stamp,
            occurred_on=on,
            decision_id=decision_id,
            attendees=attendees,
            pledge=pledge,
        )

    def _on_InterviewHeld(self, e: InterviewHeld) -> None:
        self.decisions[e.decision_id]["interview_held"] = True

    def _rectification(self, decision_id: str) -> dict[str, Any]:
        rect = self.decision(decision_id)["rectification"]
        if rect is None:
            raise Conflict(f"decision {decision_id} ordered no rectification")
        if rect["state"] == "accepted":
            raise Conflict(f"the rectification of {decision_id} was already accepted")
        if self.decisions[decision_id]["rescinded"]:
            raise Conflict(f"decision {decision_id} was annulled")
        result: dict[str, Any] = rect
        return result

    def submit_rectification_report(
        self, on: date, stamp: Stamp, decision_id: str, report: str
    ) -> None:
        self._rectification(decision_id)
        if not report.strip():
            raise InvalidInput("the report states what was done", field="report")
        self._record(
            RectificationReportSubmitted,
            stamp=stamp,
            occurred_on=on,
            decision_id=decision_id,
            report=report,
        )

    def _on_RectificationReportSubmitted(self, e: RectificationReportSubmitted) -> None:
        rect = self.decisions[e.decision_id]["rectification"]
        rect["reports"] += 1
        if rect["state"] == "ordered":
            rect["state"] = "reported"

    def accept_rectification(self, on: date, stamp: Stamp, decision_id: str, remarks: str) -> None:
        rect = self._rectification(decision_id)
        if rect["reports"] == 0:
            raise Conflict("no rectification report has been submitted")
        self._record(
            RectificationAccepted,
            stamp=stamp,
            occurred_on=on,
            decision_id=decision_id,
            remarks=remarks,
        )

    def _on_RectificationAccepted(self, e: RectificationAccepted) -> None:
        self.decisions[e.decision_id]["rectification"]["state"] = "accepted"
        if e.decision_id in self.suspensions:
            self.suspensions.remove(e.decision_id)

    def overdue_rectifications(self, today: date) -> list[tuple[str, date]]:
        """(decision id, deadline) of rectifications past their deadline and not yet marked."""
        due: list[tuple[str, date]] = []
        for decision_id, decision in sorted(self.decisions.items()):
            rect = decision["rectification"]
            if (
                rect is not None
                and not decision["rescinded"]
                and rect["state"] in ("ordered", "reported")
                and today > rect["deadline"]
            ):
                due.append((decision_id, rect["deadline"]))
        return due

    def mark_rectification_overdue(self, stamp: Stamp, decision_id: str, deadline: date) -> None:
        self._record(
            RectificationOverdue,
            stamp=stamp,
            occurred_on=deadline + timedelta(days=1),
            decision_id=decision_id,
            deadline=deadline,
        )

    def _on_RectificationOverdue(self, e: RectificationOverdue) -> None:
        self.decisions[e.decision_id]["rectification"]["state"] = "overdue"

    # --- appeals --------------------------------------------------------------------------

    def file_appeal(
        self, on: date, stamp: Stamp, appeal_id: str, decision_id: str, kind: str, grounds: str
    ) -> None:
        decision = self.decision(decision_id)
        if decision["served_on"] is None:
            raise Conflict(f"decision {decision_id} has not been served")
        if kind not in APPEAL_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(APPEAL_KINDS)}", field="kind")
        if any(
            a["decision_id"] == decision_id and a["outcome"] is None for a in self.appeals.values()
        ):
            raise Conflict(f"an appeal against {decision_id} is pending")
        _reason(grounds)
        self._record(
            AppealFiled,
            stamp=stamp,
            occurred_on=on,
            appeal_id=appeal_id,
            decision_id=decision_id,
            kind=kind,
            grounds=grounds,
        )

    def _on_AppealFiled(self, e: AppealFiled) -> None:
        self.appeals[e.appeal_id] = {
            "decision_id": e.decision_id,
            "kind": e.kind,
            "filed_on": e.occurred_on,
            "outcome": None,
        }

    def decide_appeal(
        self,
        on: date,
        stamp: Stamp,
        *,
        appeal_id: str,
        outcome: str,
        new_level: int | None,
        new_actions: list[str],
        reasons: str,
    ) -> None:
        appeal = self.appeals.get(appeal_id)
        if appeal is None:
            raise NotFound(f"appeal {appeal_id} does not exist", field="appeal_id")
        if appeal["outcome"] is not None:
            raise Conflict(f"appeal {appeal_id} was already decided")
        if outcome not in APPEAL_OUTCOMES:
            raise InvalidInput(
                f"outcome must be one of {', '.join(APPEAL_OUTCOMES)}", field="outcome"
            )
        if outcome == "varied" and new_level is None:
            raise InvalidInput("a varied decision names its new level", field="new_level")
        _reason(reasons)
        decision_id = appeal["decision_id"]
        self._record(
            AppealDecided,
            stamp=stamp,
            occurred_on=on,
            appeal_id=appeal_id,
            decision_id=decision_id,
            outcome=outcome,
            new_level=new_level if outcome == "varied" else None,
            new_actions=new_actions if outcome == "varied" else [],
            reasons=reasons,
        )
        if outcome == "varied" and new_level is not None:
            self._apply_effects(on, stamp, decision_id, new_level, new_actions, False, False, [])

    def _on_AppealDecided(self, e: AppealDecided) -> None:
        self.appeals[e.appeal_id]["outcome"] = e.outcome
        if e.outcome == "upheld":
            return
        decision = self.decisions[e.decision_id]
        # Compensate the old decision's effects: nothing is deleted, they stop applying.
        if e.decision_id in self.suspensions:
            self.suspensions.remove(e.decision_id)
        if decision["rectification"] is not None:
            decision["rectification"]["state"] = "lifted"
        if self.ban_decision == e.decision_id:
            self.status = self.status_before_revocation or "active"
            self.ban_until = None
            self.ban_indefinite = False
            self.ban_decision = None
        if e.outcome == "annulled":
            decision["rescinded"] = True
        else:
            decision["level"] = e.new_level
            decision["actions"] = list(e.new_actions)
            decision["rectification"] = None
            decision["interview_held"] = False

    # --- on-site supervision (hunan-2023/17.3) --------------------------------------------

    def pause_evaluation(
        self,
        on: date,
        stamp: Stamp,
        session_id: str,
        supervisor: str,
        problem: str,
        assignment_id: str = "",
    ) -> None:
        if self.sessions.get(session_id, {}).get("state") in ("paused", "stopped"):
            raise Conflict(f"session {session_id} is {self.sessions[session_id]['state']}")
        _reason(problem)
        self._record(
            EvaluationPaused,
            stamp=stamp,
            occurred_on=on,
            session_id=session_id,
            supervisor=supervisor,
            problem=problem,
            assignment_id=assignment_id,
        )

    def _on_EvaluationPaused(self, e: EvaluationPaused) -> None:
        self.sessions[e.session_id] = {"state": "paused", "paused_on": e.occurred_on}

    def resume_evaluation(self, on: date, stamp: Stamp, session_id: str, correction: str) -> None:
        if self.sessions.get(session_id, {}).get("state") != "paused":
            raise Conflict(f"session {session_id} is not paused")
        _reason(correction)
        self._record(
            EvaluationResumed,
            stamp=stamp,
            occurred_on=on,
            session_id=session_id,
            correction=correction,
        )

    def _on_EvaluationResumed(self, e: EvaluationResumed) -> None:
        self.sessions[e.session_id]["state"] = "resumed"

    def stop_evaluation(
        self, on: date, stamp: Stamp, session_id: str, reason: str, batch_id: str
    ) -> None:
        if self.sessions.get(session_id, {}).get("state") != "paused":
            raise Conflict(f"session {session_id} must be paused before it is stopped")
        _reason(reason)
        self._record(
            EvaluationStopped,
            stamp=stamp,
            occurred_on=on,
            session_id=session_id,
            reason=reason,
            batch_id=batch_id,
        )

    def _on_EvaluationStopped(self, e: EvaluationStopped) -> None:
        self.sessions[e.session_id]["state"] = "stopped"
        batch = self.batches.get(e.batch_id)
        if batch is not None:
            batch["voided_by"] = f"stopped:{e.session_id}"


class OpinionsMixin(_Base):
    """Special supervision's opinion letter and the rectification report it requires."""

    opinions: dict[str, dict[str, Any]]

    def issue_opinion(
        self,
        on: date,
        stamp: Stamp,
        visit_id: str,
        opinions: list[str],
        report_due: date,
        articles: list[str],
    ) -> None:
        if visit_id in self.opinions:
            raise Conflict(f"visit {visit_id} already has its opinion letter", existing=visit_id)
        if not opinions or any(not o.strip() for o in opinions):
            raise InvalidInput("an opinion letter states its opinions", field="opinions")
        if report_due <= on:
            raise InvalidInput("the report is due after the letter", field="report_due")
        self._record(
            SupervisionOpinionIssued,
            stamp=stamp,
            occurred_on=on,
            visit_id=visit_id,
            opinions=opinions,
            report_due=report_due,
            articles=articles,
        )

    def _on_SupervisionOpinionIssued(self, e: SupervisionOpinionIssued) -> None:
        self.opinions[e.visit_id] = {"report_due": e.report_due, "state": "awaiting_report"}

    def submit_opinion_report(self, on: date, stamp: Stamp, visit_id: str, report: str) -> None:
        opinion = self.opinions.get(visit_id)
        if opinion is None:
            raise NotFound(f"no opinion letter for visit {visit_id}", field="visit_id")
        if opinion["state"] == "reported":
            raise Conflict("the rectification report was already submitted")
        if not report.strip():
            raise InvalidInput("the report states what was done", field="report")
        self._record(
            SupervisionReportSubmitted,
            stamp=stamp,
            occurred_on=on,
            visit_id=visit_id,
            report=report,
        )

    def _on_SupervisionReportSubmitted(self, e: SupervisionReportSubmitted) -> None:
        self.opinions[e.visit_id]["state"] = "reported"

    def overdue_opinion_reports(self, today: date) -> list[tuple[str, date]]:
        return [
            (vid, o["report_due"])
            for vid, o in sorted(self.opinions.items())
            if o["state"] == "awaiting_report" and today > o["report_due"]
        ]

    def mark_opinion_report_overdue(self, stamp: Stamp, visit_id: str, due: date) -> None:
        self._record(
            SupervisionReportOverdue,
            stamp=stamp,
            occurred_on=due + timedelta(days=1),
            visit_id=visit_id,
            report_due=due,
        )

    def _on_SupervisionReportOverdue(self, e: SupervisionReportOverdue) -> None:
        self.opinions[e.visit_id]["state"] = "overdue"


def _reason(text: str) -> None:
    if not text.strip():
        raise InvalidInput("a reason is required", field="reason")
