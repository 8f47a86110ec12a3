"""Rules that raise findings by themselves (source ``system``) from recorded facts.

- an evaluation batch outside the filed scope, territory or sites, without a filing in
  force, or during a suspension (the rulebook's ``evaluation_checks``);
- a batch whose unqualified candidates reach a ratio (``ratio_threshold_in_batch``);
- a paper set used again within a window (``paper_set_reuse``);
- substantiated complaints reaching a count in a window (``substantiated_complaints_in_window``);
- no evaluation for a duration (``inactivity``);
- a rectification past its deadline (``overdue_rectification``).

Pure functions: the caller passes the state, the history, the rulebook and the dates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from domain.calendar import add_months
from domain.history import BatchFact, ComplaintFact, EventRef, History
from domain.rulebook import (
    DerivedRule,
    EvaluationChecks,
    InactivityParams,
    PaperSetReuseParams,
    RatioThresholdParams,
    Rulebook,
    SubstantiatedComplaintsParams,
)


@dataclass(frozen=True)
class Flag:
    """A finding the system must raise: its item, why, and the facts behind it."""

    check: str
    rule_id: str  # "huangshi-2022/14.1"
    occurred_on: date
    detail_zh: str
    detail_en: str
    reference: str
    events: tuple[EventRef, ...] = ()
    #: The decision whose rectification ran late (it never counts as its own recurrence).
    about_decision: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "rule_id": self.rule_id,
            "detail_zh": self.detail_zh,
            "detail_en": self.detail_en,
        }


@dataclass(frozen=True)
class FilingSnapshot:
    """What the checks need to know about the filing on the batch's date."""

    jurisdiction: str
    scope: dict[str, set[int]]  # occupation -> levels
    test_sites: set[str]
    in_force: bool  # approved, not revoked, and the date inside the validity period
    status: str
    suspended: bool


@dataclass(frozen=True)
class Batch:
    batch_id: str
    occupation: str
    level: int
    evaluated_on: date
    site: str
    territory: str
    candidates: int
    unqualified_candidates: int
    paper_set_id: str


def _rules(rulebook: Rulebook, kind: str) -> list[DerivedRule]:
    return [r for r in rulebook.derived_rules if r.kind == kind]


def _batch_raised(
    filing: FilingSnapshot, history: History, rulebook: Rulebook, batch: Batch
) -> list[_Raised]:
    checks = rulebook.evaluation_checks
    return [
        *_filing_state(filing, checks, batch),
        *_filed_particulars(filing, checks, batch),
        *_unqualified_share(rulebook, batch),
        *_paper_set_reuse(history, rulebook, batch),
    ]


def batch_notes(
    filing: FilingSnapshot, history: History, rulebook: Rulebook, batch: Batch
) -> list[dict[str, str]]:
    """The checks a batch fails for which ``rulebook`` names no item: no finding can be
    raised for them, so each is flagged for the regulator with the reason (``BatchFlagged``)."""
    return [
        {
            "check": r.check,
            "detail_zh": r.zh,
            "detail_en": r.en,
            "reason_zh": f"{rulebook.ref} 未规定该项检查（evaluation_checks.{r.check}）对应的条款，"
            "未提出违规发现，请人社部门研判",
            "reason_en": f"{rulebook.ref} names no item for this check"
            f" (evaluation_checks.{r.check}); no finding was raised, for the regulator to judge",
        }
        for r in _batch_raised(filing, history, rulebook, batch)
        if r.item is None
    ]


def batch_flags(
    filing: FilingSnapshot, history: History, rulebook: Rulebook, batch: Batch
) -> list[Flag]:
    """Every finding a newly reported batch raises (the batch itself is always kept)."""
    raised = _batch_raised(filing, history, rulebook, batch)
    return _flags(rulebook, raised, batch.batch_id, batch.evaluated_on)


def _flags(rulebook: Rulebook, raised: list[_Raised], batch_id: str, on: date) -> list[Flag]:
    """A flag for each failed check the rulebook names an item for."""
    return [
        Flag(r.check, rulebook.cite(r.item), r.on or on, r.zh, r.en, batch_id, r.refs)
        for r in raised
        if r.item is not None
    ]


