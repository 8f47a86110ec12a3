"""Findings, evaluation batches, complaints and annual assessments.

Each command: authorise and load through the ledger → ask the engine what the rules require
→ let the ``Institution`` validate and record → save it in one transaction. ``Assessor``
records a finding with its assessment; the case, supervision and deadline commands use it
too, and every check a batch, complaint or assessment fails becomes a system finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from uuid import UUID

from domain.access import Principal
from domain.detection import (
    Batch,
    FilingSnapshot,
    Flag,
    batch_flags,
    batch_notes,
    complaint_flags,
)
from domain.errors import InvalidInput
from domain.escalation import Assessment, Finding, Ungoverned, assess_leniently, combine, governed
from domain.history import History, ref_of
from domain.institution import Institution
from domain.ledger import Context, Ledger
from domain.rulebook import Rulebook
from domain.state import numbered


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


def system_context(ctx: Context) -> Context:
    """The system as the author of the findings a request causes, under its request id."""
    return Context(principal=Principal("system", "system"), request_id=ctx.request_id)


class Assessor:
    """Assesses findings against the institution's history and records them with it."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def assess(
        self, inst: Institution, history: History, finding: Finding, as_of: date
    ) -> Assessment | Ungoverned:
        return assess_leniently(history, self.ledger.catalogue, inst.jurisdiction, finding, as_of)

    def requirement(
        self, inst: Institution, history: History, finding_ids: list[str], as_of: date
    ) -> dict[str, Any]:
        """What the rules require at ``as_of`` for the recorded findings together."""
        assessments = []
        for fid in finding_ids:
            fact = history.finding(fid)
            assert fact is not None
            assessments.append(self.assess(inst, history, Finding.of(fact), as_of))
        requirement = combine(governed(assessments))
        if requirement is None:
            raise InvalidInput(
                "no rulebook of this system governs the conduct of findings"
                f" {', '.join(finding_ids)}: nothing is required of it",
                field="finding_ids",
            )
        return requirement

    def check_rule_id(self, inst: Institution, rule_id: str, on: date) -> Rulebook:
        """``rule_id`` is a sanction item of the rulebook in force for ``inst`` on ``on``
        (before any rulebook of the jurisdiction, of the earliest one: the item names the
        kind of conduct, and nothing is required of it)."""
        rulebook = self.ledger.rulebook_looking_back(inst.jurisdiction, on)
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

    def add_finding(
        self,
        inst: Institution,
        history: History,
        ctx: Context,
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
        """Record a finding on ``inst`` with what the rules require today; its id."""
        finding_id = numbered("F", inst.state.findings)
        finding = Finding(finding_id, rule_id, severity, occurred_on, None, about_decision)
        assessment = self.assess(inst, history, finding, self.ledger.today())
        inst.record_finding(
            occurred_on,
            self.ledger.stamp(ctx),
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

    def raise_flags(self, ctx: Context, inst: Institution, flags: list[Flag]) -> list[str]:
        """Record each flag as a system finding, each assessed against the history so far."""
        return [
            self.add_finding(
                inst,
                self.ledger.history_so_far(inst),
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
            for flag in flags
        ]


class FindingCommands:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.assessor = Assessor(ledger)

    # --- findings -------------------------------------------------------------------------

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
        self.ledger.not_future(occurred_on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        self.assessor.check_rule_id(inst, rule_id, occurred_on)
        finding_id = self.assessor.add_finding(
            inst,
            self.ledger.history_so_far(inst),
            ctx,
            rule_id=rule_id,
            severity=severity,
            occurred_on=occurred_on,
            source=source,
            reference=reference,
            facts=facts,
            evidence=evidence,
        )
        return self.ledger.save_result(ctx, inst, finding_id=finding_id)

    def dismiss_finding(
        self, ctx: Context, iid: UUID, finding_id: str, on: date, reason: str
    ) -> dict[str, Any]:
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.dismiss_finding(on, self.ledger.stamp(ctx), finding_id, reason)
        return self.ledger.save_result(ctx, inst)

    # --- evaluation batches ----------------------------------------------------------------

    def report_evaluation(self, ctx: Context, iid: UUID, report: BatchReport) -> dict[str, Any]:
        """Record the batch (always) and raise a system finding for each check it fails."""
        self.ledger.not_future(report.evaluated_on, "evaluated_on")
        inst = self.ledger.load_for(ctx, iid, "apply")
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
        flags, notes = self._batch_checks(inst, batch)
        inst.report_evaluation(
            report.evaluated_on,
            self.ledger.stamp(ctx),
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
            notes=tuple(notes),
        )
        ids = self.assessor.raise_flags(system_context(ctx), inst, flags)
        return self.ledger.save_result(ctx, inst, batch_id=report.batch_id, finding_ids=ids)

    def _batch_checks(
        self, inst: Institution, batch: Batch
    ) -> tuple[list[Flag], list[dict[str, str]]]:
        """The checks the batch fails under the rulebook in force on its date (before any
        rulebook of the jurisdiction, the earliest one: the findings it raises are kept and
        require nothing): the findings to raise, and the failed checks the rulebook names
        no item for, which are flagged for the regulator. None is dropped."""
        rulebook = self.ledger.catalogue.looking_back(inst.jurisdiction, batch.evaluated_on)
        if rulebook is None:
            return [], [
                {
                    "check": "no_rulebook",
                    "detail_zh": f"批次 {batch.batch_id} 于 {batch.evaluated_on} 评价",
                    "detail_en": f"batch {batch.batch_id} evaluated on {batch.evaluated_on}",
                    "reason_zh": f"{batch.evaluated_on} 没有 {inst.jurisdiction} 的规则施行，"
                    "未作检查，请人社部门研判",
                    "reason_en": f"no rulebook of {inst.jurisdiction} is in force on"
                    f" {batch.evaluated_on}; the batch was not checked, for the regulator to judge",
                }
            ]
        history = self.ledger.history_so_far(inst)
        filing = filing_on(inst, history, batch.evaluated_on)
        return (
            batch_flags(filing, history, rulebook, batch),
            batch_notes(filing, history, rulebook, batch),
        )

    # --- complaints -----------------------------------------------------------------------

    def receive_complaint(
        self, ctx: Context, iid: UUID, on: date, channel: str, summary: str, reference: str
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        complaint_id = numbered("CP", inst.state.complaints)
        inst.receive_complaint(
            on, self.ledger.stamp(ctx), complaint_id, channel, summary, reference
        )
        return self.ledger.save_result(ctx, inst, complaint_id=complaint_id)

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
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.verify_complaint(on, self.ledger.stamp(ctx), complaint_id, substantiated, reason)
        ids: list[str] = []
        if substantiated and finding_rule_id:
            conduct_on = finding_occurred_on or inst.complaints[complaint_id]["received_on"]
            self.assessor.check_rule_id(inst, finding_rule_id, conduct_on)
            ids.append(
                self.assessor.add_finding(
                    inst,
                    self.ledger.history_so_far(inst),
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
        rulebook = self.ledger.catalogue.in_force(inst.jurisdiction, on)
        if rulebook is not None and substantiated:
            flags = complaint_flags(self.ledger.history_so_far(inst), rulebook, complaint_id)
            ids += self.assessor.raise_flags(system_context(ctx), inst, flags)
        return self.ledger.save_result(ctx, inst, finding_ids=ids)

    # --- annual assessment ----------------------------------------------------------------

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
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        rulebook = self.ledger.rulebook_for(inst.jurisdiction, on)
        rules = rulebook.annual_assessment
        assessment_id = f"AA-{year}"
        inst.record_annual_assessment(
            on,
            self.ledger.stamp(ctx),
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
            ids = self.assessor.raise_flags(system_context(ctx), inst, [flag])
        return self.ledger.save_result(ctx, inst, assessment_id=assessment_id, finding_ids=ids)


def filing_on(inst: Institution, history: History, day: date) -> FilingSnapshot:
    """The filing as the batch checks see it on ``day``: scope, sites, in force or not."""
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
        status=_status_on(inst, day, approved, revoked),
        suspended=suspended,
    )


def _status_on(inst: Institution, day: date, approved: bool, revoked: bool) -> str:
    """The filing's status as the batch's day saw it: before the filing was submitted or
    approved, the record's status today would mislead."""
    if revoked:
        return "revoked"
    if day < inst.state.submitted_on:
        return f"not filed until {inst.state.submitted_on}"
    if not approved:
        return (
            "filed, not approved"
            if inst.valid_from is None
            else f"not approved until {inst.valid_from}"
        )
    return inst.status
