"""The escalation engine: a pure function of (history, rulebook, finding, as_of).

Each derived rule kind is implemented once, here, and parametrised by the rulebook. A rule
returns a ``Ground`` (the item it requires, its level, a Chinese and an English explanation,
and the events behind it) or None. ``assess`` takes the heaviest ground; ``assess_leniently``
applies 从旧兼从轻: the version in force on the conduct date, unless a later version in force
on ``as_of`` is lighter for that conduct.

No clock, no I/O: dates come in as arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from domain.calendar import add_months
from domain.history import EventRef, FindingFact, History, SanctionFact, split_rule_id
from domain.rulebook import (
    Catalogue,
    DerivedRule,
    Effects,
    RecurrenceParams,
    Rulebook,
    SanctionsInCalendarYearParams,
    SeriousCaseParams,
)

LEVEL_ZH = {0: "宣布无效", 1: "约谈", 2: "限期整改", 3: "撤销备案"}
LEVEL_EN = {0: "void results", 1: "interview", 2: "rectification", 3: "revocation"}
SANCTION_ZH = {
    "interview": "约谈",
    "rectification": "限期整改通知",
    "warning": "警示",
    "revocation": "撤销备案",
}
ACTION_ORDER = (
    "void_results",
    "institution_explanation",
    "interview",
    "warning",
    "rectification",
    "suspension",
    "public_announcement",
    "abnormal_activity_list",
    "bad_integrity_file",
    "supervision_file",
    "revocation",
    "ban",
    "discipline_recommendation",
)


@dataclass(frozen=True)
class Finding:
    """The conduct being assessed."""

    finding_id: str
    rule_id: str  # "hunan-2023/25.3"
    severity: str  # minor | serious
    occurred_on: date
    ref: EventRef | None = None
    #: For a finding raised because a rectification ran late: the decision it belongs to.
    about_decision: str | None = None

    @property
    def item(self) -> str:
        return split_rule_id(self.rule_id)[1]

    @property
    def article(self) -> str:
        return split_rule_id(self.rule_id)[2]

    @classmethod
    def of(cls, fact: FindingFact) -> Finding:
        """A recorded finding as the engine assesses it (a system finding keeps the
        decision it was raised about, so that decision never counts as its recurrence)."""
        about = fact.reference if fact.source == "system" else None
        return cls(fact.finding_id, fact.rule_id, fact.severity, fact.occurred_on, fact.ref, about)

    def under(self, rulebook: Rulebook) -> Finding:
        """The same conduct cited under another version of the jurisdiction's rulebook."""
        return Finding(
            self.finding_id,
            rulebook.cite(self.item),
            self.severity,
            self.occurred_on,
            self.ref,
            self.about_decision,
        )


@dataclass(frozen=True)
class Ground:
    rule: str  # the derived rule id, or "item" for the finding's own article
    kind: str
    article: str  # "hunan-2023/26.1"
    level: int
    explanation_zh: str
    explanation_en: str
    events: tuple[EventRef, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "article": self.article,
            "level": self.level,
            "explanation_zh": self.explanation_zh,
            "explanation_en": self.explanation_en,
            "events": [e.as_dict() for e in self.events],
        }


@dataclass(frozen=True)
class Assessment:
    finding_id: str
    rule_id: str
    level: int
    article: str  # the item whose level is required
    actions: tuple[str, ...]
    ban_years: int | None
    grounds: tuple[Ground, ...]
    rulebook_id: str
    rulebook_version: int
    rulebook_hash: str
    as_of: date
    rulebook_choice_zh: str = ""
    rulebook_choice_en: str = ""
    considered: tuple[dict[str, Any], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "rule_id": self.rule_id,
            "level": self.level,
            "article": self.article,
            "actions": list(self.actions),
            "ban_years": self.ban_years,
            "ban_indefinite": "ban" in self.actions and self.ban_years is None,
            "grounds": [g.as_dict() for g in self.grounds],
            "rulebook": {
                "id": self.rulebook_id,
                "version": self.rulebook_version,
                "hash": self.rulebook_hash,
            },
            "as_of": self.as_of,
            "rulebook_choice_zh": self.rulebook_choice_zh,
            "rulebook_choice_en": self.rulebook_choice_en,
            "considered": list(self.considered),
        }


