"""A draft rulebook's impact over the store: every institution of the draft's jurisdiction
replayed under the rulebooks in force and under the catalogue with the draft.

The histories come from a ``HistorySource``: by default one read per institution through
the ledger (any backend); the composition root hands the application one that reads the
whole store in one pass ordered by institution (``bootstrap/histories.py``). The run is a
generator of ``Tick``s, so that whoever drives it times it and reports progress; nothing
here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from domain import events as ev
from domain.access import Principal
from domain.draft import parse_draft, with_draft
from domain.errors import Forbidden, InvalidInput
from domain.history import HistoryFold
from domain.impact import InstitutionImpact, Subject, Summary, default_as_of, replay
from domain.ledger import Ledger
from domain.rulebook import Catalogue, Rulebook
from domain.rulebook_diff import Change, diff

#: Roles that may see a draft's impact (a regulator only inside its jurisdiction).
IMPACT_ROLES = ("admin", "reviewer", "regulator")


@dataclass(frozen=True)
class Stream:
    """One institution's recorded events in version order, and how far the pass has read:
    ``read`` of about ``total`` stored events (every aggregate's)."""

    events: Sequence[Any]
    read: int
    total: int


class HistorySource(Protocol):
    def institutions(self, keep: Callable[[ev.FilingSubmitted], bool]) -> Iterator[Stream]:
        """Every institution whose first event ``keep`` accepts, with all its events."""
        ...


class LedgerHistories:
    """One read per institution through the ledger: right on every backend, and the
    baseline the one-pass source is held to."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def institutions(self, keep: Callable[[ev.FilingSubmitted], bool]) -> Iterator[Stream]:
        ids = list(self.ledger.originators(ev.FilingSubmitted))
        for n, iid in enumerate(ids, 1):
            events = self.ledger.events(iid)
            if events and keep(events[0]):
                yield Stream(events, n, len(ids))


def subject_of(events: Sequence[Any]) -> Subject:
    """The institution's id, latest name and district, and history."""
    first = events[0]
    name, district = first.name, first.district
    for e in events:
        if isinstance(e, ev.FilingResubmitted):
            name, district = e.name, e.district
        elif isinstance(e, ev.DetailsChanged):
            name = e.changes.get("name", name)
            district = e.changes.get("district", district)
    return Subject(str(first.originator_id), name, district, HistoryFold.of(events).history)


@dataclass(frozen=True)
class Plan:
    """What a run compares: the draft, the catalogues with and without it, where and when."""

    draft: Rulebook
    current: Catalogue
    proposed: Catalogue
    jurisdiction: str
    district: str | None
    as_of: date
    #: The rulebook the draft revises (the published one of its id, else the one in force).
    base: Rulebook | None

    def changes(self) -> list[Change]:
        return diff(self.base, self.draft) if self.base is not None else []

    def keeps(self, first: ev.FilingSubmitted) -> bool:
        return first.jurisdiction == self.jurisdiction and (
            self.district is None or first.district == self.district
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "draft": {
                "id": self.draft.id,
                "version": self.draft.version,
                "content_hash": self.draft.content_hash,
                "effective_from": self.draft.effective_from,
            },
            "against": None if self.base is None else self.base.ref,
            "jurisdiction": self.jurisdiction,
            "district": self.district,
            "as_of": self.as_of,
        }


@dataclass(frozen=True)
class Tick:
    """One institution replayed: its differences (None: none), and the pass's position."""

    impact: InstitutionImpact | None
    read: int
    total: int


@dataclass(frozen=True)
class Progress:
    """How far a run is: institutions replayed, changed, their rate and the time left."""

    replayed: int
    changed: int
    rate: float  # institutions per second
    eta_seconds: float | None
    fraction: float

    @classmethod
    def of(cls, summary: Summary, tick: Tick, elapsed: float) -> Progress:
        fraction = min(1.0, tick.read / tick.total) if tick.total else 1.0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        rate = summary.replayed / elapsed if elapsed > 0 else 0.0
        return cls(summary.replayed, summary.changed, rate, eta, fraction)

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "changed": self.changed,
            "rate": round(self.rate, 1),
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds, 1),
            "fraction": round(self.fraction, 4),
        }


