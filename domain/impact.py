"""What a draft rulebook would change: one institution's history replayed under the catalogue
in force and under the catalogue with the draft, compared requirement by requirement.

Pure: histories, catalogues and the business date come in; the engine (``assess_leniently``,
so 从旧兼从轻 applies exactly as in every decision) and the credit rating are reused."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.credit import rating_at
from domain.deciders.filing import renewal_window
from domain.detection import Flag, batch_checks_of, recheck_batch
from domain.escalation import Assessment, Finding, assess_leniently
from domain.history import BatchFact, EventRef, History
from domain.rulebook import Catalogue, Rulebook
from domain.state import InstitutionState


@dataclass(frozen=True)
class Subject:
    """An institution to replay: its id, name, district and history."""

    institution_id: str
    name: str
    district: str | None
    history: History


@dataclass(frozen=True)
class Difference:
    """One aspect that differs: ``what`` is "level", "actions", "grounds", "batch_checks",
    "rating" or "deadlines"; ``finding_id`` names the finding (the batch for
    "batch_checks") and is empty for the institution's rating and deadlines."""

    what: str
    finding_id: str
    article: str
    current: Any
    draft: Any
    events: tuple[EventRef, ...]
    text_zh: str
    text_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "finding_id": self.finding_id,
            "article": self.article,
            "current": self.current,
            "draft": self.draft,
            "events": [e.as_dict() for e in self.events],
            "text_zh": self.text_zh,
            "text_en": self.text_en,
        }


@dataclass(frozen=True)
class InstitutionImpact:
    institution_id: str
    name: str
    district: str | None
    differences: tuple[Difference, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "institution_id": self.institution_id,
            "name": self.name,
            "district": self.district,
            "differences": [d.as_dict() for d in self.differences],
        }


_ZH = {"level": "要求等级", "actions": "措施", "grounds": "依据", "rating": "信用等级"}


def _grounds(a: Assessment) -> tuple[tuple[str, str, int], ...]:
    return tuple(sorted((g.rule, g.article.split("/")[-1], g.level) for g in a.grounds))


def _events(*assessments: Assessment) -> tuple[EventRef, ...]:
    refs = {e for a in assessments for g in a.grounds for e in g.events}
    return tuple(sorted(refs, key=lambda e: (e.version, e.type)))


def _finding_differences(now: Assessment, then: Assessment) -> list[Difference]:
    out = []
    aspects = (
        ("level", now.level, then.level),
        ("actions", list(now.actions), list(then.actions)),
        ("grounds", [list(g) for g in _grounds(now)], [list(g) for g in _grounds(then)]),
    )
    for what, current, draft in aspects:
        if current == draft:
            continue
        out.append(
            Difference(
                what,
                now.finding_id,
                then.article if what == "level" else now.rule_id,
                current,
                draft,
                _events(now, then),
                f"认定 {now.finding_id}（{now.rule_id}）的{_ZH[what]}：现行 {current}，"
                f"草案 {draft}（草案依据 {then.article}）",
                f"finding {now.finding_id} ({now.rule_id}) {what}: {current} now, {draft}"
                f" under the draft ({then.article})",
            )
        )
    return out


def _deadlines(history: History, catalogue: Catalogue, jurisdiction: str) -> dict[str, Any]:
    """The renewal window and lapse date of the recorded validity, under the rulebook in
    force on its last day (as the portal and the deadline worker read them)."""
    if history.valid_until is None:
        return {}
    book = catalogue.in_force(jurisdiction, history.valid_until)
    if book is None:
        return {}
    opens, last_day, lapses = renewal_window(
        InstitutionState(valid_until=history.valid_until), book
    )
    return {
        "valid_until": last_day.isoformat(),
        "renewal_from": opens.isoformat(),
        "lapses_on": lapses.isoformat(),
    }


def _batch_books(
    catalogue: Catalogue, jurisdiction: str, on: date, as_of: date
) -> tuple[Rulebook | None, Rulebook | None]:
    return catalogue.in_force(jurisdiction, on), catalogue.in_force(jurisdiction, as_of)


def _checked(
    books: tuple[Rulebook | None, Rulebook | None], fact: BatchFact, same: tuple[BatchFact, ...]
) -> list[Flag]:
    """从旧兼从轻 for a batch: the rulebook in force on its date, or the one in force on the
    day of the replay if that raises strictly fewer checks."""
    old, new = books
    if old is None:
        return []
    flags = recheck_batch(old, fact, same)
    if new is not None and new is not old:
        later = recheck_batch(new, fact, same)
        if {f.check for f in later} < {f.check for f in flags}:
            return later
    return flags


_CHECKS: dict[tuple[str, int, str], str] = {}


def _same_checks(a: Rulebook | None, b: Rulebook | None) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    return _checks_of(a) == _checks_of(b)


def _checks_of(rulebook: Rulebook) -> str:
    key = (rulebook.id, rulebook.version, rulebook.content_hash)
    found = _CHECKS.get(key)
    if found is None:
        if len(_CHECKS) > 256:  # a draft a run: keep a few
            _CHECKS.clear()
        found = _CHECKS[key] = batch_checks_of(rulebook)
    return found