@dataclass(frozen=True)
class Ungoverned:
    """The answer for conduct dated before any rulebook of its jurisdiction took effect: no
    rulebook of this system governs it, so nothing is required; the finding is kept."""

    finding_id: str
    rule_id: str
    occurred_on: date
    jurisdiction: str
    first_rulebook: str  # the ref of the earliest rulebook of the jurisdiction
    effective_from: date
    as_of: date

    @property
    def explanation_zh(self) -> str:
        return (
            f"本系统没有规则适用于 {self.occurred_on} 的行为：{self.jurisdiction} 最早的规则"
            f" {self.first_rulebook} 自 {self.effective_from} 起施行，此前的行为记录在案，"
            "不计算处理要求"
        )

    @property
    def explanation_en(self) -> str:
        return (
            f"no rulebook of this system governs conduct on {self.occurred_on}: the first"
            f" rulebook of {self.jurisdiction}, {self.first_rulebook}, took effect on"
            f" {self.effective_from}; the conduct is kept on the file and nothing is required"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "rule_id": self.rule_id,
            "governed": False,
            "level": None,
            "article": None,
            "actions": [],
            "ban_years": None,
            "ban_indefinite": False,
            "grounds": [],
            "rulebook": None,
            "as_of": self.as_of,
            "rulebook_choice_zh": self.explanation_zh,
            "rulebook_choice_en": self.explanation_en,
            "considered": [],
        }


class RuleContext:
    """What a rule sees besides its parameters (kept small and explicit)."""

    def __init__(
        self,
        history: History,
        rulebook: Rulebook,
        finding: Finding,
        as_of: date,
        level: int,
        rules_from: date | None = None,
    ) -> None:
        self.history = history
        self.rulebook = rulebook
        self.finding = finding
        self.as_of = as_of
        self.level = level  # the level required before this rule
        #: The day the first rulebook of the jurisdiction took effect: facts before it are
        #: looked back at only as the rulebook's ``earlier_conduct`` says.
        self.rules_from = rules_from or rulebook.effective_from


Rule = Callable[[RuleContext, DerivedRule], Ground | None]


def _ground(ctx: RuleContext, spec: DerivedRule, zh: str, en: str, refs: list[EventRef]) -> Ground:
    item = spec.yields
    cited = ctx.rulebook.cite(item)
    own = [ctx.finding.ref] if ctx.finding.ref is not None else []
    return Ground(
        rule=spec.id,
        kind=spec.kind,
        article=cited,
        level=ctx.rulebook.level_of(item),
        explanation_zh=f"{zh} → {cited}。{spec.reasoning_zh}",
        explanation_en=f"{en} → {cited}. {spec.reasoning_en}",
        events=tuple(refs + own),
    )


def serious_case(ctx: RuleContext, spec: DerivedRule) -> Ground | None:
    params = cast(SeriousCaseParams, spec.typed_params())
    f = ctx.finding
    if f.article not in params.from_articles or f.severity != "serious":
        return None
    return _ground(
        ctx,
        spec,
        f"{f.rule_id} 情节严重（行为日期 {f.occurred_on}）",
        f"{f.rule_id} is serious (conduct on {f.occurred_on})",
        [],
    )


def _recurrence_start(s: SanctionFact, params: RecurrenceParams) -> tuple[date, EventRef] | None:
    if params.requires_completed_rectification:
        if s.accepted_on is None or s.accepted_ref is None:
            return None
        return s.accepted_on, s.accepted_ref
    if s.effect_on is None or s.effect_ref is None:
        return None
    return s.effect_on, s.effect_ref


