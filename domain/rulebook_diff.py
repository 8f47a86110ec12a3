"""The difference between two versions of a rulebook, article by article and parameter by
parameter, each change told in Chinese and in English. Pure: two ``Rulebook`` values in,
a list of ``Change`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from domain.rulebook import Article, Catalogue, DerivedRule, Rulebook

ChangeKind = Literal[
    "added",
    "removed",
    "level_changed",
    "effect_changed",
    "window_changed",
    "parameter_changed",
]

#: Top-level sections compared parameter by parameter.
SECTIONS = (
    "effective_from",
    "effective_until",
    "jurisdiction",
    "filing",
    "due_process",
    "supervision",
    "evaluation_checks",
    "annual_assessment",
    "credit_rating",
)
_TEXT = ("title_zh", "title_en", "summary_zh", "summary_en", "reasoning_zh", "reasoning_en")


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    #: What changed: "hunan-2023/26", "hunan-2023/26.7", a derived rule id, or a section.
    subject: str
    parameter: str  # "level", "effects.suspension", "params.window_months", "" for the whole
    old: Any
    new: Any
    text_zh: str
    text_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "parameter": self.parameter,
            "old": self.old,
            "new": self.new,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
        }


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested mapping as dotted paths to leaves (lists and tuples are leaves)."""
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, inner in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        out.update(_flat(inner, path) if isinstance(inner, dict) and inner else {path: inner})
    return out


def _kind_of(parameter: str) -> ChangeKind:
    leaf = parameter.rsplit(".", 1)[-1]
    if leaf == "level" and not parameter.startswith(("escalation.effects", "params")):
        return "level_changed"
    if "window" in leaf or leaf in {"months", "recovery_months"}:
        return "window_changed"
    if parameter.startswith(("effects.", "escalation.effects.")):
        return "effect_changed"
    return "parameter_changed"


def _changed(subject: str, old: Any, new: Any, skip: tuple[str, ...] = ()) -> list[Change]:
    before, after = _flat(old), _flat(new)
    changes = []
    for path in sorted(set(before) | set(after)):
        if path.rsplit(".", 1)[-1] in skip or path.split(".")[0] in skip:
            continue
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        changes.append(
            Change(
                _kind_of(path),
                subject,
                path,
                a,
                b,
                f"{subject} 的 {path} 由 {a!r} 改为 {b!r}",
                f"{subject}: {path} changed from {a!r} to {b!r}",
            )
        )
    return changes


def _presence(kind: ChangeKind, subject: str, what_zh: str, what_en: str, value: Any) -> Change:
    verb_zh, verb_en = ("新增", "added") if kind == "added" else ("删除", "removed")
    old, new = (None, value) if kind == "added" else (value, None)
    return Change(
        kind,
        subject,
        "",
        old,
        new,
        f"{verb_zh}{what_zh} {subject}",
        f"{what_en} {subject} {verb_en}",
    )


def _article_changes(book: Rulebook, old: Article, new: Article) -> list[Change]:
    cite = f"{book.id}/{new.number}"
    changes = _changed(cite, old.model_dump(exclude={"items"}), new.model_dump(exclude={"items"}))
    items_old = {i.id: i for i in old.items}
    items_new = {i.id: i for i in new.items}
    for item_id in sorted(set(items_old) | set(items_new), key=_item_key):
        subject = f"{book.id}/{item_id}"
        if item_id not in items_old:
            changes.append(
                _presence("added", subject, "条目", "item", items_new[item_id].summary_en)
            )
        elif item_id not in items_new:
            changes.append(
                _presence("removed", subject, "条目", "item", items_old[item_id].summary_en)
            )
        else:
            a, b = items_old[item_id], items_new[item_id]
            level_a = a.level if a.level is not None else old.level
            level_b = b.level if b.level is not None else new.level
            changes.extend(_changed(subject, {"level": level_a}, {"level": level_b}))
            changes.extend(
                _changed(subject, a.model_dump(exclude={"level"}), b.model_dump(exclude={"level"}))
            )
    return changes


def _item_key(item_id: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in item_id.split("."))


def _rule_changes(old: dict[str, DerivedRule], new: dict[str, DerivedRule]) -> list[Change]:
    changes: list[Change] = []
    for rule_id in sorted(set(old) | set(new)):
        subject = f"derived_rules.{rule_id}"
        if rule_id not in old:
            changes.append(
                _presence("added", subject, "推导规则", "derived rule", new[rule_id].kind)
            )
        elif rule_id not in new:
            changes.append(
                _presence("removed", subject, "推导规则", "derived rule", old[rule_id].kind)
            )
        else:
            changes.extend(_changed(subject, old[rule_id].model_dump(), new[rule_id].model_dump()))
    return changes


def diff(old: Rulebook, new: Rulebook) -> list[Change]:
    """Every change from ``old`` to ``new``: articles and their items, derived rules, then the
    other sections, parameter by parameter. Wording of titles and summaries counts as a
    parameter change too; the content hash and source file do not."""
    changes: list[Change] = []
    arts_old = {a.number: a for a in old.articles}
    arts_new = {a.number: a for a in new.articles}
    for number in sorted(set(arts_old) | set(arts_new)):
        subject = f"{new.id}/{number}"
        if number not in arts_old:
            changes.append(
                _presence("added", subject, "条款", "article", arts_new[number].title_en)
            )
        elif number not in arts_new:
            changes.append(
                _presence("removed", subject, "条款", "article", arts_old[number].title_en)
            )
        else:
            changes.extend(_article_changes(new, arts_old[number], arts_new[number]))
    changes.extend(
        _rule_changes({r.id: r for r in old.derived_rules}, {r.id: r for r in new.derived_rules})
    )
    before = old.model_dump(include=set(SECTIONS))
    after = new.model_dump(include=set(SECTIONS))
    for section in SECTIONS:
        changes.extend(_changed(section, before.get(section), after.get(section)))
    return changes


def substantive(changes: list[Change]) -> list[Change]:
    """The changes that can alter a requirement (not only the wording)."""
    return [c for c in changes if c.parameter.rsplit(".", 1)[-1] not in _TEXT]


def named(catalogue: Catalogue, spec: str) -> Rulebook:
    """The published rulebook ``ID`` (its latest version) or ``ID@VERSION``; ``KeyError``
    for none, ``ValueError`` for a version that is not a number."""
    rulebook_id, _, version = spec.partition("@")
    return catalogue.get(rulebook_id, int(version) if version else None)