#: The checks that read the filing as it stood on the batch's date (recorded, not recomputed).
FILING_CHECKS = (
    "no_filing_in_force",
    "during_suspension",
    "outside_scope",
    "outside_territory",
    "unfiled_site",
)


#: The derived-rule kinds a batch is checked against on its own figures and paper set.
BATCH_RULE_KINDS = ("ratio_threshold_in_batch", "paper_set_reuse")


def batch_checks_of(rulebook: Rulebook) -> str:
    """What :func:`recheck_batch` reads of ``rulebook``, as one string: two rulebooks with
    the same one raise the same findings for every batch."""
    rules = [
        r.model_dump(mode="json", include={"id", "kind", "yields", "params"})
        for r in rulebook.derived_rules
        if r.kind in BATCH_RULE_KINDS
    ]
    checks = rulebook.evaluation_checks.model_dump(mode="json", include=set(FILING_CHECKS))
    return json.dumps([rulebook.id, checks, rules], sort_keys=True)


def recheck_batch(
    rulebook: Rulebook, fact: BatchFact, same_paper: tuple[BatchFact, ...]
) -> list[Flag]:
    """The findings a recorded batch raises under ``rulebook``: its own figures and its
    paper set (``same_paper``: the other batches that used it) checked again; the checks
    on the filing taken as recorded on receipt, under the item ``rulebook`` names for them."""
    checks = rulebook.evaluation_checks
    raised = [_Raised(c, getattr(checks, c), "", "") for c in FILING_CHECKS if c in fact.checks]
    raised += _unqualified_share(rulebook, fact)
    raised += _paper_set_reuse(History(batches=same_paper), rulebook, fact)
    return _flags(rulebook, raised, fact.batch_id, fact.evaluated_on)


@dataclass(frozen=True)
class _Raised:
    """A check that failed; it becomes a flag when the rulebook names an item for it."""

    check: str
    item: str | None
    zh: str
    en: str
    refs: tuple[EventRef, ...] = ()
    on: date | None = None


def _filing_state(filing: FilingSnapshot, checks: EvaluationChecks, batch: Batch) -> list[_Raised]:
    """No filing in force on the evaluation day, or evaluation while suspended."""
    if not filing.in_force:
        return [
            _Raised(
                "no_filing_in_force",
                checks.no_filing_in_force,
                f"批次 {batch.batch_id} 于 {batch.evaluated_on} 评价时备案不在有效期"
                f"（状态：{filing.status}）",
                f"batch {batch.batch_id} evaluated on {batch.evaluated_on} with no filing in"
                f" force (status: {filing.status})",
            )
        ]
    if filing.suspended:
        return [
            _Raised(
                "during_suspension",
                checks.during_suspension,
                f"批次 {batch.batch_id} 于暂停评价期间（{batch.evaluated_on}）开展评价",
                f"batch {batch.batch_id} evaluated on {batch.evaluated_on} while evaluation was"
                " suspended",
            )
        ]
    return []


def _filed_particulars(
    filing: FilingSnapshot, checks: EvaluationChecks, batch: Batch
) -> list[_Raised]:
    """The batch's occupation and level, territory and test site against the filing."""
    raised: list[_Raised] = []
    levels = filing.scope.get(batch.occupation)
    if levels is None or batch.level not in levels:
        raised.append(
            _Raised(
                "outside_scope",
                checks.outside_scope,
                f"批次 {batch.batch_id}：职业 {batch.occupation} {batch.level} 级不在备案范围内",
                f"batch {batch.batch_id}: occupation {batch.occupation} level {batch.level} is"
                " not in the filed scope",
            )
        )
    if batch.territory != filing.jurisdiction:
        raised.append(
            _Raised(
                "outside_territory",
                checks.outside_territory,
                f"批次 {batch.batch_id} 在 {batch.territory} 评价，超出 {filing.jurisdiction} 区域",
                f"batch {batch.batch_id} was held in {batch.territory},"
                f" outside {filing.jurisdiction}",
            )
        )
    if batch.site not in filing.test_sites:
        raised.append(
            _Raised(
                "unfiled_site",
                checks.unfiled_site,
                f"批次 {batch.batch_id} 的考点“{batch.site}”未备案",
                f"batch {batch.batch_id} used the unfiled test site '{batch.site}'",
            )
        )
    return raised


