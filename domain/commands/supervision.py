"""Supervisors, their conflicts of interest, assignments, visit records, opinion letters and
the on-site pause and resume under an assignment.

Each command: authorise and load through the ledger → check the rules in force → let the
aggregates record → save them together in one transaction.

Who may do what (product.md point 10):

- admins and regulators (inside their jurisdiction, or their district) manage supervisors,
  campaigns and assignments; a district regulator manages the supervisors recommended by its
  district, a jurisdiction-level regulator all of them;
- a supervisor may declare its own conflicts of interest, and may file a visit record only
  under an assignment it holds (its token's subject is the subject recorded at certification);
- reviewers read; institutions read their own visit records, never assignments or campaigns
  before they are published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.access import Principal, Registry, registry_id
from domain.assignment import (
    Assignment,
    SupervisionLog,
    SupervisionVisit,
    assignment_bars,
    finding_problem,
    group_size_problem,
    supervision_log_id,
)
from domain.base import Stamp
from domain.commands.findings import Assessor
from domain.errors import Conflict, Forbidden, InvalidInput, VersionConflict
from domain.events import SessionRoster, VisitFinding
from domain.institution import Institution
from domain.ledger import Context, Ledger, require_in_jurisdiction
from domain.supervisor import Supervisor, refusal

SUPERVISOR_REGISTRY = "supervisors"


def supervisor_registry(jurisdiction: str) -> str:
    """The name of the registry listing a jurisdiction's supervisors."""
    return f"{SUPERVISOR_REGISTRY}:{jurisdiction}"


