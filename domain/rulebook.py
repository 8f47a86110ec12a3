"""Rulebooks: the regulations of one jurisdiction as versioned, validated data.

A rulebook file lives in ``domain/rulebooks/<id>/v<N>.yaml``. Its identity is
``(id, version, content hash)``: the hash is the SHA-256 of the file's bytes, so
any edit to a published file is visible in every decision that used it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Level = Literal[0, 1, 2, 3]
InstitutionKind = Literal["employer", "social_org", "technical_school"]
EffectName = Literal[
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
    "discipline_recommendation",
]

RULEBOOK_DIR = Path(__file__).parent / "rulebooks"


def published_file(rulebook_id: str, root: Path = RULEBOOK_DIR) -> Path:
    """The file of a rulebook's newest published version (``v<N>.yaml``): the one a draft
    replaces."""
    files = (root / rulebook_id).glob("v*.yaml")
    return max(files, key=lambda f: int(f.stem[1:]))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Effects(_Frozen):
    """What a sanction of this level does, as the article states it."""

    void_results: bool = False
    #: The institution explains the facts (书面说明 / 事实说明).
    institution_explanation: bool = False
    interview: bool = False
    #: A warning measure (警示措施, Huangshi); the sanction counts as a "warning".
    warning: bool = False
    rectification: bool = False
    suspension: bool = False
    public_announcement: bool = False
    abnormal_activity_list: bool = False
    bad_integrity_file: bool = False
    #: Entered in the regulator's supervision file (列入监管档案), not the bad-integrity file.
    supervision_file: bool = False
    revocation: bool = False
    #: A recommendation to discipline the responsible persons (提出给予处分的建议).
    discipline_recommendation: bool = False
    #: ``None`` with ``revocation`` means an indefinite ban; 0 means no ban.
    ban_years: int | None = 0
    #: Effects above that the article leaves to the decision-maker: "as the case
    #: requires" (视情况, 视具体情形) or one of an either/or pair (或).
    discretionary: tuple[EffectName, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Effects:
        for name in self.discretionary:
            if getattr(self, name) is not True:
                raise ValueError(f"discretionary effect {name} is not set")
        if not self.revocation and self.ban_years != 0:
            raise ValueError("ban_years needs revocation")
        if self.ban_years is not None and self.ban_years < 0:
            raise ValueError("ban_years must not be negative")
        return self


class Item(_Frozen):
    id: str  # "26.1"
    summary_zh: str
    summary_en: str
    #: An item may sit at another level than its article (rare); default: the article's.
    level: Level | None = None


class Escalation(_Frozen):
    """A higher step an article sets for its own items in the same sentence, e.g.
    hunan-2023/31: 拒不整改或者情节严重的 → 撤销备案回执."""

    level: Level
    effects: Effects
    #: "serious": the case is serious; "rectification_refused": the institution
    #: refuses to rectify (or lets the deadline pass) after the article's first step.
    when: tuple[Literal["serious", "rectification_refused"], ...] = Field(min_length=1)
    summary_zh: str
    summary_en: str


class Article(_Frozen):
    number: int
    title_zh: str
    title_en: str
    level: Level | None = None  # None for articles that are not sanction items
    effects: Effects = Effects()
    items: tuple[Item, ...] = ()
    escalation: Escalation | None = None

    @model_validator(mode="after")
    def _escalation_above_level(self) -> Article:
        if self.escalation is not None and (
            self.level is None or self.escalation.level <= self.level
        ):
            raise ValueError(f"article {self.number}: escalation must be above the article's level")
        return self


class CapRule(_Frozen):
    """A limit on filings checked when a filing or scope change is decided."""

    kind: Literal[
        "social_orgs_per_occupation",
        "social_orgs_per_occupation_level",
        "occupations_per_social_org",
        "no_scope_growth_before_first_evaluation",
    ]
    limit: int = 0
    article: str  # "chengdu-2024/8"
    summary_zh: str
    summary_en: str
    #: 原则上 ("in principle"): the regulator may depart from it with a written reason.
    in_principle: bool = False


class FilingRules(_Frozen):
    validity_years: int = 3
    renewal_window_months: int = 3
    lapse_after_months: int = 2
    renewal_articles: tuple[str, ...] = ()
    caps: tuple[CapRule, ...] = ()


class DueProcess(_Frozen):
    articles: tuple[str, ...] = ()
    defence_days: int | None = None
    #: Who may decide a revocation: "any" or a named level of government.
    revocation_authority: Literal["any", "city", "province"] = "any"
    revocation_authority_article: str | None = None


class SupervisionRules(_Frozen):
    card_validity_years: int | None = None
    card_article: str | None = None
    term_years: int | None = None
    max_terms: int | None = None
    term_article: str | None = None
    max_consecutive_assignments: int | None = None
    rotation_article: str | None = None
    min_special_group_size: int | None = None
    special_group_article: str | None = None
    recusal_article: str | None = None


class EvaluationChecks(_Frozen):
    """Which item a reported evaluation batch breaks when the system checks it on receipt.

    The batch is always recorded; each failed check raises a finding (source ``system``)
    under the item named here. ``None``: the rulebook has no such item.
    """

    outside_scope: str | None = None  # occupation or level not in the filed scope
    outside_territory: str | None = None  # held outside the jurisdiction
    unfiled_site: str | None = None  # a test site not in the filing
    no_filing_in_force: str | None = None  # after revocation, expiry or lapse
    during_suspension: str | None = None  # while a rectification suspends evaluation
    reasoning_zh: str = ""
    reasoning_en: str = ""

    def items(self) -> dict[str, str]:
        return {
            name: value
            for name, value in self.model_dump(exclude={"reasoning_zh", "reasoning_en"}).items()
            if value is not None
        }


class AnnualAssessmentRules(_Frozen):
    """The periodic or annual assessment of institutions and what failing it requires."""

    articles: tuple[str, ...] = ()  # where the assessment is set up, e.g. huangshi-2022/5
    #: Scored dimensions (huangshi-2022/6: policy, pledges, disclosure, quality, technical).
    dimensions: tuple[str, ...] = ()
    #: The item a failed assessment raises (a system finding); None: no sanction item.
    failed_item: str | None = None
    published: bool = False
    reasoning_zh: str = ""
    reasoning_en: str = ""


class CreditRating(_Frozen):
    """A credit rating derived by replaying history (sichuan-2021 §2.9)."""

    articles: tuple[str, ...] = ()
    scale: tuple[str, ...] = Field(min_length=2)  # best first, e.g. ("A", "B", "C", "D")
    starting_grade: str
    #: Grades a served sanction of each level lowers the rating by; 0 or absent: none.
    lowered_by_level: dict[int, int] = Field(default_factory=dict)
    #: Levels whose served sanction cancels the rating (取消评估等级).
    cancelled_by_levels: tuple[int, ...] = (3,)
    failed_assessment_lowers: int = 1
    #: A clean period (no lowering) after which the rating rises one grade, up to the start.
    recovery_months: int | None = None
    published: bool = False
    reasoning_zh: str
    reasoning_en: str

    @model_validator(mode="after")
    def _grade_on_scale(self) -> CreditRating:
        if self.starting_grade not in self.scale:
            raise ValueError(f"starting_grade {self.starting_grade} is not on the scale")
        return self


class EarlierConduct(_Frozen):
    """What the rulebook makes of facts dated before it took effect, when no rulebook of its
    jurisdiction was in force: the register a regulator brings in, conduct under earlier rules.

    No rulebook of this system governs such conduct: it is kept, and no requirement is computed
    for it. Each field says whether a later rule of this rulebook still looks back at it.
    """

    #: A filing approved before the rulebook took effect is recorded with its real dates; its
    #: validity, renewal window and lapse are this rulebook's (the earliest of its jurisdiction).
    filings_continue: bool = True
    #: A sanction decided before the rulebook took effect counts as the earlier sanction of
    #: ``recurrence_after_sanction`` ("again after an interview"); False: only sanctions with
    #: their effect on or after ``effective_from`` count.
    sanctions_count: bool = False
    #: Where an ``inactivity`` rule starts counting: from the last evaluation or approval even
    #: before the rulebook took effect, or never before ``effective_from``.
    inactivity_from: Literal["last_evaluation_or_approval", "effective_from"] = "effective_from"
    articles: tuple[str, ...] = ()
    reasoning_zh: str = ""
    reasoning_en: str = ""


class DerivedRuleParams(BaseModel):
    """The parameters of one kind of derived rule; strict, so YAML types are not coerced."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class SeriousCaseParams(DerivedRuleParams):
    from_articles: list[str] = Field(min_length=1)


