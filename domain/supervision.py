"""Application commands for supervisors, spot-check campaigns, assignments and visits.

Mixed into ``OversightApplication``. Each command: authorise → load → check the rules →
let the aggregates record → save everything together in one transaction.

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

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.access import Action, Principal, Registry, registry_id
from domain.assignment import (
    Assignment,
    SupervisionLog,
    SupervisionVisit,
    assignment_bars,
    finding_problem,
    group_size_problem,
    rotation_bar,
    supervision_log_id,
)
from domain.base import Stamp
from domain.campaign import Campaign, DrawCheck, DrawPools, campaign_id, draw, verify_publication
from domain.casework_app import CaseworkCommands
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, VersionConflict
from domain.events import (
    FilingSubmitted,
    LedgerCreated,
    SessionRoster,
    SupervisionLogOpened,
    VisitFinding,
)
from domain.history import History
from domain.institution import Institution
from domain.ledger import Context, StoredEvent, audit_entry
from domain.supervisor import SupervisionPolicy, Supervisor, refusal

SUPERVISOR_REGISTRY = "supervisors"
NOTIFICATION_PAGE = 500


def _registry_name(jurisdiction: str) -> str:
    return f"{SUPERVISOR_REGISTRY}:{jurisdiction}"


def _in_jurisdiction(principal: Principal, action: Action, jurisdiction: str) -> None:
    """``action`` anywhere in ``jurisdiction``, whatever district the principal is scoped to."""
    principal.require(action, jurisdiction, principal.district or "", None)


class SupervisionCommands(CaseworkCommands):
    # --- the rules in force ---------------------------------------------------------------

    def supervision_policy(
        self, jurisdiction: str, on: date, field_name: str = "occurred_on"
    ) -> SupervisionPolicy:
        """The jurisdiction's supervision rules on ``on``, completed by the supervisor-only
        rulebooks in force that day (see ``domain/supervisor.py``)."""
        primary = self.rulebook_for(jurisdiction, on, field_name)
        supplements = [
            r
            for r in self.catalogue
            if r.jurisdiction is None
            and r.effective_from <= on
            and (r.effective_until is None or on < r.effective_until)
        ]
        return SupervisionPolicy.compose(primary, supplements)

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
        self._not_future(on)
        visit: SupervisionVisit = self._get(SupervisionVisit, vid)
        if visit.kind != "special":
            raise InvalidInput(
                "an opinion letter closes a special supervision; this visit was daily",
                field="visit_id",
            )
        inst = self._load_for(ctx, UUID(visit.institution_id), "decide")
        policy_book = self.rulebook_for(inst.jurisdiction, on)
        article = policy_book.supervision.special_group_article
        inst.issue_opinion(
            on,
            self.stamp(ctx),
            str(vid),
            opinions,
            on + timedelta(days=report_days),
            [article] if article else [],
        )
        return self._save_result(ctx, inst, visit_id=str(vid))

    def submit_opinion_report(
        self, ctx: Context, vid: UUID, on: date, report: str
    ) -> dict[str, Any]:
        """The institution's rectification report answering the opinion letter."""
        self._not_future(on)
        visit: SupervisionVisit = self._get(SupervisionVisit, vid)
        inst = self._load_for(ctx, UUID(visit.institution_id), "apply")
        inst.submit_opinion_report(on, self.stamp(ctx), str(vid), report)
        return self._save_result(ctx, inst, visit_id=str(vid))

    # --- on-site pause, resume, stop (hunan-2023/17.3), under an assignment ---------------

    def _held_by(self, ctx: Context, aid: UUID) -> tuple[Assignment, Institution]:
        held: Assignment = self._get(Assignment, aid)
        named = self._supervisors_named([UUID(s) for s in held.supervisors], "assignment")
        self._authorise_visit(ctx.principal, held, named)
        inst: Institution = self._get(Institution, UUID(held.institution_id))
        self._check_version(ctx, inst)
        return held, inst

    def pause_session(
        self, ctx: Context, aid: UUID, session_id: str, on: date, problem: str
    ) -> dict[str, Any]:
        """A supervisor orders on-the-spot correction and pauses the session."""
        self._not_future(on)
        held, inst = self._held_by(ctx, aid)
        inst.pause_evaluation(
            on, self.stamp(ctx), session_id, ctx.principal.subject, problem, str(held.id)
        )
        return self._save_result(ctx, inst, assignment_id=str(aid))

    def resume_session(
        self, ctx: Context, aid: UUID, session_id: str, on: date, correction: str
    ) -> dict[str, Any]:
        """Corrected on the spot: the session resumes."""
        self._not_future(on)
        _, inst = self._held_by(ctx, aid)
        inst.resume_evaluation(on, self.stamp(ctx), session_id, correction)
        return self._save_result(ctx, inst, assignment_id=str(aid))

    # --- deadlines ------------------------------------------------------------------------

    def advance_supervisor(self, sid: UUID, today: date, request_id: str) -> list[str]:
        """Card expiry and ended terms due by ``today`` (the deadline watcher's command)."""
        ctx = Context(principal=Principal("deadline-worker", "system"), request_id=request_id)
        sup: Supervisor = self._get(Supervisor, sid)
        policy = self.supervision_policy(
            sup.jurisdiction, min(today, sup.card_valid_until or today)
        )
        recorded = sup.advance_to(today, self.stamp(ctx), policy)
        if recorded:
            self._commit(ctx, {"supervisor_id": str(sid), "version": sup.version}, sup)
        return recorded

    # --- supervisors: queries -------------------------------------------------------------

    def supervisor(self, principal: Principal, sid: UUID, version: int | None = None) -> Supervisor:
        sup: Supervisor = self._get(Supervisor, sid, version)
        _in_jurisdiction(principal, "read", sup.jurisdiction)
        return sup

    def supervisors(self, principal: Principal, jurisdiction: str) -> list[Supervisor]:
        _in_jurisdiction(principal, "read", jurisdiction)
        registry: Registry | None = self._find(Registry, registry_id(_registry_name(jurisdiction)))
        if registry is None:
            return []
        return [self._get(Supervisor, UUID(s)) for s in registry.entries]

    def supervision_events(self, principal: Principal, aggregate_id: UUID) -> list[StoredEvent]:
        """The audit trail of a supervisor, assignment, visit or campaign the caller may read."""
        aggregate: Any = self._find(object, aggregate_id)
        if isinstance(aggregate, Supervisor):
            self.supervisor(principal, aggregate_id)
        elif isinstance(aggregate, Assignment):
            self.assignment(principal, aggregate_id)
        elif isinstance(aggregate, SupervisionVisit):
            self.visit(principal, aggregate_id)
        elif isinstance(aggregate, Campaign):
            self.campaign(principal, aggregate_id)
        else:
            raise NotFound(f"no supervision record {aggregate_id}")
        return [audit_entry(e) for e in self.repository.event_store.get(aggregate_id)]

    # --- supervisors: commands ------------------------------------------------------------

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
        self._not_future(on)
        if kind == "internal" and institution is not None:
            inst: Institution = self._get(Institution, institution)
            if inst.jurisdiction != jurisdiction:
                raise InvalidInput(
                    f"the institution is filed in {inst.jurisdiction}, not {jurisdiction}",
                    field="institution_id",
                )
            ctx.principal.require("apply", inst.jurisdiction, inst.district, inst.id)
        else:
            ctx.principal.require("decide", jurisdiction, district or "", None)
        policy = self.supervision_policy(jurisdiction, on)
        stamp = self.stamp(ctx)
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
            policy=policy,
        )
        duplicate = Conflict(
            f"card {sup.card_number} is already registered in {jurisdiction}",
            existing=str(sup.id),
            field="card_number",
        )
        if self._find(Supervisor, sup.id) is not None:
            raise duplicate
        registry: Registry | None = self._find(Registry, registry_id(_registry_name(jurisdiction)))
        if registry is None:
            registry = Registry.open(_registry_name(jurisdiction), stamp)
        registry.add(sup.id, stamp)
        result = {"supervisor_id": str(sup.id), "version": sup.version}
        try:
            self._commit(ctx, result, sup, registry)
        except VersionConflict:
            if self._find(Supervisor, sup.id) is not None:
                raise duplicate from None
            raise
        return result

    def _load_supervisor(self, ctx: Context, sid: UUID) -> Supervisor:
        sup: Supervisor = self._get(Supervisor, sid)
        ctx.principal.require("decide", sup.jurisdiction, sup.district or "", None)
        self._check_version(ctx, sup)
        return sup

    def _save_supervisor(self, ctx: Context, sup: Supervisor) -> dict[str, Any]:
        result = {"supervisor_id": str(sup.id), "version": sup.version}
        self._commit(ctx, result, sup)
        return result

    def appoint_supervisor(self, ctx: Context, sid: UUID, on: date) -> dict[str, Any]:
        self._not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.appoint(on, self.stamp(ctx), self.supervision_policy(sup.jurisdiction, on))
        return self._save_supervisor(ctx, sup)

    def renew_supervisor_card(self, ctx: Context, sid: UUID, on: date) -> dict[str, Any]:
        self._not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.renew_card(on, self.stamp(ctx), self.supervision_policy(sup.jurisdiction, on))
        return self._save_supervisor(ctx, sup)

    def record_annual_review(
        self, ctx: Context, sid: UUID, *, year: int, passed: bool, remarks: str, on: date
    ) -> dict[str, Any]:
        self._not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.record_annual_review(year, passed, remarks, on, self.stamp(ctx))
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
        self._not_future(on)
        sup = self._load_supervisor(ctx, sid)
        self._check_articles(sup.jurisdiction, articles, on)
        sup.suspend(on, self.stamp(ctx), reason, articles, until)
        return self._save_supervisor(ctx, sup)

    def lift_supervisor_suspension(
        self, ctx: Context, sid: UUID, *, reason: str, on: date
    ) -> dict[str, Any]:
        self._not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.lift_suspension(on, self.stamp(ctx), reason)
        return self._save_supervisor(ctx, sup)

    def decertify_supervisor(
        self, ctx: Context, sid: UUID, *, reason: str, articles: list[str], on: date
    ) -> dict[str, Any]:
        self._not_future(on)
        sup = self._load_supervisor(ctx, sid)
        self._check_articles(sup.jurisdiction, articles, on)
        sup.decertify(on, self.stamp(ctx), reason, articles)
        return self._save_supervisor(ctx, sup)

    def _check_articles(self, jurisdiction: str, articles: list[str], on: date) -> None:
        """Each cited item exists in a rulebook whose supervision rules apply on ``on``."""
        applied = self.supervision_policy(jurisdiction, on).rulebooks
        books = {r.id: r for r in self.catalogue if r.ref in applied}
        for i, cited in enumerate(articles):
            book = books.get(cited.partition("/")[0])
            if book is None or book.item(cited) is None:
                raise InvalidInput(
                    f"{cited} is not an item of {' or '.join(sorted(books))}"
                    " (e.g. hunan-2023/30.3)",
                    field=f"articles.{i}",
                )

    def _load_own_or_managed(self, ctx: Context, sid: UUID) -> Supervisor:
        """The supervisor itself, or a regulator managing it."""
        sup: Supervisor = self._get(Supervisor, sid)
        if ctx.principal.role == "supervisor":
            if ctx.principal.subject != sup.subject:
                raise Forbidden("a supervisor may declare only its own conflicts of interest")
            _in_jurisdiction(ctx.principal, "read", sup.jurisdiction)
        else:
            ctx.principal.require("decide", sup.jurisdiction, sup.district or "", None)
        self._check_version(ctx, sup)
        return sup

    def declare_conflict(
        self, ctx: Context, sid: UUID, *, institution: UUID, relation: str, on: date
    ) -> dict[str, Any]:
        self._not_future(on)
        sup = self._load_own_or_managed(ctx, sid)
        inst: Institution | None = self._find(Institution, institution)
        if inst is None or inst.jurisdiction != sup.jurisdiction:
            raise InvalidInput(
                f"no institution {institution} is filed in {sup.jurisdiction}",
                field="institution_id",
            )
        sup.declare_conflict(institution, relation, on, self.stamp(ctx))
        return self._save_supervisor(ctx, sup)

    def end_conflict(
        self, ctx: Context, sid: UUID, *, institution: UUID, reason: str, on: date
    ) -> dict[str, Any]:
        self._not_future(on)
        sup = self._load_supervisor(ctx, sid)
        sup.end_conflict(institution, reason, on, self.stamp(ctx))
        return self._save_supervisor(ctx, sup)

    # --- assignments ----------------------------------------------------------------------

    def _supervisors_named(self, ids: Sequence[UUID], field_name: str) -> list[Supervisor]:
        found: list[Supervisor] = []
        for i, sid in enumerate(ids):
            sup: Supervisor | None = self._find(Supervisor, sid)
            if sup is None:
                raise InvalidInput(f"no supervisor {sid}", field=f"{field_name}.{i}")
            found.append(sup)
        return found

    def _log_for(self, inst: Institution, stamp: Stamp) -> SupervisionLog:
        log: SupervisionLog | None = self._find(SupervisionLog, supervision_log_id(inst.id))
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
        self._not_future(on)
        inst: Institution = self._get(Institution, institution)
        ctx.principal.require("decide", inst.jurisdiction, inst.district, None)
        if len(set(supervisors)) != len(supervisors):
            raise InvalidInput("a supervisor is named twice", field="supervisors")
        policy = self.supervision_policy(inst.jurisdiction, starts_on, "starts_on")
        problem = group_size_problem(kind, len(supervisors), policy)
        if problem is not None:
            raise problem
        sups = self._supervisors_named(supervisors, "supervisors")
        stamp = self.stamp(ctx)
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
        self._commit(ctx, result, assignment, log)
        return result

    def assignment(self, principal: Principal, aid: UUID, version: int | None = None) -> Assignment:
        assignment: Assignment = self._get(Assignment, aid, version)
        principal.require("read", assignment.jurisdiction, assignment.district, None)
        return assignment

    def withdraw_assignment(
        self, ctx: Context, aid: UUID, *, reason: str, on: date
    ) -> dict[str, Any]:
        """Withdraw an assignment nobody has visited under; it stops counting for rotation."""
        self._not_future(on)
        assignment: Assignment = self._get(Assignment, aid)
        ctx.principal.require("decide", assignment.jurisdiction, assignment.district, None)
        self._check_version(ctx, assignment)
        stamp = self.stamp(ctx)
        assignment.withdraw(reason, on, stamp)
        log: SupervisionLog = self._get(
            SupervisionLog, supervision_log_id(UUID(assignment.institution_id))
        )
        log.remove(assignment.id, stamp)
        result = {"assignment_id": str(assignment.id), "version": assignment.version}
        self._commit(ctx, result, assignment, log)
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
        self._not_future(on)
        held: Assignment = self._get(Assignment, assignment)
        named = self._supervisors_named(supervisors, "supervisors")
        self._authorise_visit(ctx.principal, held, named)
        self._check_version(ctx, held)
        strangers = [str(s.id) for s in named if not held.holds(s.id)]
        if strangers:
            raise InvalidInput(
                f"{', '.join(strangers)} not assigned to this supervision", field="supervisors"
            )
        inst: Institution = self._get(Institution, UUID(held.institution_id))
        policy = self.supervision_policy(held.jurisdiction, on)
        bars = [bar for s in named for bar in s.bars_for(inst.id, on, policy, sessions)]
        if bars:
            raise refusal(bars, "supervisors")
        for i, finding in enumerate(findings):
            problem = finding_problem(
                finding, self.rulebook_for(inst.jurisdiction, finding["occurred_on"]), on
            )
            if problem is not None:
                raise InvalidInput(problem, field=f"findings.{i}")
        stamp = self.stamp(ctx)
        vid = held.next_visit_id
        finding_ids = [
            self._add_finding(
                inst,
                History.from_events(self._events(inst.id) + inst.pending_events),
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
        visit = SupervisionVisit.record(
            assignment=held,
            on=on,
            mode=mode,
            supervisors=[str(s.id) for s in named],
            sessions=sessions,
            checked=checked,
            findings=findings,
            finding_ids=finding_ids,
            summary=summary,
            stamp=stamp,
        )
        held.file_visit(visit.id, on, stamp)
        result = {"visit_id": str(visit.id), "version": visit.version}
        changed: list[Any] = [visit, held]
        if inst.pending_events:
            changed.append(inst)
        self._commit(ctx, result, *changed)
        return result

    def _authorise_visit(
        self, principal: Principal, held: Assignment, named: Sequence[Supervisor]
    ) -> None:
        if principal.role != "supervisor":
            principal.require("decide", held.jurisdiction, held.district, None)
            return
        _in_jurisdiction(principal, "read", held.jurisdiction)
        own = [s for s in named if s.subject == principal.subject and held.holds(s.id)]
        if not own:
            raise Forbidden(
                "a supervisor files visit records only under an assignment it holds,"
                " for a visit it took part in"
            )

    def visit(
        self, principal: Principal, vid: UUID, version: int | None = None
    ) -> SupervisionVisit:
        visit: SupervisionVisit = self._get(SupervisionVisit, vid, version)
        principal.require("read", visit.jurisdiction, visit.district, UUID(visit.institution_id))
        return visit

    # --- campaigns ------------------------------------------------------------------------

    def open_campaign(
        self,
        ctx: Context,
        *,
        reference: str,
        title: str,
        jurisdiction: str,
        district: str | None,
        kind: str,
        matters: list[str],
        institution_kinds: list[str],
        occupations: list[str],
        supervisor_district: str | None,
        target_count: int,
        group_size: int,
        max_targets_per_supervisor: int,
        planned_on: date,
        on: date,
    ) -> dict[str, Any]:
        self._not_future(on)
        ctx.principal.require("decide", jurisdiction, district or "", None)
        policy = self.supervision_policy(jurisdiction, planned_on, "planned_on")
        existing: Campaign | None = self._find(Campaign, campaign_id(jurisdiction, reference))
        if existing is not None:
            raise Conflict(
                f"campaign {reference} already exists in {jurisdiction}",
                existing=str(existing.id),
                field="reference",
            )
        campaign = Campaign.open(
            reference=reference,
            title=title,
            jurisdiction=jurisdiction,
            district=district,
            kind=kind,
            matters=matters,
            institution_kinds=institution_kinds,
            occupations=occupations,
            supervisor_district=supervisor_district,
            target_count=target_count,
            group_size=group_size,
            max_targets_per_supervisor=max_targets_per_supervisor,
            planned_on=planned_on,
            on=on,
            stamp=self.stamp(ctx),
            policy=policy,
        )
        result = {"campaign_id": str(campaign.id), "version": campaign.version}
        try:
            self._commit(ctx, result, campaign)
        except VersionConflict:
            raise Conflict(
                f"campaign {reference} already exists in {jurisdiction}",
                existing=str(campaign.id),
                field="reference",
            ) from None
        return result

    def campaign(self, principal: Principal, cid: UUID, version: int | None = None) -> Campaign:
        campaign: Campaign = self._get(Campaign, cid, version)
        principal.require(
            "read", campaign.jurisdiction, campaign.district or principal.district or "", None
        )
        return campaign

    def _load_campaign(self, ctx: Context, cid: UUID) -> Campaign:
        campaign: Campaign = self._get(Campaign, cid)
        ctx.principal.require("decide", campaign.jurisdiction, campaign.district or "", None)
        self._check_version(ctx, campaign)
        return campaign

    def draw_campaign(
        self, ctx: Context, cid: UUID, *, seed: str, seed_source: str, on: date
    ) -> dict[str, Any]:
        """Draw targets and groups, record the draw and make one assignment per target,
        all in one transaction (a concurrent assignment to a target makes it retry)."""
        self._not_future(on)
        campaign = self._load_campaign(ctx, cid)
        campaign.require_drawable(on)
        policy = self.supervision_policy(campaign.jurisdiction, campaign.planned_on, "planned_on")
        pools, institutions, supervisors, logs = self._draw_pools(campaign, policy)
        outcome = draw(campaign.spec(seed, pools))
        stamp = self.stamp(ctx)
        changed: list[Any] = []
        targets: list[dict[str, Any]] = []
        for target in outcome.targets:
            inst = institutions[target.institution]
            log = logs.get(target.institution) or SupervisionLog.open(
                inst.id, inst.jurisdiction, stamp
            )
            assignment = Assignment.make(
                number=log.next_number,
                institution=inst.id,
                institution_name=inst.name,
                jurisdiction=inst.jurisdiction,
                district=inst.district,
                kind=campaign.kind,
                supervisors=list(target.supervisors),
                starts_on=campaign.planned_on,
                sessions=[],
                matters=campaign.matters,
                campaign=campaign.id,
                on=on,
                stamp=stamp,
                policy=policy,
            )
            log.add(assignment.id, campaign.planned_on, assignment.supervisors, stamp)
            changed.extend([assignment, log])
            targets.append(
                {
                    "institution": target.institution,
                    "name": inst.name,
                    "credit_code": inst.credit_code,
                    "assignment_id": str(assignment.id),
                    "supervisors": [
                        {
                            "id": s,
                            "name": supervisors[s].name,
                            "card_number": supervisors[s].card_number,
                        }
                        for s in target.supervisors
                    ],
                }
            )
        campaign.record_draw(
            seed=seed, seed_source=seed_source, pools=pools, targets=targets, on=on, stamp=stamp
        )
        result = {"campaign_id": str(campaign.id), "version": campaign.version}
        self._commit(ctx, result, campaign, *changed)
        return result

    def _draw_pools(
        self, campaign: Campaign, policy: SupervisionPolicy
    ) -> tuple[
        DrawPools,
        dict[str, Institution],
        dict[str, Supervisor],
        dict[str, SupervisionLog],
    ]:
        """The pools of a campaign as the register stands now (see ``domain/campaign.py``)."""
        on = campaign.planned_on
        institutions: dict[str, Institution] = {}
        institution_exclusions: list[dict[str, str]] = []
        for uid in self._originators_of(FilingSubmitted):  # every institution of the register
            inst: Institution = self._get(Institution, uid)
            if not _in_scope(inst, campaign):
                continue
            if inst.status != "active":
                institution_exclusions.append(
                    {"institution": str(inst.id), "reason": f"filing {inst.status}"}
                )
                continue
            institutions[str(inst.id)] = inst

        registry: Registry | None = self._find(
            Registry, registry_id(_registry_name(campaign.jurisdiction))
        )
        supervisors: dict[str, Supervisor] = {}
        supervisor_exclusions: list[dict[str, Any]] = []
        for entry in registry.entries if registry else []:
            sup: Supervisor = self._get(Supervisor, UUID(entry))
            if sup.kind != "external":
                continue
            if campaign.supervisor_district and sup.district != campaign.supervisor_district:
                continue
            bars = sup.bars(on, policy)
            if bars:
                supervisor_exclusions.append(
                    {
                        "supervisor": entry,
                        "codes": [b.code for b in bars],
                        "reasons": [b.detail for b in bars],
                        "articles": sorted({a for b in bars for a in b.articles}),
                    }
                )
                continue
            supervisors[entry] = sup

        barred: list[dict[str, Any]] = []
        for sid, sup in supervisors.items():
            for key in sorted(set(sup.conflicts) & set(institutions)):
                for bar in sup.bars_for(UUID(key), on, policy):
                    if bar.code == "conflict":
                        barred.append({"supervisor": sid, "institution": key, **bar.as_dict()})
        logs: dict[str, SupervisionLog] = {}
        kept = set(self._originators_of(SupervisionLogOpened))  # one scan, not one per institution
        for key in institutions:
            log_id = supervision_log_id(UUID(key))
            if log_id not in kept:
                continue
            log: SupervisionLog = self._get(SupervisionLog, log_id)
            logs[key] = log
            history = log.history()
            seen = {s for _, members in history for s in members}
            for sid in sorted(seen & set(supervisors)):
                rotation = rotation_bar(history, supervisors[sid], on, policy)
                if rotation is not None:
                    barred.append({"supervisor": sid, "institution": key, **rotation.as_dict()})
        pools = DrawPools(
            institutions=sorted(institutions),
            institution_exclusions=institution_exclusions,
            supervisors=sorted(supervisors),
            supervisor_exclusions=supervisor_exclusions,
            barred_pairs=barred,
        )
        return pools, institutions, supervisors, logs

    def _originators_of(self, created: type[LedgerCreated]) -> Iterator[UUID]:
        """The ids of every aggregate whose history starts with ``created``."""
        topic = get_topic(created)
        start = 1
        while True:
            batch = self.recorder.select_notifications(
                start=start, limit=NOTIFICATION_PAGE, topics=[topic]
            )
            if not batch:
                return
            for notification in batch:
                yield UUID(str(notification.originator_id))
            start = batch[-1].id + 1

    def publish_campaign(self, ctx: Context, cid: UUID, *, on: date) -> dict[str, Any]:
        self._not_future(on)
        campaign = self._load_campaign(ctx, cid)
        campaign.publish(on, self.stamp(ctx))
        result = {"campaign_id": str(campaign.id), "version": campaign.version}
        self._commit(ctx, result, campaign)
        return result

    def campaign_publication(self, cid: UUID) -> dict[str, Any]:
        """The published draw, for anyone; a campaign not yet published is not found."""
        campaign: Campaign | None = self._find(Campaign, cid)
        if campaign is None or campaign.published_on is None:
            raise NotFound(f"no published campaign {cid}")
        return campaign.publication()

    def verify_campaign(self, cid: UUID) -> DrawCheck:
        """Re-run the recorded draw from the recorded event alone."""
        campaign: Campaign = self._get(Campaign, cid)
        return verify_publication(campaign.publication())


def _in_scope(inst: Institution, campaign: Campaign) -> bool:
    if inst.jurisdiction != campaign.jurisdiction:
        return False
    if campaign.district is not None and inst.district != campaign.district:
        return False
    if campaign.institution_kinds and inst.kind not in campaign.institution_kinds:
        return False
    held = {line["occupation"] for line in inst.scope}
    return not campaign.occupations or bool(held & set(campaign.occupations))
