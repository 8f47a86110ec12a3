"""The read side the API and the pages ask: files, audit trails, assessments, explanations.

``Records`` takes the ledger, like the command modules, and authorises every read with the
caller's principal. Lists and dashboards read the projections instead; these rebuild
aggregates and histories from the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.access import Principal, Registry, registry_id
from domain.assignment import Assignment, SupervisionVisit
from domain.campaign import Campaign
from domain.chain import ChainBreak, verify_chain
from domain.commands.findings import Assessor
from domain.commands.supervision import supervisor_registry
from domain.credit import rating_at
from domain.detection import inactivity_flags
from domain.errors import NotFound
from domain.escalation import Finding, combine, governed
from domain.events import FilingSubmitted
from domain.history import History
from domain.institution import Institution
from domain.ledger import Ledger, StoredEvent, audit_entry, owner_of, require_in_jurisdiction
from domain.supervisor import Supervisor


class Records:
    def __init__(self, ledger: Ledger, *, shared: bool = False) -> None:
        self.ledger = ledger
        self.assessor = Assessor(ledger)
        #: With ``shared``: each aggregate's events, its latest institution and the histories
        #: folded from them, read once and shared by every read made through this object.
        self._events_read: dict[UUID, list[Any]] | None = {} if shared else None
        self._latest: dict[UUID, Institution] = {}
        self._histories: dict[tuple[UUID, date | None, datetime | None], History] = {}

    def sharing(self) -> Records:
        """Records for the reads of one request (one thread): the institution and its events
        are read once and shared among them, so a page made of several reads of one history
        asks the store once. Not for commands, and not kept beyond the request."""
        return Records(self.ledger, shared=True)

    def _events(self, aggregate_id: UUID, known_at: datetime | None = None) -> list[Any]:
        """The recorded events of an aggregate (by ``known_at``), once per shared object."""
        if self._events_read is None:
            return self.ledger.events(aggregate_id, known_at)
        events = self._events_read.get(aggregate_id)
        if events is None:
            events = self._events_read[aggregate_id] = self.ledger.events(aggregate_id)
        return events if known_at is None else [e for e in events if e.timestamp <= known_at]

    def _history_of(
        self, iid: UUID, as_of: date | None, known_at: datetime | None, events: list[Any]
    ) -> History:
        """The history folded from ``events`` (those of ``iid`` at that point in time)."""
        if self._events_read is None:
            return History.from_events(events)
        key = (iid, as_of, known_at)
        history = self._histories.get(key)
        if history is None:
            history = self._histories[key] = History.from_events(events)
        return history

    # --- institutions ---------------------------------------------------------------------

    def institution(
        self, principal: Principal, iid: UUID, version: int | None = None
    ) -> Institution:
        shared = self._events_read is not None and version is None
        inst = self._latest.get(iid) if shared else None
        if inst is None:
            inst = self.ledger.get_for(principal, Institution, iid, version)
            if shared:
                self._latest[iid] = inst
        elif not principal.knows(owner_of(inst)):
            inst = self.ledger.get_for(principal, Institution, iid, version)  # refuses it
        principal.require("read", inst.jurisdiction, inst.district, inst.id)
        return inst

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
        events = self._events_at(iid, as_of, known_at)
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

    def _events_at(self, iid: UUID, as_of: date | None, known_at: datetime | None) -> list[Any]:
        """The events recorded by ``known_at`` whose business date is on or before ``as_of``
        (the first, which creates the record, always)."""
        events = self._events(iid, known_at)
        if as_of is None:
            return events
        return [e for e in events if e.occurred_on <= as_of or e.originator_version == 1]

    def institution_events(
        self,
        principal: Principal,
        iid: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> list[StoredEvent]:
        self.institution(principal, iid)
        return [audit_entry(e) for e in self._events_at(iid, as_of, known_at)]

    def verify_institution(
        self,
        principal: Principal,
        iid: UUID,
        *,
        known_at: datetime | None = None,
        full: bool = True,
    ) -> ChainBreak | None:
        """Where the hash chain first fails over the events recorded by ``known_at``; not
        ``full``: checked from the prefix this process verified before (see
        :meth:`verify_aggregate`)."""
        self.institution(principal, iid)
        return self.verify_aggregate(iid, known_at, full=full)

    def verify_aggregate(
        self, aggregate_id: UUID, known_at: datetime | None = None, *, full: bool = True
    ) -> ChainBreak | None:
        """Where the aggregate's hash chain first fails, or None. ``full``: every event is
        checked (the audit's check, which finds any stored event altered since it was
        recorded); else only the events after the prefix this process has verified already
        (``Ledger.verified``): each event is verified once per process, and an event
        altered after its verification is found by the next full check."""
        events = self._events(aggregate_id, known_at)
        if full:
            return verify_chain([_link(e) for e in events])
        return self.ledger.verified.verify(aggregate_id, events, _link)

    def all_originators(self) -> Iterator[UUID]:
        """Every aggregate id in the store, in order of first appearance."""
        return self.ledger.originators()

    def has_institutions(self) -> bool:
        return next(self.ledger.originators(FilingSubmitted), None) is not None

    # --- what the rules require -----------------------------------------------------------

    def assessment(
        self,
        principal: Principal,
        iid: UUID,
        as_of: date,
        *,
        known_at: datetime | None = None,
        as_it_stood: bool = False,
    ) -> dict[str, Any]:
        """What the rules require at ``as_of`` for every finding not yet decided; with
        ``known_at``, as the store knew the file at that instant; ``as_it_stood``, from the
        facts dated by ``as_of`` only (a decision or annulment dated later not yet made)."""
        inst, history = self._file_at(principal, iid, as_of if as_it_stood else None, known_at)
        assessments = [
            self.assessor.assess(inst, history, Finding.of(f), as_of)
            for f in history.open_findings()
            if f.occurred_on <= as_of
        ]
        rulebook = self.ledger.catalogue.in_force(inst.jurisdiction, as_of)
        first = self.ledger.catalogue.rules_from(inst.jurisdiction)
        due = (
            inactivity_flags(history, rulebook, as_of, first)
            if rulebook and inst.holds_scope()
            else []
        )
        return {
            "institution_id": str(iid),
            "as_of": as_of,
            "requirement": combine(governed(assessments)),
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

    def case_requirement(
        self, principal: Principal, iid: UUID, case_id: str, as_of: date
    ) -> dict[str, Any]:
        """What the rules require at ``as_of`` for the findings of one case together (what
        its notice and its decision record)."""
        inst = self.institution(principal, iid)
        finding_ids = list(inst.case(case_id)["finding_ids"])
        return self.assessor.requirement(inst, self.ledger.history(iid), finding_ids, as_of)

    def credit_rating(
        self,
        principal: Principal,
        iid: UUID,
        as_of: date,
        *,
        known_at: datetime | None = None,
        as_it_stood: bool = False,
    ) -> dict[str, Any]:
        """The rating on ``as_of`` with every change that led to it (``known_at`` and
        ``as_it_stood`` as for :meth:`assessment`)."""
        inst, history = self._file_at(principal, iid, as_of if as_it_stood else None, known_at)
        catalogue = self.ledger.catalogue
        rulebook = catalogue.in_force(inst.jurisdiction, as_of) or catalogue.in_force(
            inst.jurisdiction, inst.submitted_on
        )
        if rulebook is None:
            raise NotFound(f"no rulebook of {inst.jurisdiction} covers {as_of}", field="as_of")
        rating = rating_at(history, rulebook, as_of)
        return {"institution_id": str(iid), **rating.as_dict()}

    def explain_decision(
        self,
        principal: Principal,
        iid: UUID,
        decision_id: str,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> dict[str, Any]:
        """A decision rebuilt for review: what was known, what was required then and what
        would be now, and why the two differ. With ``as_of`` and ``known_at``, "now" is the
        file as of that business date as the store knew it at that instant."""
        inst = self.institution(principal, iid)
        events = self._events_at(iid, as_of, known_at)
        decided = _decided(events, decision_id)
        stored = dict(decided.requirement)
        now = self.assessor.requirement(
            inst,
            self._history_of(iid, as_of, known_at, events),
            inst.case(decided.case_id)["finding_ids"],
            decided.occurred_on,
        )
        appeals = _later_appeals(events, decided.originator_version)
        differs, why_en, why_zh = _differences(stored, now, appeals)
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
            "known_events": _known_events(events, decided.known_version),
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
            "why_en": why_en,
            "why_zh": why_zh,
            "later_appeals": appeals,
        }

    def _file_at(
        self, principal: Principal, iid: UUID, as_of: date | None, known_at: datetime | None
    ) -> tuple[Institution, History]:
        """The file and its history from the facts dated by ``as_of``, as the store knew
        them at ``known_at`` (each: all of them when ``None``)."""
        if as_of is None and known_at is None:
            # The history at the file's version: the kept fold, when it is of that version,
            # without asking the store again for what was recorded since.
            inst = self.institution(principal, iid)
            return inst, self.ledger.fold(iid, upto=inst.version).history
        inst = self.institution_at(principal, iid, as_of=as_of, known_at=known_at)
        events = self._events_at(iid, as_of, known_at)
        return inst, self._history_of(iid, as_of, known_at, events)

    # --- supervision ----------------------------------------------------------------------

    def supervisor(self, principal: Principal, sid: UUID, version: int | None = None) -> Supervisor:
        """A supervisor of the caller's jurisdiction (of any district), or an internal
        supervisor of the institution asking."""
        sup = self.ledger.get_for(principal, Supervisor, sid, version)
        principal.require("read", sup.jurisdiction, principal.district or "", owner_of(sup))
        return sup

    def supervisors(self, principal: Principal, jurisdiction: str) -> list[Supervisor]:
        require_in_jurisdiction(principal, "read", jurisdiction)
        registry = self.ledger.find(Registry, registry_id(supervisor_registry(jurisdiction)))
        if registry is None:
            return []
        return [self.ledger.get(Supervisor, UUID(s)) for s in registry.entries]

    def assignment(self, principal: Principal, aid: UUID, version: int | None = None) -> Assignment:
        assignment = self.ledger.get_for(principal, Assignment, aid, version)
        principal.require("read", assignment.jurisdiction, assignment.district, None)
        return assignment

    def visit(
        self, principal: Principal, vid: UUID, version: int | None = None
    ) -> SupervisionVisit:
        visit = self.ledger.get_for(principal, SupervisionVisit, vid, version)
        principal.require("read", visit.jurisdiction, visit.district, UUID(visit.institution_id))
        return visit

    def campaign(self, principal: Principal, cid: UUID, version: int | None = None) -> Campaign:
        campaign = self.ledger.get_for(principal, Campaign, cid, version)
        principal.require(
            "read", campaign.jurisdiction, campaign.district or principal.district or "", None
        )
        return campaign

    def campaign_publication(self, cid: UUID) -> dict[str, Any]:
        """The published draw, for anyone; a campaign not yet published is not found."""
        campaign = self.ledger.find(Campaign, cid)
        if campaign is None or campaign.published_on is None:
            raise NotFound(f"no published campaign {cid}")
        return campaign.publication()

    def supervision_events(self, principal: Principal, aggregate_id: UUID) -> list[StoredEvent]:
        """The audit trail of a supervisor, assignment, visit or campaign the caller may read."""
        aggregate = self.ledger.find(object, aggregate_id)
        readers: dict[type, Callable[[Principal, UUID], object]] = {
            Supervisor: self.supervisor,
            Assignment: self.assignment,
            SupervisionVisit: self.visit,
            Campaign: self.campaign,
        }
        read = readers.get(type(aggregate))
        if read is None or not principal.knows(owner_of(aggregate)):
            raise NotFound(f"no supervision record {aggregate_id}")
        read(principal, aggregate_id)
        return [audit_entry(e) for e in self._events(aggregate_id)]


def _link(event: Any) -> tuple[str, dict[str, Any]]:
    """An event as its link in the hash chain: its topic and fields."""
    return get_topic(type(event)), dict(event.__dict__)


# --- a decision's explanation, step by step -------------------------------------------------


def _decided(events: list[Any], decision_id: str) -> Any:
    """The ``CaseDecided`` event of the decision."""
    for e in events:
        if type(e).__name__ == "CaseDecided" and e.decision_id == decision_id:
            return e
    raise NotFound(f"decision {decision_id} does not exist", field="decision_id")


def _known_events(events: list[Any], known_version: int) -> list[dict[str, Any]]:
    """The events the decision was computed from."""
    return [
        {
            "version": e.originator_version,
            "type": type(e).__name__,
            "occurred_on": e.occurred_on,
            "recorded_at": e.timestamp,
        }
        for e in events
        if e.originator_version <= known_version
    ]


def _later_appeals(events: list[Any], decided_version: int) -> list[dict[str, Any]]:
    """The appeals decided after the decision that annulled or varied a decision."""
    return [
        {
            "decision_id": e.decision_id,
            "outcome": e.outcome,
            "version": e.originator_version,
            "occurred_on": e.occurred_on,
        }
        for e in events
        if e.originator_version > decided_version
        and type(e).__name__ == "AppealDecided"
        and e.outcome != "upheld"
    ]


def _differences(
    then: dict[str, Any], now: dict[str, Any], appeals: list[dict[str, Any]]
) -> tuple[bool, list[str], list[str]]:
    """Whether the requirement would differ now and why, in English and in Chinese."""
    then_grounds = {(g["rule"], g["article"]) for g in then["grounds"]}
    now_grounds = {(g["rule"], g["article"]) for g in now["grounds"]}
    if now["level"] == then["level"] and now_grounds == then_grounds:
        return False, [], []
    why_en: list[str] = []
    why_zh: list[str] = []
    for rule, article in sorted(then_grounds - now_grounds):
        why_en.append(f"ground {rule} ({article}) no longer holds")
        why_zh.append(f"依据 {rule}（{article}）已不成立")
    for rule, article in sorted(now_grounds - then_grounds):
        why_en.append(f"ground {rule} ({article}) now holds")
        why_zh.append(f"依据 {rule}（{article}）现已成立")
    for a in appeals:
        why_en.append(
            f"decision {a['decision_id']} was {a['outcome']} on appeal ({a['occurred_on']})"
        )
        verb = "撤销" if a["outcome"] == "annulled" else "变更"
        why_zh.append(f"决定 {a['decision_id']} 经复议或诉讼被{verb}（{a['occurred_on']}）")
    return True, why_en, why_zh