class RecurrenceParams(DerivedRuleParams):
    from_articles: list[str] = Field(min_length=1)
    after_sanction: Literal["interview", "rectification", "warning"]
    match: Literal["same_article", "same_item", "any_listed"]
    prior_from_articles: list[str] = Field(min_length=1)
    since: Literal["effect_date"]
    order_by: Literal["occurred_on"]
    window_months: int | None
    requires_completed_rectification: bool


class SanctionsInCalendarYearParams(DerivedRuleParams):
    sanction_level: Level
    threshold: int = Field(ge=1)
    count_by: Literal["decided_on", "served_on", "occurred_on"]
    include_current: bool
    timezone: str


class SubstantiatedComplaintsParams(DerivedRuleParams):
    threshold: int = Field(ge=1)
    window: Literal["rolling_12_months", "calendar_year"]
    count_by: Literal["occurred_on", "verified_on"]


class RatioThresholdParams(DerivedRuleParams):
    numerator: Literal["unqualified_candidates"]
    denominator: Literal["candidates"]
    threshold_percent: int | float
    inclusive: bool


class PaperSetReuseParams(DerivedRuleParams):
    window_months: int = Field(ge=1)


class InactivityParams(DerivedRuleParams):
    months: int = Field(ge=1)
    without_good_reason: bool
    counted_from: Literal["last_evaluation_or_approval"]


