"""Cases and their effects: notice, defence, decision, service, interview, rectification,
appeals, the on-site pause, resume and stop, and the casework deadlines.

Each command: authorise and load through the ledger → ask the engine what the case's
findings require → let the ``Institution`` validate and record → save it, with the rosters
a decision's effects change, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, cast
from uuid import UUID

from domain.access import Principal
from domain.commands.findings import Assessor
from domain.commands.rosters import RosterKeeper
from domain.detection import Flag, inactivity_flags, overdue_flag
from domain.errors import Forbidden, InvalidInput
from domain.escalation import actions_for
from domain.events import Attachment
from domain.history import ref_of
from domain.institution import Institution
from domain.ledger import Context, Ledger
from domain.rulebook import Rulebook
from domain.state import numbered


def _actions_for_level(
    rulebook: Rulebook, level: int, requirement: dict[str, Any]
) -> tuple[tuple[str, ...], int | None]:
    if level == requirement["level"]:
        return tuple(requirement["actions"]), requirement["ban_years"]
    article = next(a for a in rulebook.articles if a.level == level)
    return actions_for(article.effects)


class CaseCommands:
    def __init__(self, ledger: Ledger, *, default_defence_days: int = 10) -> None:
        self.ledger = ledger
        self.assessor = Assessor(ledger)
        self.rosters = RosterKeeper(ledger)
        #: Defence period in days when the rulebook does not state one (from the settings).
        self.default_defence_days = default_defence_days

    def _requirement(self, inst: Institution, case_id: str, as_of: date) -> dict[str, Any]:
        finding_ids = inst.case(case_id)["finding_ids"]
        return self.assessor.requirement(inst, self.ledger.history_so_far(inst), finding_ids, as_of)

    def _governed(self, inst: Institution, finding_ids: list[str]) -> None:
        """A case is about conduct a rulebook governs: a finding dated before any rulebook
        of the jurisdiction stays on the file and requires nothing."""
        for fid in finding_ids:
            finding = inst.state.findings.get(fid)
            if finding is None:
                continue  # the decider refuses an unknown finding
            earlier = self.ledger.catalogue.before_any(inst.jurisdiction, finding.occurred_on)
            if earlier is not None:
                raise InvalidInput(
                    f"finding {fid}: no rulebook of this system governs conduct on"
                    f" {finding.occurred_on} ({earlier.ref} took effect on"
                    f" {earlier.effective_from}); it is kept on the file and cannot be the"
                    f" subject of a case",
                    field="finding_ids",
                )

    # --- due process ----------------------------------------------------------------------

    def open_case(
        self, ctx: Context, iid: UUID, on: date, finding_ids: list[str]
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        self._governed(inst, finding_ids)
        case_id = numbered("C", inst.state.cases)
        inst.open_case(on, self.ledger.stamp(ctx), case_id, finding_ids)
        return self.ledger.save_result(ctx, inst, case_id=case_id)

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
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        requirement = self._requirement(inst, case_id, on)
        rulebook = self.ledger.rulebook_for(inst.jurisdiction, on)
        level = requirement["level"] if intended_level is None else intended_level
        actions = _actions_for_level(rulebook, level, requirement)[0]
        days = defence_days or rulebook.due_process.defence_days or self.default_defence_days
        inst.issue_notice(
            on,
            self.ledger.stamp(ctx),
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
        return self.ledger.save_result(ctx, inst)

    def submit_defence(
        self,
        ctx: Context,
        iid: UUID,
        case_id: str,
        on: date,
        statement: str,
        evidence: list[dict[str, str]],
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "apply")
        inst.submit_defence(on, self.ledger.stamp(ctx), case_id, statement, evidence)
        return self.ledger.save_result(ctx, inst)

    def waive_defence(self, ctx: Context, iid: UUID, case_id: str, on: date) -> dict[str, Any]:
        inst = self.ledger.load_for(ctx, iid, "apply")
        inst.waive_defence(on, self.ledger.stamp(ctx), case_id)
        return self.ledger.save_result(ctx, inst)

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
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        rulebook = self.ledger.rulebook_for(inst.jurisdiction, on)
        requirement = self._requirement(inst, case_id, on)
        chosen = requirement["level"] if level is None else level
        if chosen not in (0, 1, 2, 3):
            raise InvalidInput("level must be 0-3", field="level")
        actions, ban_years = _actions_for_level(rulebook, chosen, requirement)
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
        decision_id = numbered("D", inst.state.decisions)
        inst.decide(
            on,
            self.ledger.stamp(ctx),
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
        return self.ledger.save_result(ctx, inst, decision_id=decision_id)

    def serve_decision(
        self, ctx: Context, iid: UUID, case_id: str, on: date, void_batch_ids: list[str]
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        decision = inst.decision(inst.case(case_id)["decision_id"] or "")
        for batch_id in void_batch_ids:
            if batch_id not in inst.batches:
                raise InvalidInput(f"batch {batch_id} was never reported", field="void_batch_ids")
        actions = decision["actions"]
        inst.serve(
            on,
            self.ledger.stamp(ctx),
            case_id,
            public_announcement="public_announcement" in actions,
            abnormal_activity_list="abnormal_activity_list" in actions,
            void_batch_ids=void_batch_ids,
        )
        return self.ledger.save_result(ctx, inst, *self.rosters.in_line(ctx, inst))

    # --- effects --------------------------------------------------------------------------

    def hold_interview(
        self,
        ctx: Context,
        iid: UUID,
        decision_id: str,
        on: date,
        attendees: list[str],
        pledge: str,
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.hold_interview(on, self.ledger.stamp(ctx), decision_id, attendees, pledge)
        return self.ledger.save_result(ctx, inst)

    def submit_rectification_report(
        self,
        ctx: Context,
        iid: UUID,
        decision_id: str,
        on: date,
        report: str,
        attachments: Sequence[Attachment] = (),
    ) -> dict[str, Any]:
        """The report, with the files sent with it (already in the attachment store)."""
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "apply")
        stamp = self.ledger.stamp(ctx)
        inst.submit_rectification_report(on, stamp, decision_id, report, attachments)
        return self.ledger.save_result(ctx, inst)

    def accept_rectification(
        self, ctx: Context, iid: UUID, decision_id: str, on: date, remarks: str
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.accept_rectification(on, self.ledger.stamp(ctx), decision_id, remarks)
        return self.ledger.save_result(ctx, inst)

    # --- appeals --------------------------------------------------------------------------

    def file_appeal(
        self, ctx: Context, iid: UUID, decision_id: str, on: date, kind: str, grounds: str
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "apply")
        appeal_id = numbered("A", inst.state.appeals)
        inst.file_appeal(on, self.ledger.stamp(ctx), appeal_id, decision_id, kind, grounds)
        return self.ledger.save_result(ctx, inst, appeal_id=appeal_id)

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
        self.ledger.not_future(on)
        inst = self.ledger.load_for(ctx, iid, "decide")
        rulebook = self.ledger.rulebook_for(inst.jurisdiction, on)
        new_actions: list[str] = []
        if outcome == "varied" and new_level is not None:
            article = next((a for a in rulebook.articles if a.level == new_level), None)
            if article is None:
                raise InvalidInput(f"{rulebook.id} has no level {new_level}", field="new_level")
            new_actions = list(actions_for(article.effects)[0])
        inst.decide_appeal(
            on,
            self.ledger.stamp(ctx),
            appeal_id=appeal_id,
            outcome=outcome,
            new_level=new_level,
            new_actions=new_actions,
            reasons=reasons,
        )
        return self.ledger.save_result(ctx, inst, *self.rosters.in_line(ctx, inst))

    # --- on-site supervision (hunan-2023/17.3) --------------------------------------------

    def _load_on_site(self, ctx: Context, iid: UUID, verb: str) -> Institution:
        """The regulator acts on the institution's file; a supervisor acts under the
        assignment it holds (``SupervisionCommands.pause_session``), never on the file of
        an institution it was not sent to."""
        if ctx.principal.role == "supervisor":
            raise Forbidden(f"a supervisor {verb} an evaluation under the assignment it holds")
        return self.ledger.load_for(ctx, iid, "decide")

    def pause_evaluation(
        self, ctx: Context, iid: UUID, session_id: str, on: date, problem: str
    ) -> dict[str, Any]:
        inst = self._load_on_site(ctx, iid, "pauses")
        inst.pause_evaluation(
            on, self.ledger.stamp(ctx), session_id, ctx.principal.subject, problem
        )
        return self.ledger.save_result(ctx, inst)

    def resume_evaluation(
        self, ctx: Context, iid: UUID, session_id: str, on: date, correction: str
    ) -> dict[str, Any]:
        inst = self._load_on_site(ctx, iid, "resumes")
        inst.resume_evaluation(on, self.ledger.stamp(ctx), session_id, correction)
        return self.ledger.save_result(ctx, inst)

    def stop_evaluation(
        self, ctx: Context, iid: UUID, session_id: str, on: date, reason: str, batch_id: str
    ) -> dict[str, Any]:
        inst = self.ledger.load_for(ctx, iid, "decide")
        inst.stop_evaluation(on, self.ledger.stamp(ctx), session_id, reason, batch_id)
        return self.ledger.save_result(ctx, inst)

    # --- deadlines ------------------------------------------------------------------------

    def advance_casework(self, iid: UUID, today: date, request_id: str) -> list[str]:
        """Overdue rectifications and inactivity due by ``today``, each recorded once."""
        ctx = Context(principal=Principal("deadline-worker", "system"), request_id=request_id)
        inst = self.ledger.get(Institution, iid)
        recorded: list[str] = []
        flags: list[Flag] = []
        for decision_id, deadline in inst.overdue_rectifications(today):
            inst.mark_rectification_overdue(self.ledger.stamp(ctx), decision_id, deadline)
            recorded.append("RectificationOverdue")
            flags += self._overdue(inst, decision_id, deadline)
        for visit_id, due in inst.overdue_opinion_reports(today):
            inst.mark_opinion_report_overdue(self.ledger.stamp(ctx), visit_id, due)
            recorded.append("SupervisionReportOverdue")
            flags += self._opinion_report_overdue(inst, visit_id, due)
        if inst.holds_scope():
            rulebook = self.ledger.catalogue.in_force(inst.jurisdiction, today)
            if rulebook is not None:
                first = self.ledger.catalogue.rules_from(inst.jurisdiction)
                flags += inactivity_flags(self.ledger.history(iid), rulebook, today, first)
        recorded += ["FindingRecorded"] * len(self.assessor.raise_flags(ctx, inst, flags))
        if recorded:
            self.ledger.save_result(ctx, inst)
        return recorded

    def _overdue(self, inst: Institution, reference: str, due: date) -> list[Flag]:
        """The overdue-rectification finding for what was just marked overdue, if the
        rulebook in force on the deadline has one."""
        rulebook = self.ledger.catalogue.in_force(inst.jurisdiction, due)
        if rulebook is None:
            return []
        marked = ref_of(cast(Any, inst.pending_events[-1]))
        flag = overdue_flag(rulebook, reference, due, marked)
        return [flag] if flag is not None else []

    def _opinion_report_overdue(self, inst: Institution, visit_id: str, due: date) -> list[Flag]:
        """The same finding for the report an opinion letter required (hunan-2023/18)."""
        return [
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