@dataclass
class Report:
    """A finished run: the plan, the diff, every institution that differs, the totals."""

    plan: Plan
    changes: list[Change]
    impacts: list[InstitutionImpact] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)

    def add(self, tick: Tick) -> None:
        self.summary.add(tick.impact)
        if tick.impact is not None:
            self.impacts.append(tick.impact)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.plan.as_dict(),
            "changes": [c.as_dict() for c in self.changes],
            "summary": self.summary.as_dict(),
            "institutions": [i.as_dict() for i in self.impacts],
        }


class ProgressMeter:
    """A run's ticks made into :class:`Progress`, shown at most every ``every`` seconds of
    ``timer`` (a monotonic clock the caller supplies), and its last progress at the end."""

    def __init__(
        self, timer: Callable[[], float], every: float, show: Callable[[Progress], None]
    ) -> None:
        self.timer = timer
        self.every = every
        self.show = show
        self.started = timer()
        self._last = self.started
        self.seconds: float | None = None

    def __call__(self, report: Report, tick: Tick) -> None:
        now = self.timer()
        if now - self._last >= self.every:
            self._last = now
            self.show(Progress.of(report.summary, tick, now - self.started))

    def stop(self) -> float:
        """The run's seconds, read once: later calls answer the same."""
        if self.seconds is None:
            self.seconds = self.timer() - self.started
        return self.seconds

    def final(self, report: Report) -> Progress:
        """The finished run's progress: everything read, at the rate of the whole run."""
        seconds, s = self.stop(), report.summary
        rate = s.replayed / seconds if seconds > 0 else 0.0
        return Progress(s.replayed, s.changed, rate, 0.0, 1.0)


class ImpactCommands:
    def __init__(self, ledger: Ledger, source: HistorySource | None = None) -> None:
        self.ledger = ledger
        self.source: HistorySource = source or LedgerHistories(ledger)

    def plan(self, principal: Principal, raw: bytes, file: str, as_of: date | None = None) -> Plan:
        """The draft in ``raw`` validated (``DraftError`` names file, line and field) and
        the caller's scope checked: the draft's jurisdiction for a regulator (its district
        only, for one scoped to a district), anything for reviewers and administrators."""
        principal.require_role(*IMPACT_ROLES)
        draft = parse_draft(raw, file)
        if draft.jurisdiction is None:
            raise InvalidInput(
                "the draft names no jurisdiction, so there is no institution to replay",
                field="jurisdiction",
            )
        principal.require("read", draft.jurisdiction, principal.district or "", None)
        if principal.role == "regulator" and principal.jurisdiction != draft.jurisdiction:
            raise Forbidden(f"{draft.jurisdiction} is outside this token's scope")
        current = self.ledger.catalogue
        on = as_of or default_as_of(self.ledger.today(), draft.effective_from)
        return Plan(
            draft=draft,
            current=current,
            proposed=with_draft(current, draft),
            jurisdiction=draft.jurisdiction,
            district=principal.district if principal.role == "regulator" else None,
            as_of=on,
            base=_base(current, draft, on),
        )

    def ticks(self, plan: Plan) -> Iterator[Tick]:
        """Each institution of the plan replayed, in the order the source reads them."""
        for stream in self.source.institutions(plan.keeps):
            subject = subject_of(stream.events)
            impact = replay(subject, plan.current, plan.proposed, plan.jurisdiction, plan.as_of)
            yield Tick(impact, stream.read, stream.total)

    def run(self, plan: Plan, on_tick: Callable[[Report, Tick], None] | None = None) -> Report:
        report = Report(plan, plan.changes())
        for tick in self.ticks(plan):
            report.add(tick)
            if on_tick is not None:
                on_tick(report, tick)
        return report


def _base(catalogue: Catalogue, draft: Rulebook, on: date) -> Rulebook | None:
    try:
        return catalogue.get(draft.id)
    except KeyError:
        return catalogue.in_force(draft.jurisdiction or "", on)
