"""Random spot-check campaigns (双随机、一公开) and the draw they publish.

A campaign announces its scope first (jurisdiction, district, kinds of institution,
occupations, supervisor pool, how many targets, group size). The draw then takes

- the **institution pool**: every institution of the register inside the scope whose filing
  is active on the day of the draw (the regulator does not hand-pick the candidates; the
  others in scope are recorded with the reason they were left out);
- the **supervisor pool**: every external supervisor of the jurisdiction (or of the named
  district) who may supervise on the planned date — card valid, appointed, not suspended,
  not decertified; the others are recorded with the reasons and articles;
- the **barred pairs**: a supervisor who may not supervise one institution — a declared
  conflict of interest (recusal) or a run that would break rotation;
- a **seed**, chosen outside the domain (generated from a cryptographic source, or supplied
  and marked as such).

:func:`draw` is a pure function of those inputs. Anyone holding the published result can run
it again (``oversight draw verify``) and must get the same targets and groups.

The algorithm (``sha256-rank/1``)::

    key(parts...) = SHA-256 of the UTF-8 JSON array ["sha256-rank/1", seed, *parts]
                    (no spaces, non-ASCII kept), compared as hex strings
    institutions in ascending key("institution", institution_id)
    for each, until target_count are chosen:
        supervisors in ascending key("supervisor", institution_id, supervisor_id)
        take the first group_size that are not barred for this institution and have
        fewer than max_targets_per_supervisor targets so far
        if fewer than group_size qualify, the institution is passed over
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.assignment import SUPERVISION_KINDS, group_size_problem
from domain.base import LedgerAggregate, Stamp
from domain.errors import Conflict, InvalidInput
from domain.events import CampaignDrawn, CampaignOpened, CampaignPublished
from domain.institution import KINDS as INSTITUTION_KINDS
from domain.institution import OCCUPATION_CODE
from domain.supervisor import SupervisionPolicy

ALGORITHM = "sha256-rank/1"
CAMPAIGN_NAMESPACE = uuid5(NAMESPACE_URL, "skills-oversight:campaign")
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SEED_SOURCES = ("generated", "supplied")
MAX_SEED_LENGTH = 200


def campaign_id(jurisdiction: str, reference: str) -> UUID:
    return uuid5(CAMPAIGN_NAMESPACE, f"{jurisdiction}:{reference}")


# --- the draw: pure and deterministic -----------------------------------------------------


def rank_key(seed: str, *parts: str) -> str:
    payload = json.dumps([ALGORITHM, seed, *parts], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DrawSpec:
    seed: str
    institutions: tuple[str, ...]
    supervisors: tuple[str, ...]
    barred: frozenset[tuple[str, str]]  # (supervisor id, institution id)
    target_count: int
    group_size: int
    max_targets_per_supervisor: int = 1

    def __post_init__(self) -> None:
        if not self.seed or len(self.seed) > MAX_SEED_LENGTH:
            raise InvalidInput(f"the seed has 1 to {MAX_SEED_LENGTH} characters", field="seed")
        for name in ("target_count", "group_size", "max_targets_per_supervisor"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"{name} must be at least 1", field=name)


@dataclass(frozen=True)
class DrawnTarget:
    institution: str
    supervisors: tuple[str, ...]  # in drawn order


@dataclass(frozen=True)
class DrawOutcome:
    targets: tuple[DrawnTarget, ...]
    passed_over: tuple[str, ...]  # ranked before the last target, too few supervisors left


def draw(spec: DrawSpec) -> DrawOutcome:
    """Pick targets and a supervisor group for each (see the module docstring)."""
    institutions = sorted(
        set(spec.institutions), key=lambda i: (rank_key(spec.seed, "institution", i), i)
    )
    supervisors = sorted(set(spec.supervisors))
    load: dict[str, int] = {}
    targets: list[DrawnTarget] = []
    passed_over: list[str] = []
    for institution in institutions:
        if len(targets) == spec.target_count:
            break
        available = [
            s
            for s in supervisors
            if (s, institution) not in spec.barred
            and load.get(s, 0) < spec.max_targets_per_supervisor
        ]
        if len(available) < spec.group_size:
            passed_over.append(institution)
            continue
        available.sort(key=lambda s: (rank_key(spec.seed, "supervisor", institution, s), s))
        group = tuple(available[: spec.group_size])
        for s in group:
            load[s] = load.get(s, 0) + 1
        targets.append(DrawnTarget(institution, group))
    return DrawOutcome(tuple(targets), tuple(passed_over))


@dataclass(frozen=True)
class DrawCheck:
    matches: bool
    differences: tuple[str, ...]
    recomputed: DrawOutcome


def verify_publication(published: Mapping[str, Any]) -> DrawCheck:
    """Run the draw again from a published result alone and compare it with what it says."""
    if published.get("algorithm") != ALGORITHM:
        raise InvalidInput(
            f"unknown draw algorithm {published.get('algorithm')!r}; this is {ALGORITHM}",
            field="algorithm",
        )
    params = published["parameters"]
    spec = DrawSpec(
        seed=str(published["seed"]),
        institutions=tuple(str(i) for i in published["institution_pool"]),
        supervisors=tuple(str(s) for s in published["supervisor_pool"]),
        barred=frozenset(
            (str(p["supervisor"]), str(p["institution"])) for p in published["barred_pairs"]
        ),
        target_count=int(params["target_count"]),
        group_size=int(params["group_size"]),
        max_targets_per_supervisor=int(params["max_targets_per_supervisor"]),
    )
    again = draw(spec)
    stated = [
        (str(t["institution"]), tuple(str(s["id"]) for s in t["supervisors"]))
        for t in published["targets"]
    ]
    recomputed = [(t.institution, t.supervisors) for t in again.targets]
    differences: list[str] = []
    for n, (said, got) in enumerate(zip(stated, recomputed, strict=False), start=1):
        if said[0] != got[0]:
            differences.append(f"target {n}: published {said[0]}, the draw gives {got[0]}")
        elif said[1] != got[1]:
            differences.append(
                f"target {n} ({said[0]}): published group {', '.join(said[1])},"
                f" the draw gives {', '.join(got[1])}"
            )
    if len(stated) != len(recomputed):
        differences.append(f"published {len(stated)} targets, the draw gives {len(recomputed)}")
    if [str(i) for i in published.get("passed_over", [])] != list(again.passed_over):
        differences.append("the institutions passed over differ")
    return DrawCheck(not differences, tuple(differences), again)


# --- the campaign aggregate ----------------------------------------------------------------


@dataclass(frozen=True)
class DrawPools:
    """What the draw drew from, with why the others were left out."""

    institutions: list[str]
    institution_exclusions: list[dict[str, str]] = field(default_factory=list)
    supervisors: list[str] = field(default_factory=list)
    supervisor_exclusions: list[dict[str, Any]] = field(default_factory=list)
    barred_pairs: list[dict[str, Any]] = field(default_factory=list)


class Campaign(LedgerAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.reference: str = ""
        self.title: str = ""
        self.jurisdiction: str = ""
        self.district: str | None = None
        self.kind: str = ""
        self.matters: list[str] = []
        self.institution_kinds: list[str] = []
        self.occupations: list[str] = []
        self.supervisor_district: str | None = None
        self.target_count: int = 0
        self.group_size: int = 0
        self.max_targets_per_supervisor: int = 1
        self.planned_on: date = date.min
        self.opened_on: date = date.min
        self.rulebooks: list[str] = []
        self.drawn: dict[str, Any] | None = None
        self.drawn_on: date | None = None
        self.published_on: date | None = None

    @classmethod
    def open(
        cls,
        *,
        reference: str,
        title: str,
        jurisdiction: str,
        district: str | None,
        kind: str,
        matters: Sequence[str],
        institution_kinds: Sequence[str],
        occupations: Sequence[str],
        supervisor_district: str | None,
        target_count: int,
        group_size: int,
        max_targets_per_supervisor: int,
        planned_on: date,
        on: date,
        stamp: Stamp,
        policy: SupervisionPolicy,
    ) -> Campaign:
        items = _matters_of(reference, title, kind, matters)
        _check_counts(
            kind,
            {
                "target_count": target_count,
                "group_size": group_size,
                "max_targets_per_supervisor": max_targets_per_supervisor,
            },
            policy,
        )
        _check_targets(institution_kinds, occupations)
        if planned_on < on:
            raise InvalidInput("the supervision cannot be planned in the past", field="planned_on")
        return cls._start(
            CampaignOpened,
            id=campaign_id(jurisdiction, reference),
            stamp=stamp,
            occurred_on=on,
            reference=reference,
            title=title.strip(),
            jurisdiction=jurisdiction,
            district=district,
            kind=kind,
            matters=items,
            institution_kinds=sorted(set(institution_kinds)),
            occupations=sorted(set(occupations)),
            supervisor_district=supervisor_district,
            target_count=target_count,
            group_size=group_size,
            max_targets_per_supervisor=max_targets_per_supervisor,
            planned_on=planned_on,
            rulebooks=list(policy.rulebooks),
        )

    def _on_CampaignOpened(self, e: CampaignOpened) -> None:
        self.reference = e.reference
        self.title = e.title
        self.jurisdiction = e.jurisdiction
        self.district = e.district
        self.kind = e.kind
        self.matters = list(e.matters)
        self.institution_kinds = list(e.institution_kinds)
        self.occupations = list(e.occupations)
        self.supervisor_district = e.supervisor_district
        self.target_count = e.target_count
        self.group_size = e.group_size
        self.max_targets_per_supervisor = e.max_targets_per_supervisor
        self.planned_on = e.planned_on
        self.opened_on = e.occurred_on
        self.rulebooks = list(e.rulebooks)

    # --- the draw -------------------------------------------------------------------------

    def spec(self, seed: str, pools: DrawPools) -> DrawSpec:
        return DrawSpec(
            seed=seed,
            institutions=tuple(pools.institutions),
            supervisors=tuple(pools.supervisors),
            barred=frozenset((p["supervisor"], p["institution"]) for p in pools.barred_pairs),
            target_count=self.target_count,
            group_size=self.group_size,
            max_targets_per_supervisor=self.max_targets_per_supervisor,
        )

    def require_drawable(self, on: date) -> None:
        """Drawn once, between the opening and the planned supervision."""
        if self.drawn is not None:
            raise Conflict(f"campaign {self.reference} was drawn on {self.drawn_on}")
        if not self.opened_on <= on <= self.planned_on:
            raise InvalidInput(
                f"the draw falls between the opening on {self.opened_on} and the planned"
                f" supervision on {self.planned_on}",
                field="occurred_on",
            )

    def record_draw(
        self,
        *,
        seed: str,
        seed_source: str,
        pools: DrawPools,
        targets: Sequence[Mapping[str, Any]],
        on: date,
        stamp: Stamp,
    ) -> DrawOutcome:
        """Record the draw; ``targets`` describe :func:`draw`'s outcome on these pools
        (institution, name, credit code, assignment id, supervisors with name and card)."""
        self.require_drawable(on)
        if seed_source not in SEED_SOURCES:
            raise InvalidInput(f"seed_source must be one of {SEED_SOURCES}", field="seed_source")
        outcome = draw(self.spec(seed, pools))
        described = [
            (str(t["institution"]), tuple(str(s["id"]) for s in t["supervisors"])) for t in targets
        ]
        if described != [(t.institution, t.supervisors) for t in outcome.targets]:
            raise ValueError("the targets described are not the outcome of the draw")
        self._record(
            CampaignDrawn,
            stamp=stamp,
            occurred_on=on,
            seed=seed,
            seed_source=seed_source,
            algorithm=ALGORITHM,
            institution_pool=sorted(set(pools.institutions)),
            institution_exclusions=sorted(
                pools.institution_exclusions, key=lambda x: x["institution"]
            ),
            supervisor_pool=sorted(set(pools.supervisors)),
            supervisor_exclusions=sorted(
                pools.supervisor_exclusions, key=lambda x: str(x["supervisor"])
            ),
            barred_pairs=sorted(
                pools.barred_pairs,
                key=lambda p: (p["institution"], p["supervisor"], p["code"]),
            ),
            targets=[dict(t) for t in targets],
            passed_over=list(outcome.passed_over),
        )
        return outcome

    def _on_CampaignDrawn(self, e: CampaignDrawn) -> None:
        self.drawn_on = e.occurred_on
        self.drawn = {
            "seed": e.seed,
            "seed_source": e.seed_source,
            "algorithm": e.algorithm,
            "institution_pool": list(e.institution_pool),
            "institution_exclusions": list(e.institution_exclusions),
            "supervisor_pool": list(e.supervisor_pool),
            "supervisor_exclusions": list(e.supervisor_exclusions),
            "barred_pairs": list(e.barred_pairs),
            "targets": list(e.targets),
            "passed_over": list(e.passed_over),
        }

    # --- publication (一公开) --------------------------------------------------------------

    def publish(self, on: date, stamp: Stamp) -> None:
        if self.drawn is None or self.drawn_on is None:
            raise Conflict(f"campaign {self.reference} has not been drawn")
        if self.published_on is not None:
            raise Conflict(f"campaign {self.reference} was published on {self.published_on}")
        if on < self.drawn_on:
            raise InvalidInput("publication cannot precede the draw", field="occurred_on")
        self._record(CampaignPublished, stamp=stamp, occurred_on=on)

    def _on_CampaignPublished(self, e: CampaignPublished) -> None:
        self.published_on = e.occurred_on

    def publication(self) -> dict[str, Any]:
        """The draw as it is disclosed: enough to re-run it, nothing about the supervisors'
        discipline (excluded supervisors are counted by reason, not named)."""
        if self.drawn is None or self.drawn_on is None:
            raise Conflict(f"campaign {self.reference} has not been drawn")
        d = self.drawn
        return {
            "campaign_id": str(self.id),
            "reference": self.reference,
            "title": self.title,
            "jurisdiction": self.jurisdiction,
            "district": self.district,
            "kind": self.kind,
            "matters": list(self.matters),
            "planned_on": self.planned_on.isoformat(),
            "drawn_on": self.drawn_on.isoformat(),
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "algorithm": d["algorithm"],
            "seed": d["seed"],
            "seed_source": d["seed_source"],
            "parameters": {
                "target_count": self.target_count,
                "group_size": self.group_size,
                "max_targets_per_supervisor": self.max_targets_per_supervisor,
                "institution_kinds": list(self.institution_kinds),
                "occupations": list(self.occupations),
                "supervisor_district": self.supervisor_district,
            },
            "institution_pool": list(d["institution_pool"]),
            "supervisor_pool": list(d["supervisor_pool"]),
            "barred_pairs": [
                {
                    "supervisor": p["supervisor"],
                    "institution": p["institution"],
                    "code": p["code"],
                    "articles": list(p["articles"]),
                }
                for p in d["barred_pairs"]
            ],
            "excluded_institutions": _count(x["reason"] for x in d["institution_exclusions"]),
            "excluded_supervisors": _count(
                code for x in d["supervisor_exclusions"] for code in x["codes"]
            ),
            "targets": [
                {
                    "institution": t["institution"],
                    "name": t["name"],
                    "credit_code": t["credit_code"],
                    "assignment_id": t["assignment_id"],
                    "supervisors": [dict(s) for s in t["supervisors"]],
                }
                for t in d["targets"]
            ],
            "passed_over": list(d["passed_over"]),
        }


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items()))


def _matters_of(reference: str, title: str, kind: str, matters: Sequence[str]) -> list[str]:
    """The campaign's heading checked; its matters, stripped and non-empty."""
    if not REFERENCE.match(reference):
        raise InvalidInput(
            "reference: letters, digits, '.', '_' or '-', e.g. HN-2024-Q2", field="reference"
        )
    if not title.strip():
        raise InvalidInput("title must not be empty", field="title")
    if kind not in SUPERVISION_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(SUPERVISION_KINDS)}", field="kind")
    items = [m.strip() for m in matters if m.strip()]
    if not items:
        raise InvalidInput("state the matters to be supervised (督导事项)", field="matters")
    return items


def _check_counts(kind: str, counts: Mapping[str, int], policy: SupervisionPolicy) -> None:
    """Each count is at least 1 and the group size is one the rules allow for ``kind``."""
    for name, value in counts.items():
        if value < 1:
            raise InvalidInput(f"{name} must be at least 1", field=name)
    problem = group_size_problem(kind, counts["group_size"], policy)
    if problem is not None:
        raise InvalidInput(problem.detail, field="group_size", articles=problem.articles)


def _check_targets(institution_kinds: Sequence[str], occupations: Sequence[str]) -> None:
    """The kinds of institution and the occupations that narrow the draw are real ones."""
    unknown = sorted(set(institution_kinds) - set(INSTITUTION_KINDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a kind of institution", field="institution_kinds")
    bad = [o for o in occupations if not OCCUPATION_CODE.match(o)]
    if bad:
        raise InvalidInput(f"'{bad[0]}' is not an occupation code", field="occupations")