class SupervisionCommands:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.assessor = Assessor(ledger)

    # --- supervisors ----------------------------------------------------------------------

    def certify_supervisor(
        self,
        ctx: Context,
        *,
        jurisdiction: str,
        district: str | None,
        kind: str,
        institution: UUID | None,
        name: str,
        subject: str,
        card_number: str,
        on: date,
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        self._authorise_certification(ctx, jurisdiction, district, kind, institution)
        stamp = self.ledger.stamp(ctx)
        sup = Supervisor.certify(
            jurisdiction=jurisdiction,
            district=district,
            kind=kind,
            institution_id=institution,
            name=name,
            subject=subject,
            card_number=card_number,
            on=on,
            stamp=stamp,
            policy=self.ledger.supervision_policy(jurisdiction, on),
        )
        duplicate = Conflict(
            f"card {sup.card_number} is already registered in {jurisdiction}",
            existing=str(sup.id),
            field="card_number",
        )
        if self.ledger.find(Supervisor, sup.id) is not None:
            raise duplicate
        name_of_registry = supervisor_registry(jurisdiction)
        registry = self.ledger.find(Registry, registry_id(name_of_registry))
        if registry is None:
            registry = Registry.open(name_of_registry, stamp)
        registry.add(sup.id, stamp)
        result = {"supervisor_id": str(sup.id), "version": sup.version}
        try:
            self.ledger.commit(ctx, result, sup, registry)
        except VersionConflict:
            if self.ledger.find(Supervisor, sup.id) is not None:
                raise duplicate from None
            raise
        return result

    def _authorise_certification(
        self,
        ctx: Context,
        jurisdiction: str,
        district: str | None,
        kind: str,
        institution: UUID | None,
    ) -> None:
        """An internal supervisor is certified on its institution's file, others by the
        jurisdiction (or district) that recommends them."""
        if kind != "internal" or institution is None:
            ctx.principal.require("decide", jurisdiction, district or "", None)
            return
        inst = self.ledger.get_for(ctx.principal, Institution, institution)
        if inst.jurisdiction != jurisdiction:
            raise InvalidInput(
                f"the institution is filed in {inst.jurisdiction}, not {jurisdiction}",
                field="institution_id",
            )
        ctx.principal.require("apply", inst.jurisdiction, inst.district, inst.id)

    def _load_supervisor(self, ctx: Context, sid: UUID) -> Supervisor:
        sup = self.ledger.get_for(ctx.principal, Supervisor, sid)
        ctx.principal.require("decide", sup.jurisdiction, sup.district or "", None)
        self.ledger.check_version(ctx, sup)
        return sup

    def _save_supervisor(self, ctx: Context, sup: Supervisor) -> dict[str, Any]:
        result = {"supervisor_id": str(sup.id), "version": sup.version}
        self.ledger.commit(ctx, result, sup)
        return result

    def appoint_supervisor(self, ctx: Context, sid: UUID, on: date) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_supervisor(ctx, sid)
        policy = self.ledger.supervision_policy(sup.jurisdiction, on)
        sup.appoint(on, self.ledger.stamp(ctx), policy)
        return self._save_supervisor(ctx, sup)

    def renew_supervisor_card(self, ctx: Context, sid: UUID, on: date) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_supervisor(ctx, sid)
        policy = self.ledger.supervision_policy(sup.jurisdiction, on)
        sup.renew_card(on, self.ledger.stamp(ctx), policy)
        return self._save_supervisor(ctx, sup)

    def record_annual_review(
        self, ctx: Context, sid: UUID, *, year: int, passed: bool, remarks: str, on: date
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.record_annual_review(year, passed, remarks, on, self.ledger.stamp(ctx))
        return self._save_supervisor(ctx, sup)

    def suspend_supervisor(
        self,
        ctx: Context,
        sid: UUID,
        *,
        reason: str,
        articles: list[str],
        until: date | None,
        on: date,
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_supervisor(ctx, sid)
        self._check_articles(sup.jurisdiction, articles, on)
        sup.suspend(on, self.ledger.stamp(ctx), reason, articles, until)
        return self._save_supervisor(ctx, sup)

    def lift_supervisor_suspension(
        self, ctx: Context, sid: UUID, *, reason: str, on: date
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.lift_suspension(on, self.ledger.stamp(ctx), reason)
        return self._save_supervisor(ctx, sup)

    def decertify_supervisor(
        self, ctx: Context, sid: UUID, *, reason: str, articles: list[str], on: date
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_supervisor(ctx, sid)
        self._check_articles(sup.jurisdiction, articles, on)
        sup.decertify(on, self.ledger.stamp(ctx), reason, articles)
        return self._save_supervisor(ctx, sup)

    def _check_articles(self, jurisdiction: str, articles: list[str], on: date) -> None:
        """Each cited item exists in a rulebook whose supervision rules apply on ``on``."""
        applied = self.ledger.supervision_policy(jurisdiction, on).rulebooks
        books = {r.id: r for r in self.ledger.catalogue if r.ref in applied}
        for i, cited in enumerate(articles):
            book = books.get(cited.partition("/")[0])
            if book is None or book.item(cited) is None:
                raise InvalidInput(
                    f"{cited} is not an item of {' or '.join(sorted(books))}"
                    " (e.g. hunan-2023/30.3)",
                    field=f"articles.{i}",
                )

    def advance_supervisor(self, sid: UUID, today: date, request_id: str) -> list[str]:
        """Card expiry and ended terms due by ``today`` (the deadline watcher's command)."""
        ctx = Context(principal=Principal("deadline-worker", "system"), request_id=request_id)
        sup = self.ledger.get(Supervisor, sid)
        policy = self.ledger.supervision_policy(
            sup.jurisdiction, min(today, sup.card_valid_until or today)
        )
        recorded = sup.advance_to(today, self.ledger.stamp(ctx), policy)
        if recorded:
            self._save_supervisor(ctx, sup)
        return recorded

    # --- conflicts of interest ------------------------------------------------------------

    def _load_own_or_managed(self, ctx: Context, sid: UUID) -> Supervisor:
        """The supervisor itself, or a regulator managing it."""
        sup = self.ledger.get_for(ctx.principal, Supervisor, sid)
        if ctx.principal.role == "supervisor":
            if ctx.principal.subject != sup.subject:
                raise Forbidden("a supervisor may declare only its own conflicts of interest")
            require_in_jurisdiction(ctx.principal, "read", sup.jurisdiction)
        else:
            ctx.principal.require("decide", sup.jurisdiction, sup.district or "", None)
        self.ledger.check_version(ctx, sup)
        return sup

    def declare_conflict(
        self, ctx: Context, sid: UUID, *, institution: UUID, relation: str, on: date
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_own_or_managed(ctx, sid)
        inst = self.ledger.find(Institution, institution)
        if inst is None or inst.jurisdiction != sup.jurisdiction:
            raise InvalidInput(
                f"no institution {institution} is filed in {sup.jurisdiction}",
                field="institution_id",
            )
        sup.declare_conflict(institution, relation, on, self.ledger.stamp(ctx))
        return self._save_supervisor(ctx, sup)

    def end_conflict(
        self, ctx: Context, sid: UUID, *, institution: UUID, reason: str, on: date
    ) -> dict[str, Any]:
        self.ledger.not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.end_conflict(institution, reason, on, self.ledger.stamp(ctx))
        return self._save_supervisor(ctx, sup)

    # --- assignments ----------------------------------------------------------------------

    def _supervisors_named(self, ids: Sequence[UUID], field_name: str) -> list[Supervisor]:
        found: list[Supervisor] = []
        for i, sid in enumerate(ids):
            sup = self.ledger.find(Supervisor, sid)
            if sup is None:
                raise InvalidInput(f"no supervisor {sid}", field=f"{field_name}.{i}")
            found.append(sup)
        return found

    def _log_for(self, inst: Institution, stamp: Stamp) -> SupervisionLog:
        log = self.ledger.find(SupervisionLog, supervision_log_id(inst.id))
        return log or SupervisionLog.open(inst.id, inst.jurisdiction, stamp)

    def assign_supervision(
        self,
        ctx: Context,
        *,
        institution: UUID,
        kind: str,
        supervisors: list[UUID],
        starts_on: date,
        sessions: list[SessionRoster],
        matters: list[str],
        on: date,
    ) -> dict[str, Any]:
        """Send supervisors to a daily or special supervision of one institution."""
        self.ledger.not_future(on)
        inst = self.ledger.get_for(ctx.principal, Institution, institution)
        ctx.principal.require("decide", inst.jurisdiction, inst.district, None)
        if len(set(supervisors)) != len(supervisors):
            raise InvalidInput("a supervisor is named twice", field="supervisors")
        policy = self.ledger.supervision_policy(inst.jurisdiction, starts_on, "starts_on")
        problem = group_size_problem(kind, len(supervisors), policy)
        if problem is not None:
            raise problem
        sups = self._supervisors_named(supervisors, "supervisors")
        stamp = self.ledger.stamp(ctx)
        log = self._log_for(inst, stamp)
        bars = assignment_bars(
            sups, inst.id, inst.jurisdiction, starts_on, policy, log.history(), sessions
        )
        if bars:
            raise refusal(bars, "supervisors")
        assignment = Assignment.make(
            number=log.next_number,
            institution=inst.id,
            institution_name=inst.name,
            jurisdiction=inst.jurisdiction,
            district=inst.district,
            kind=kind,
            supervisors=[str(s.id) for s in sups],
            starts_on=starts_on,
            sessions=sessions,
            matters=matters,
            campaign=None,
            on=on,
            stamp=stamp,
            policy=policy,
        )
        log.add(assignment.id, starts_on, assignment.supervisors, stamp)
        result = {"assignment_id": str(assignment.id), "version": assignment.version}
        self.ledger.commit(ctx, result, assignment, log)
        return result

    def withdraw_assignment(
        self, ctx: Context, aid: UUID, *, reason: str, on: date
    ) -> dict[str, Any]:
        """Withdraw an assignment nobody has visited under; it stops counting for rotation."""
        self.ledger.not_future(on)
        assignment = self.ledger.get_for(ctx.principal, Assignment, aid)
        ctx.principal.require("decide", assignment.jurisdiction, assignment.district, None)
        self.ledger.check_version(ctx, assignment)
        stamp = self.ledger.stamp(ctx)
        assignment.withdraw(reason, on, stamp)
        log = self.ledger.get(SupervisionLog, supervision_log_id(UUID(assignment.institution_id)))
        log.remove(assignment.id, stamp)
        result = {"assignment_id": str(assignment.id), "version": assignment.version}
        self.ledger.commit(ctx, result, assignment, log)
        return result

    # --- visits ---------------------------------------------------------------------------

    def record_visit(
        self,
        ctx: Context,
        *,
        assignment: UUID,
        mode: str,
        supervisors: list[UUID],
        sessions: list[SessionRoster],
        checked: list[str],
        findings: list[VisitFinding],
        summary: str,
        on: date,
    ) -> dict[str, Any]:
        """File the record of a visit; each finding also enters the institution's file
        (source ``supervision``, assessed by the escalation engine) in the same transaction."""
        self.ledger.not_future(on)
        held = self.ledger.get_for(ctx.principal, Assignment, assignment)
        named = self._visitors(ctx, held, supervisors)
        inst = self.ledger.get(Institution, UUID(held.institution_id))
        self._check_visit(inst, held, named, sessions, findings, on)
        stamp = self.ledger.stamp(ctx)
        visit = SupervisionVisit.record(
            assignment=held,
            on=on,
            mode=mode,
            supervisors=[str(s.id) for s in named],
            sessions=sessions,
            checked=checked,
            findings=findings,
            finding_ids=self._file_findings(ctx, inst, held.next_visit_id, findings),
            summary=summary,
            stamp=stamp,
        )
        held.file_visit(visit.id, on, stamp)
        result = {"visit_id": str(visit.id), "version": visit.version}
        changed: list[Any] = [visit, held]
        if inst.pending_events:
            changed.append(inst)
        self.ledger.commit(ctx, result, *changed)
        return result

    def _visitors(
        self, ctx: Context, held: Assignment, supervisors: list[UUID]
    ) -> list[Supervisor]:
        """The supervisors a visit record names: the caller may file it, at the If-Match
        version, and each of them holds the assignment."""
        named = self._supervisors_named(supervisors, "supervisors")
        self._authorise_visit(ctx.principal, held, named)
        self.ledger.check_version(ctx, held)
        strangers = [str(s.id) for s in named if not held.holds(s.id)]
        if strangers:
            raise InvalidInput(
                f"{', '.join(strangers)} not assigned to this supervision", field="supervisors"
            )
        return named

    def _check_visit(
        self,
        inst: Institution,
        held: Assignment,
        named: list[Supervisor],
        sessions: list[SessionRoster],
        findings: list[VisitFinding],
        on: date,
    ) -> None:
        """No supervisor was barred from the visit, and each finding names an item in force."""
        policy = self.ledger.supervision_policy(held.jurisdiction, on)
        bars = [bar for s in named for bar in s.bars_for(inst.id, on, policy, sessions)]
        if bars:
            raise refusal(bars, "supervisors")
        for i, finding in enumerate(findings):
            rulebook = self.ledger.rulebook_for(inst.jurisdiction, finding["occurred_on"])
            problem = finding_problem(finding, rulebook, on)
            if problem is not None:
                raise InvalidInput(problem, field=f"findings.{i}")

    def _file_findings(
        self, ctx: Context, inst: Institution, vid: UUID, findings: list[VisitFinding]
    ) -> list[str]:
        """Each finding of the visit recorded on the institution's file, assessed."""
        return [
            self.assessor.add_finding(
                inst,
                self.ledger.history_so_far(inst),
                ctx,
                rule_id=f["rule_id"],
                severity=f["severity"],
                occurred_on=f["occurred_on"],
                source="supervision",
                reference=f"visit {vid}",
                facts=f["facts"],
                evidence=[],
            )
            for f in findings
        ]

    def _authorise_visit(
        self, principal: Principal, held: Assignment, named: Sequence[Supervisor]
    ) -> None:
        if principal.role != "supervisor":
            principal.require("decide", held.jurisdiction, held.district, None)
            return
        require_in_jurisdiction(principal, "read", held.jurisdiction)
        own = [s for s in named if s.subject == principal.subject and held.holds(s.id)]
        if not own:
            raise Forbidden(
                "a supervisor files visit records only under an assignment it holds,"
                " for a visit it took part in"
            )

    # --- special supervision's opinion letter (hunan-2023/18) -----------------------------

    def issue_opinion(
        self,
        ctx: Context,
        vid: UUID,
        on: date,
        *,
        opinions: list[str],
        report_days: int,
    ) -> dict[str, Any]:
        """Close a special supervision with an opinion letter; a rectification report is due."""
        self.ledger.not_future(on)
        visit = self.ledger.get_for(ctx.principal, SupervisionVisit, vid)
        if visit.kind != "special":
            raise InvalidInput(
                "an opinion letter closes a special supervision; this visit was daily",
                field="visit_id",
            )
        inst = self.ledger.load_for(ctx, UUID(visit.institution_id), "decide")
        article = self.ledger.rulebook_for(inst.jurisdiction, on).supervision.special_group_article
        inst.issue_opinion(
            on,
            self.ledger.stamp(ctx),
            str(vid),
            opinions,
            on + timedelta(days=report_days),
            [article] if article else [],
        )
        return self.ledger.save_result(ctx, inst, visit_id=str(vid))

    def submit_opinion_report(
        self, ctx: Context, vid: UUID, on: date, report: str
    ) -> dict[str, Any]:
        """The institution's rectification report answering the opinion letter."""
        self.ledger.not_future(on)
        visit = self.ledger.get_for(ctx.principal, SupervisionVisit, vid)
        inst = self.ledger.load_for(ctx, UUID(visit.institution_id), "apply")
        inst.submit_opinion_report(on, self.ledger.stamp(ctx), str(vid), report)
        return self.ledger.save_result(ctx, inst, visit_id=str(vid))

    # --- on-site pause and resume (hunan-2023/17.3), under an assignment ------------------

    def _held_by(self, ctx: Context, aid: UUID) -> tuple[Assignment, Institution]:
        held = self.ledger.get_for(ctx.principal, Assignment, aid)
        named = self._supervisors_named([UUID(s) for s in held.supervisors], "assignment")
        self._authorise_visit(ctx.principal, held, named)
        inst = self.ledger.get(Institution, UUID(held.institution_id))
        self.ledger.check_version(ctx, inst)
        return held, inst

    def pause_session(
        self, ctx: Context, aid: UUID, session_id: str, on: date, problem: str
    ) -> dict[str, Any]:
        """A supervisor orders on-the-spot correction and pauses the session."""
        self.ledger.not_future(on)
        held, inst = self._held_by(ctx, aid)
        inst.pause_evaluation(
            on, self.ledger.stamp(ctx), session_id, ctx.principal.subject, problem, str(held.id)
        )
        return self.ledger.save_result(ctx, inst, assignment_id=str(aid))

    def resume_session(
        self, ctx: Context, aid: UUID, session_id: str, on: date, correction: str
    ) -> dict[str, Any]:
        """Corrected on the spot: the session resumes."""
        self.ledger.not_future(on)
        _, inst = self._held_by(ctx, aid)
        inst.resume_evaluation(on, self.ledger.stamp(ctx), session_id, correction)
        return self.ledger.save_result(ctx, inst, assignment_id=str(aid))