def recurrence_after_sanction(ctx: RuleContext, spec: DerivedRule) -> Ground | None:
    """Conduct of the listed articles after a sanction of a kind (约谈后又发生 etc.)."""
    params = cast(RecurrenceParams, spec.typed_params())
    f = ctx.finding
    if f.article not in params.from_articles:
        return None
    matches: list[tuple[date, SanctionFact, EventRef]] = []
    for s in ctx.history.in_force():
        if not s.has_kind(params.after_sanction) or s.decision_id == f.about_decision:
            continue
        if f.finding_id in _case_findings(ctx, s):
            continue  # the sanction that decided this very finding
        if not set(s.finding_articles) & set(params.prior_from_articles):
            continue
        if params.match == "same_article" and f.article not in s.finding_articles:
            continue
        if params.match == "same_item" and f.item not in s.items:
            continue
        start = _recurrence_start(s, params)
        if start is None or s.decided_on > ctx.as_of:
            continue
        since, since_ref = start
        if not f.occurred_on > since:
            continue
        if since < ctx.rules_from and not ctx.rulebook.earlier_conduct.sanctions_count:
            continue  # a sanction before any rulebook, which this one does not look back at
        if params.window_months is not None and f.occurred_on > add_months(
            since, params.window_months
        ):
            continue
        matches.append((since, s, since_ref))
    if not matches:
        return None
    since, s, since_ref = max(matches, key=lambda m: (m[0], m[1].decided_on, m[2].version))
    kind_zh = SANCTION_ZH.get(params.after_sanction, params.after_sanction)
    what = "整改验收" if params.requires_completed_rectification else since_ref.type
    return _ground(
        ctx,
        spec,
        f"{kind_zh}（决定 {s.decision_id}，{what} {since}，涉及 {', '.join(s.items)}）"
        f"之后，{f.occurred_on} 又发生 {f.rule_id}",
        f"{params.after_sanction} (decision {s.decision_id}, {since_ref.type} on {since},"
        f" about {', '.join(s.items)}) was followed by {f.rule_id} conduct on"
        f" {f.occurred_on}",
        [s.decided_ref, since_ref],
    )


def _case_findings(ctx: RuleContext, s: SanctionFact) -> set[str]:
    return {x.finding_id for x in ctx.history.findings if x.case_id == s.case_id}


def _count_date(s: SanctionFact, count_by: str) -> date | None:
    if count_by == "decided_on":
        return s.decided_on
    if count_by == "served_on":
        return s.served_on
    return min(s.conduct_dates, default=None)


def sanctions_in_calendar_year(ctx: RuleContext, spec: DerivedRule) -> Ground | None:
    """The n-th sanction of a level in one calendar year (Asia/Shanghai dates)."""
    params = cast(SanctionsInCalendarYearParams, spec.typed_params())
    if ctx.level != params.sanction_level:
        return None  # only a case at that level can be the n-th of its kind
    current_date = ctx.finding.occurred_on if params.count_by == "occurred_on" else ctx.as_of
    year = current_date.year
    own = {x.case_id for x in ctx.history.findings if x.finding_id == ctx.finding.finding_id}
    counted = [
        s
        for s in ctx.history.in_force()
        if s.level == params.sanction_level
        and s.case_id not in own
        and (d := _count_date(s, params.count_by)) is not None
        and d.year == year
        and d <= ctx.as_of
    ]
    total = len(counted) + (1 if params.include_current else 0)
    if total < params.threshold:
        return None
    listed = "、".join(f"{s.decision_id}（{_count_date(s, params.count_by)}）" for s in counted)
    listed_en = ", ".join(f"{s.decision_id} ({_count_date(s, params.count_by)})" for s in counted)
    return _ground(
        ctx,
        spec,
        f"{year} 年度已有 {len(counted)} 次{LEVEL_ZH[params.sanction_level]}决定 {listed}，"
        f"连同本次共 {total} 次，达到 {params.threshold} 次",
        f"{len(counted)} level-{params.sanction_level} decisions in {year} ({listed_en}),"
        f" {total} with this one, reach {params.threshold}",
        [s.decided_ref for s in counted],
    )


ESCALATION_RULES: dict[str, Rule] = {
    "serious_case": serious_case,
    "recurrence_after_sanction": recurrence_after_sanction,
}
#: Rules that depend on the level the others require; they run last.
COUNTING_RULES: dict[str, Rule] = {
    "sanctions_in_calendar_year": sanctions_in_calendar_year,
}