def _batch_differences(
    history: History, current: Catalogue, draft: Catalogue, jurisdiction: str, as_of: date
) -> list[Difference]:
    """Each batch whose checks raise other findings under the draft than now."""
    out: list[Difference] = []
    every = [*current.for_jurisdiction(jurisdiction), *draft.for_jurisdiction(jurisdiction)]
    if not history.batches or len({_checks_of(b) for b in every}) <= 1:
        return out  # every rulebook that could apply checks batches alike
    papers: dict[str, list[BatchFact]] = {}
    for fact in history.batches:
        papers.setdefault(fact.paper_set_id, []).append(fact)
    for fact in history.batches:
        books = _batch_books(current, jurisdiction, fact.evaluated_on, as_of)
        other = _batch_books(draft, jurisdiction, fact.evaluated_on, as_of)
        if all(_same_checks(a, b) for a, b in zip(books, other, strict=True)):
            continue  # rulebooks that check batches alike: the same findings
        same = tuple(papers[fact.paper_set_id]) if fact.paper_set_id else ()
        now, then = _checked(books, fact, same), _checked(other, fact, same)
        a = sorted(f.rule_id for f in now)
        b = sorted(f.rule_id for f in then)
        if a == b:
            continue
        changed = sorted(set(a) ^ set(b))
        refs = {fact.ref, *(r for f in (*now, *then) for r in f.events)}
        out.append(
            Difference(
                "batch_checks",
                fact.batch_id,
                changed[0],
                a,
                b,
                tuple(sorted(refs, key=lambda e: (e.version, e.type))),
                f"批次 {fact.batch_id}（{fact.evaluated_on}）的检查所引认定事项：现行 {a or '无'}，"
                f"草案 {b or '无'}",
                f"batch {fact.batch_id} ({fact.evaluated_on}) raises findings under"
                f" {a or 'none'} now, {b or 'none'} under the draft",
            )
        )
    return out


def _rating(history: History, catalogue: Catalogue, jurisdiction: str, on: date) -> Any:
    book = catalogue.in_force(jurisdiction, on)
    if book is None:
        return None
    rating = rating_at(history, book, on)
    return {"state": rating.state, "grade": rating.grade}


def _institution_differences(
    history: History, current: Catalogue, draft: Catalogue, jurisdiction: str, as_of: date
) -> list[Difference]:
    out: list[Difference] = []
    for fact in history.open_findings():
        finding = Finding.of(fact)
        now = assess_leniently(history, current, jurisdiction, finding, as_of)
        then = assess_leniently(history, draft, jurisdiction, finding, as_of)
        if isinstance(now, Assessment) and isinstance(then, Assessment):
            out.extend(_finding_differences(now, then))
    out.extend(_batch_differences(history, current, draft, jurisdiction, as_of))
    for what, of in (("rating", _rating), ("deadlines", None)):
        if of is not None:
            a, b = (
                of(history, current, jurisdiction, as_of),
                of(history, draft, jurisdiction, as_of),
            )
        else:
            a, b = (_deadlines(history, c, jurisdiction) for c in (current, draft))
        if a != b:
            refs = history.approvals[-1:] if what == "deadlines" else history.approvals
            out.append(
                Difference(
                    what,
                    "",
                    "",
                    a,
                    b,
                    tuple(refs),
                    f"{_ZH.get(what, '期限')}：现行 {a}，草案 {b}",
                    f"{what}: {a} now, {b} under the draft",
                )
            )
    return out


def replay(
    subject: Subject, current: Catalogue, draft: Catalogue, jurisdiction: str, as_of: date
) -> InstitutionImpact | None:
    """The institution's differences between the two catalogues on ``as_of``; None if none."""
    found = _institution_differences(subject.history, current, draft, jurisdiction, as_of)
    if not found:
        return None
    return InstitutionImpact(subject.institution_id, subject.name, subject.district, tuple(found))


@dataclass
class Summary:
    """Running totals of an impact run: institutions replayed and changed, by district and by
    article (the article a changed requirement falls under)."""

    replayed: int = 0
    changed: int = 0

    def __post_init__(self) -> None:
        self.by_district: Counter[str] = Counter()
        self.by_article: Counter[str] = Counter()
        self.by_what: Counter[str] = Counter()

    def add(self, impact: InstitutionImpact | None) -> None:
        self.replayed += 1
        if impact is None:
            return
        self.changed += 1
        self.by_district[impact.district or "—"] += 1
        for article in sorted({d.article for d in impact.differences if d.article}):
            self.by_article[article] += 1
        for what in sorted({d.what for d in impact.differences}):
            self.by_what[what] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "changed": self.changed,
            "by_district": dict(sorted(self.by_district.items())),
            "by_article": dict(sorted(self.by_article.items())),
            "by_what": dict(sorted(self.by_what.items())),
        }


def default_as_of(today: date, draft_effective_from: date) -> date:
    """A draft that takes effect later is shown on the day it takes effect."""
    return max(today, draft_effective_from)