def _unqualified_share(rulebook: Rulebook, batch: Batch | BatchFact) -> list[_Raised]:
    """The share of unqualified candidates at or above a rule's threshold."""
    raised: list[_Raised] = []
    for spec in _rules(rulebook, "ratio_threshold_in_batch"):
        ratio = cast(RatioThresholdParams, spec.typed_params())
        if batch.candidates <= 0:
            continue
        share = Decimal(batch.unqualified_candidates) * 100 / Decimal(batch.candidates)
        limit = Decimal(str(ratio.threshold_percent))
        if share > limit or (ratio.inclusive and share == limit):
            raised.append(
                _Raised(
                    spec.id,
                    spec.yields,
                    f"批次 {batch.batch_id} 资格不符考生 {batch.unqualified_candidates}/"
                    f"{batch.candidates}（{share:.2f}%）达到 {limit}%",
                    f"batch {batch.batch_id}: {batch.unqualified_candidates} of"
                    f" {batch.candidates} candidates unqualified ({share:.2f} %),"
                    f" at or above {limit} %",
                )
            )
    return raised


def _paper_set_reuse(
    history: History, rulebook: Rulebook, batch: Batch | BatchFact
) -> list[_Raised]:
    """The batch's paper set used by another batch within a rule's window."""
    raised: list[_Raised] = []
    for spec in _rules(rulebook, "paper_set_reuse"):
        window = cast(PaperSetReuseParams, spec.typed_params()).window_months
        other = _other_use(history.same_paper_set(batch.paper_set_id), batch, window)
        if other is not None:
            raised.append(
                _Raised(
                    spec.id,
                    spec.yields,
                    f"批次 {batch.batch_id} 使用的试卷 {batch.paper_set_id} 亦于"
                    f" {other.evaluated_on}（批次 {other.batch_id}）使用，两次使用间隔不足"
                    f" {window} 个月",
                    f"batch {batch.batch_id} used paper set {batch.paper_set_id}, also used on"
                    f" {other.evaluated_on} by batch {other.batch_id}, within {window} months",
                    (other.ref,),
                    max(batch.evaluated_on, other.evaluated_on),
                )
            )
    return raised


def _other_use(
    batches: tuple[BatchFact, ...], batch: Batch | BatchFact, months: int
) -> BatchFact | None:
    """The latest earlier use of the batch's paper set within the window, else the earliest
    later one (a batch reported after a later batch that reused its papers); ``batches``:
    all of them, or those of the batch's paper set (``History.same_paper_set``)."""
    if not batch.paper_set_id:
        return None
    same = [
        b for b in batches if b.paper_set_id == batch.paper_set_id and b.batch_id != batch.batch_id
    ]
    earlier = [
        b for b in same if b.evaluated_on <= batch.evaluated_on < add_months(b.evaluated_on, months)
    ]
    later = [
        b
        for b in same
        if batch.evaluated_on < b.evaluated_on < add_months(batch.evaluated_on, months)
    ]
    if earlier:
        return max(earlier, key=lambda b: b.evaluated_on)
    return min(later, key=lambda b: b.evaluated_on, default=None)


def complaint_flags(history: History, rulebook: Rulebook, complaint_id: str) -> list[Flag]:
    """After a complaint is verified as substantiated: does the count rule now hold?"""
    flags: list[Flag] = []
    current = next((c for c in history.complaints if c.complaint_id == complaint_id), None)
    if current is None or not current.substantiated:
        return flags
    for spec in _rules(rulebook, "substantiated_complaints_in_window"):
        params = cast(SubstantiatedComplaintsParams, spec.typed_params())
        window = _complaint_window(history.complaints, current, params)
        if len(window) < params.threshold:
            continue
        already = {f.reference for f in history.findings if f.rule_id == rulebook.cite(spec.yields)}
        key = "+".join(c.complaint_id for c in window)
        if key in already:
            continue
        dates = "、".join(
            f"{c.complaint_id}（{_complaint_date(c, params.count_by)}）" for c in window
        )
        flags.append(
            Flag(
                spec.id,
                rulebook.cite(spec.yields),
                max(_complaint_date(c, params.count_by) for c in window),
                f"{len(window)} 次投诉举报经核实属实：{dates}",
                f"{len(window)} substantiated complaints within the window: "
                + ", ".join(c.complaint_id for c in window),
                key,
                tuple(c.verified_ref for c in window if c.verified_ref is not None),
            )
        )
    return flags