def _article_escalation(ctx: RuleContext) -> Ground | None:
    """An article's own higher step (e.g. hunan-2023/31: refusal or a serious case → L3)."""
    article = ctx.rulebook.article_of(ctx.finding.item)
    step = article.escalation
    if step is None:
        return None
    f = ctx.finding
    serious = "serious" in step.when and f.severity == "serious"
    refused = [
        (s, s.overdue_ref)
        for s in ctx.history.in_force()
        if "rectification_refused" in step.when
        and s.overdue_ref is not None
        and f.article in s.finding_articles
    ]
    if not serious and not refused:
        return None
    cited = ctx.rulebook.cite(f.item)
    why_zh = ([f"{f.rule_id} 情节严重"] if serious else []) + [
        f"决定 {s.decision_id} 要求的整改逾期未完成（{ref.type} {ref.occurred_on}）"
        for s, ref in refused
    ]
    why_en = ([f"{f.rule_id} is serious"] if serious else []) + [
        f"the rectification required by decision {s.decision_id} was not completed in time"
        f" ({ref.type} on {ref.occurred_on})"
        for s, ref in refused
    ]
    return Ground(
        rule=f"article-{article.number}-escalation",
        kind="article_escalation",
        article=cited,
        level=step.level,
        explanation_zh=f"{'；'.join(why_zh)} → {cited}：{step.summary_zh}",
        explanation_en=f"{'; '.join(why_en)} → {cited}: {step.summary_en}",
        events=tuple([ref for _, ref in refused] + ([f.ref] if f.ref else [])),
    )


def actions_for(effects: Effects) -> tuple[tuple[str, ...], int | None]:
    names = [
        name for name in ACTION_ORDER if name != "ban" and getattr(effects, name, False) is True
    ]
    ban_years = effects.ban_years
    if effects.revocation and (ban_years is None or ban_years > 0):
        names.append("ban")
    return tuple(sorted(names, key=ACTION_ORDER.index)), ban_years


def assess(
    history: History,
    rulebook: Rulebook,
    finding: Finding,
    as_of: date,
    rules_from: date | None = None,
) -> Assessment:
    """What the rulebook requires for ``finding`` given ``history``, as of ``as_of``
    (``rules_from``: when the first rulebook of the jurisdiction took effect)."""
    base_level = rulebook.level_of(finding.item)
    item = rulebook.item(finding.item)
    assert item is not None
    cited = rulebook.cite(finding.item)
    base = Ground(
        rule="item",
        kind="item",
        article=cited,
        level=base_level,
        explanation_zh=f"{cited}（{LEVEL_ZH[base_level]}）：{item.summary_zh}",
        explanation_en=f"{cited} (level {base_level}, {LEVEL_EN[base_level]}): {item.summary_en}",
        events=(finding.ref,) if finding.ref else (),
    )
    grounds = [base]
    ctx = RuleContext(history, rulebook, finding, as_of, base_level, rules_from)
    escalation = _article_escalation(ctx)
    if escalation is not None:
        grounds.append(escalation)
    for spec in rulebook.derived_rules:
        rule = ESCALATION_RULES.get(spec.kind)
        if rule is not None and (g := rule(ctx, spec)) is not None:
            grounds.append(g)
    ctx.level = max(g.level for g in grounds)
    for spec in rulebook.derived_rules:
        rule = COUNTING_RULES.get(spec.kind)
        if rule is not None and (g := rule(ctx, spec)) is not None:
            grounds.append(g)
    required = max(grounds, key=lambda g: g.level)  # first of the heaviest: the item itself
    if required.kind == "article_escalation":
        step = rulebook.article_of(finding.item).escalation
        assert step is not None
        actions, ban = actions_for(step.effects)
    else:
        actions, ban = actions_for(rulebook.article_of(required.article).effects)
    return Assessment(
        finding_id=finding.finding_id,
        rule_id=finding.rule_id,
        level=required.level,
        article=required.article,
        actions=actions,
        ban_years=ban,
        grounds=tuple(grounds),
        rulebook_id=rulebook.id,
        rulebook_version=rulebook.version,
        rulebook_hash=rulebook.content_hash,
        as_of=as_of,
    )