class OverdueRectificationParams(DerivedRuleParams):
    pass


#: The parameters each kind of derived rule takes; a rule's ``params`` must match exactly.
DERIVED_RULE_PARAMS: dict[str, type[DerivedRuleParams]] = {
    "serious_case": SeriousCaseParams,
    "recurrence_after_sanction": RecurrenceParams,
    "sanctions_in_calendar_year": SanctionsInCalendarYearParams,
    "substantiated_complaints_in_window": SubstantiatedComplaintsParams,
    "ratio_threshold_in_batch": RatioThresholdParams,
    "paper_set_reuse": PaperSetReuseParams,
    "inactivity": InactivityParams,
    "overdue_rectification": OverdueRectificationParams,
}


class DerivedRule(_Frozen):
    """An escalation rule: one generic kind, parametrised, with its reasoning."""

    id: str  # unique in the rulebook, e.g. "again_after_interview"
    kind: Literal[
        "serious_case",
        "recurrence_after_sanction",
        "sanctions_in_calendar_year",
        "substantiated_complaints_in_window",
        "ratio_threshold_in_batch",
        "paper_set_reuse",
        "inactivity",
        "overdue_rectification",
    ]
    yields: str  # the item it requires, e.g. "26.1"
    params: dict[str, Any] = Field(default_factory=dict)
    reasoning_zh: str
    reasoning_en: str

    @model_validator(mode="after")
    def _params_fit_kind(self) -> DerivedRule:
        try:
            DERIVED_RULE_PARAMS[self.kind].model_validate(self.params)
        except ValidationError as exc:
            problems = "; ".join(
                f"params.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ValueError(f"derived rule {self.id} ({self.kind}): {problems}") from None
        return self

    def typed_params(self) -> DerivedRuleParams:
        """The parameters as the model of this rule's kind (validated on load)."""
        return DERIVED_RULE_PARAMS[self.kind].model_validate(self.params)

    def article_refs(self) -> list[str]:
        """Article numbers the parameters refer to."""
        refs: list[str] = []
        for key in ("from_articles", "prior_from_articles"):
            value = self.params.get(key, [])
            if isinstance(value, list):
                refs.extend(str(v) for v in value)
        return refs


class Rulebook(_Frozen):
    id: str
    version: int
    title_zh: str
    title_en: str
    issuer_zh: str
    issuer_en: str
    issued_on: date
    effective_from: date
    effective_until: date | None = None
    jurisdiction: str | None = None  # None: supervisor rules only, no institutions filed
    source_file: str
    sanction_levels: dict[str, str] = Field(default_factory=dict)
    articles: tuple[Article, ...] = ()
    derived_rules: tuple[DerivedRule, ...] = ()
    filing: FilingRules = FilingRules()
    due_process: DueProcess = DueProcess()
    supervision: SupervisionRules = SupervisionRules()
    evaluation_checks: EvaluationChecks = EvaluationChecks()
    annual_assessment: AnnualAssessmentRules = AnnualAssessmentRules()
    credit_rating: CreditRating | None = None
    earlier_conduct: EarlierConduct = EarlierConduct()
    content_hash: str = ""

    @model_validator(mode="after")
    def _items_unique_and_rules_point_at_items(self) -> Rulebook:
        numbers = [a.number for a in self.articles]
        if len(numbers) != len(set(numbers)):
            raise ValueError("an article number appears twice")
        for key in self.sanction_levels:
            if key not in {"0", "1", "2", "3"}:
                raise ValueError(f"sanction_levels: {key!r} is not a level 0-3")
        rule_ids = [r.id for r in self.derived_rules]
        if len(rule_ids) != len(set(rule_ids)):
            raise ValueError("a derived rule id appears twice")
        seen: set[str] = set()
        for article in self.articles:
            for item in article.items:
                if not item.id.startswith(f"{article.number}."):
                    raise ValueError(f"item {item.id} is not in article {article.number}")
                if item.id in seen:
                    raise ValueError(f"item {item.id} appears twice")
                seen.add(item.id)
        sanction_articles = {str(a.number) for a in self.articles if a.level is not None}
        failed = self.annual_assessment.failed_item
        if failed is not None and failed not in seen:
            raise ValueError(f"annual_assessment.failed_item names unknown item {failed}")
        for check, item_id in self.evaluation_checks.items().items():
            if item_id not in seen:
                raise ValueError(f"evaluation_checks.{check} names unknown item {item_id}")
        for rule in self.derived_rules:
            if rule.yields not in seen:
                raise ValueError(f"derived rule {rule.id} yields unknown item {rule.yields}")
            if rule.yields.split(".")[0] not in sanction_articles:
                raise ValueError(
                    f"derived rule {rule.id} yields {rule.yields}, not a sanction item"
                )
            for ref in rule.article_refs():
                if ref not in sanction_articles:
                    raise ValueError(f"derived rule {rule.id} refers to unknown article {ref}")
        return self

    def item(self, item_id: str) -> Item | None:
        """The item with this id ("26.1", or the full "hunan-2023/26.1")."""
        local = item_id.removeprefix(f"{self.id}/")
        for article in self.articles:
            for item in article.items:
                if item.id == local:
                    return item
        return None

    def article_of(self, item_id: str) -> Article:
        number = int(item_id.removeprefix(f"{self.id}/").split(".")[0])
        for article in self.articles:
            if article.number == number:
                return article
        raise KeyError(item_id)

    def level_of(self, item_id: str) -> Level:
        item = self.item(item_id)
        if item is None:
            raise KeyError(item_id)
        if item.level is not None:
            return item.level
        level = self.article_of(item_id).level
        if level is None:
            raise KeyError(f"{item_id} is not a sanction item")
        return level

    def cite(self, item_id: str) -> str:
        return f"{self.id}/{item_id.removeprefix(f'{self.id}/')}"

    @property
    def ref(self) -> str:
        return f"{self.id}@v{self.version}#{self.content_hash[:12]}"


class RulebookError(ValueError):
    """A rulebook file that does not validate; the message names file and field."""


def parse_rulebook(path: Path) -> Rulebook:
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise RulebookError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RulebookError(f"{path}: the top level must be a mapping")
    data["content_hash"] = hashlib.sha256(raw).hexdigest()
    try:
        return Rulebook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise RulebookError(f"{path}: {problems}") from exc


#: ``Catalogue.in_force`` answers kept per catalogue (about 27 years of days, per jurisdiction).
IN_FORCE_KEPT = 40_000


class Catalogue:
    """Every version of every rulebook, chosen by jurisdiction and business date."""

    def __init__(self, rulebooks: Iterable[Rulebook]) -> None:
        self._all = sorted(rulebooks, key=lambda r: (r.id, r.version))
        keys = [(r.id, r.version) for r in self._all]
        if len(keys) != len(set(keys)):
            raise RulebookError("two files declare the same rulebook id and version")
        #: ``in_force`` answers, by (jurisdiction, date): the catalogue never changes.
        self._in_force: dict[tuple[str, date], Rulebook | None] = {}

    def __iter__(self) -> Any:
        return iter(self._all)

    def versions(self, rulebook_id: str) -> list[Rulebook]:
        return [r for r in self._all if r.id == rulebook_id]

    def get(self, rulebook_id: str, version: int | None = None) -> Rulebook:
        versions = self.versions(rulebook_id)
        if not versions:
            raise KeyError(rulebook_id)
        if version is None:
            return versions[-1]
        for r in versions:
            if r.version == version:
                return r
        raise KeyError(f"{rulebook_id} v{version}")

    def jurisdictions(self) -> list[str]:
        return sorted({r.jurisdiction for r in self._all if r.jurisdiction})

    def in_force(self, jurisdiction: str, on: date) -> Rulebook | None:
        """The newest version for the jurisdiction whose effective period covers ``on``."""
        key = (jurisdiction, on)
        if key in self._in_force:
            return self._in_force[key]
        candidates = [
            r
            for r in self._all
            if r.jurisdiction == jurisdiction
            and r.effective_from <= on
            and (r.effective_until is None or on < r.effective_until)
        ]
        found = max(candidates, key=lambda r: (r.effective_from, r.version), default=None)
        if len(self._in_force) < IN_FORCE_KEPT:
            self._in_force[key] = found
        return found

    def for_jurisdiction(self, jurisdiction: str) -> list[Rulebook]:
        return [r for r in self._all if r.jurisdiction == jurisdiction]

    def earliest(self, jurisdiction: str) -> Rulebook | None:
        """The first rulebook of the jurisdiction to take effect (of the versions taking
        effect that day, the newest: the one ``in_force`` gives on it)."""
        return min(
            self.for_jurisdiction(jurisdiction),
            key=lambda r: (r.effective_from, -r.version),
            default=None,
        )

    def rules_from(self, jurisdiction: str) -> date | None:
        """The day the first rulebook of the jurisdiction took effect."""
        first = self.earliest(jurisdiction)
        return first.effective_from if first is not None else None

    def before_any(self, jurisdiction: str, on: date) -> Rulebook | None:
        """The jurisdiction's earliest rulebook when ``on`` comes before it took effect (no
        rulebook of this system governs conduct on ``on``); else None."""
        first = self.earliest(jurisdiction)
        return first if first is not None and on < first.effective_from else None

    def looking_back(self, jurisdiction: str, on: date) -> Rulebook | None:
        """The rulebook in force on ``on``, or, for a date before any rulebook of the
        jurisdiction, the earliest one (whose ``earlier_conduct`` says what still counts)."""
        return self.in_force(jurisdiction, on) or self.before_any(jurisdiction, on)


def load_catalogue(directory: Path = RULEBOOK_DIR) -> Catalogue:
    return Catalogue(parse_rulebook(p) for p in sorted(directory.glob("*/v*.yaml")))


@cache
def default_catalogue() -> Catalogue:
    return load_catalogue()