def _complaint_date(c: ComplaintFact, count_by: str) -> date:
    if count_by == "verified_on" and c.verified_on is not None:
        return c.verified_on
    return c.lodged_on


def _complaint_window(
    complaints: tuple[ComplaintFact, ...],
    current: ComplaintFact,
    params: SubstantiatedComplaintsParams,
) -> list[ComplaintFact]:
    """The first window holding ``current`` that reaches the threshold, else the one ending
    on ``current``: complaints verified out of the order they were lodged still count."""

    def on(c: ComplaintFact) -> date:
        return _complaint_date(c, params.count_by)

    counted = sorted(
        (c for c in complaints if c.substantiated), key=lambda c: (on(c), c.complaint_id)
    )

    def ending(end: date) -> list[ComplaintFact]:
        if params.window == "calendar_year":
            return [c for c in counted if on(c).year == end.year and on(c) <= end]
        return [c for c in counted if add_months(end, -12) < on(c) <= end]

    ends = sorted({on(c) for c in counted if on(c) >= on(current)} | {on(current)})
    windows = [w for w in map(ending, ends) if current in w]
    return next((w for w in windows if len(w) >= params.threshold), windows[0])


def inactivity_flags(
    history: History, rulebook: Rulebook, as_of: date, rules_from: date | None = None
) -> list[Flag]:
    """No evaluation since the last batch or approval for the rule's duration.

    ``rules_from`` is the day the first rulebook of the jurisdiction took effect: time
    before it counts only if the rulebook's ``earlier_conduct.inactivity_from`` says so, and
    inactivity is conduct on that day at the earliest (nothing governs it before)."""
    flags: list[Flag] = []
    last = history.last_activity()
    if last is None:
        return flags
    first = rules_from or rulebook.effective_from
    since = last.occurred_on
    if since < first and rulebook.earlier_conduct.inactivity_from == "effective_from":
        since = first
    for spec in _rules(rulebook, "inactivity"):
        months = cast(InactivityParams, spec.typed_params()).months
        due = add_months(since, months)
        if as_of < due:
            continue
        reference = f"inactive-since-{since}-{months}m"
        if any(f.reference == reference for f in history.findings):
            continue
        counted_zh = (
            f"自 {since}（{last.type} {last.occurred_on}）"
            if since != last.occurred_on
            else f"自 {since}（{last.type}）"
        )
        counted_en = (
            f"since {since} (rules in force; {last.type} on {last.occurred_on})"
            if since != last.occurred_on
            else f"since {since} ({last.type})"
        )
        flags.append(
            Flag(
                spec.id,
                rulebook.cite(spec.yields),
                max(due, first),
                f"{counted_zh}起满 {months} 个月未开展评价",
                f"no evaluation for {months} months {counted_en}",
                reference,
                (last,),
            )
        )
    return flags


def overdue_flag(
    rulebook: Rulebook, decision_id: str, deadline: date, ref: EventRef
) -> Flag | None:
    """A rectification past its deadline is itself a finding (e.g. hunan-2023/26.6)."""
    spec = next(iter(_rules(rulebook, "overdue_rectification")), None)
    if spec is None:
        return None
    return Flag(
        spec.id,
        rulebook.cite(spec.yields),
        deadline,
        f"决定 {decision_id} 的整改期限 {deadline} 已过，未完成整改",
        f"the rectification ordered by decision {decision_id} was not completed by {deadline}",
        decision_id,
        (ref,),
        about_decision=decision_id,
    )