def assess_leniently(
    history: History,
    catalogue: Catalogue,
    jurisdiction: str,
    finding: Finding,
    as_of: date,
) -> Assessment | Ungoverned:
    """从旧兼从轻: the rulebook in force on the conduct date, or a later lighter one; for
    conduct before any rulebook of the jurisdiction, :class:`Ungoverned`."""
    first = catalogue.earliest(jurisdiction)
    if first is None:
        raise KeyError(f"no rulebook of {jurisdiction}")
    old = catalogue.in_force(jurisdiction, finding.occurred_on)
    if old is None and finding.occurred_on < first.effective_from:
        return Ungoverned(
            finding.finding_id,
            finding.rule_id,
            finding.occurred_on,
            jurisdiction,
            first.ref,
            first.effective_from,
            as_of,
        )
    if old is None:
        raise KeyError(f"no rulebook of {jurisdiction} in force on {finding.occurred_on}")
    rules_from = first.effective_from
    then = assess(history, old, finding.under(old), as_of, rules_from)
    new = catalogue.in_force(jurisdiction, as_of)
    same = new is None or (new.id, new.version) == (old.id, old.version)
    if same or new is None or new.item(finding.item) is None:
        note_en = f"{old.ref} was in force on the conduct date {finding.occurred_on}"
        note_zh = f"行为发生之日 {finding.occurred_on} 施行的是 {old.ref}"
        if not same and new is not None:
            note_en += f"; {new.ref} in force on {as_of} has no item {finding.item}"
            note_zh += f"；{as_of} 施行的 {new.ref} 无 {finding.item} 项"
        return _with_choice(then, note_zh, note_en, [])
    now = assess(history, new, finding.under(new), as_of, rules_from)
    considered = [
        {"rulebook": old.ref, "level": then.level, "article": then.article},
        {"rulebook": new.ref, "level": now.level, "article": now.article},
    ]
    if now.level < then.level:
        return _with_choice(
            now,
            f"从旧兼从轻：行为发生时施行的 {old.ref} 要求 {then.article}（{then.level} 级），"
            f"{as_of} 施行的 {new.ref} 较轻，要求 {now.article}（{now.level} 级），适用较轻者",
            f"lenity (从旧兼从轻): {old.ref}, in force on the conduct date, requires"
            f" {then.article} (level {then.level}); {new.ref}, in force on {as_of}, is lighter"
            f" with {now.article} (level {now.level}), so it applies",
            considered,
        )
    return _with_choice(
        then,
        f"从旧：行为发生时施行的 {old.ref} 适用；{new.ref} 并不更轻（{now.level} 级）",
        f"{old.ref}, in force on the conduct date, applies; {new.ref} is not lighter"
        f" (level {now.level})",
        considered,
    )


def _with_choice(a: Assessment, zh: str, en: str, considered: list[dict[str, Any]]) -> Assessment:
    return Assessment(
        finding_id=a.finding_id,
        rule_id=a.rule_id,
        level=a.level,
        article=a.article,
        actions=a.actions,
        ban_years=a.ban_years,
        grounds=a.grounds,
        rulebook_id=a.rulebook_id,
        rulebook_version=a.rulebook_version,
        rulebook_hash=a.rulebook_hash,
        as_of=a.as_of,
        rulebook_choice_zh=zh,
        rulebook_choice_en=en,
        considered=tuple(considered),
    )


def governed(results: list[Assessment | Ungoverned]) -> list[Assessment]:
    """The assessments among ``results``: the conduct a rulebook governs."""
    return [r for r in results if isinstance(r, Assessment)]


def combine(assessments: list[Assessment]) -> dict[str, Any] | None:
    """The requirement of a case: the heaviest assessment of its findings, all grounds kept."""
    if not assessments:
        return None
    top = max(assessments, key=lambda a: a.level)
    result = top.as_dict()
    result["findings"] = [a.as_dict() for a in assessments]
    return result
