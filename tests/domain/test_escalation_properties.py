"""Properties of the escalation engine over generated institution files.

A file is a set of past cases (a breach, its decision under its own item, then perhaps the
interview held or the rectification accepted or overdue, perhaps an annulment) and one breach
to assess. Each case's steps are recorded in their causal order; the cases and the breach are
interleaved freely, so the recording order varies while the business dates stay the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.escalation import Assessment
from tests.domain.histories import INSTITUTION_RULEBOOKS, assert_explained, sanction_items
from tests.gwt import Ledger, rulebook

T = TypeVar("T")
EPOCH = date(2024, 3, 1)
PROPERTY = settings(max_examples=60, deadline=None)


@dataclass(frozen=True)
class Case:
    """A past breach decided under its own item, and what followed (days after EPOCH)."""

    item: str
    conduct: int
    decided: int
    #: "none"; "effect": the interview held or the rectification accepted on ``effect``;
    #: "overdue": the rectification's deadline passed (an interview has none).
    outcome: str
    effect: int
    annulled: int | None


@dataclass(frozen=True)
class Breach:
    """The breach to assess (days after EPOCH)."""

    item: str
    severity: str
    conduct: int
    as_of: int


@dataclass(frozen=True)
class File:
    rulebook_id: str
    cases: tuple[Case, ...]
    breach: Breach


Step = Callable[[Ledger, dict[str, str]], None]


def on(days: int) -> date:
    return EPOCH + timedelta(days=days)


def case_steps(case: Case, rulebook_id: str) -> list[Step]:
    """The case's commands in causal order; ``memo`` carries its finding and decision ids."""
    conduct, decided, effect = on(case.conduct), on(case.decided), on(case.effect)
    interview = rulebook(rulebook_id).article_of(case.item).effects.interview

    def record(ledger: Ledger, memo: dict[str, str]) -> None:
        memo["finding"] = ledger.finding(case.item, conduct)

    def decide(ledger: Ledger, memo: dict[str, str]) -> None:
        memo["decision"] = ledger.decide(memo["finding"], decided, under=case.item)

    def follow(ledger: Ledger, memo: dict[str, str]) -> None:
        if interview:
            ledger.interview(memo["decision"], effect)
        elif case.outcome == "effect":
            ledger.rectify(memo["decision"], effect)
        else:
            ledger.overdue(memo["decision"])

    def annul(ledger: Ledger, memo: dict[str, str]) -> None:
        assert case.annulled is not None
        ledger.annul(memo["decision"], on(case.annulled))

    steps: list[Step] = [record, decide]
    if case.outcome == "effect" or (case.outcome == "overdue" and not interview):
        steps.append(follow)
    if case.annulled is not None:
        steps.append(annul)
    return steps


def record_file(file: File, order: list[int] | None = None) -> tuple[Ledger, str]:
    """Record the file's cases and breach, interleaved as ``order`` says (owner per step:
    a case's index, or -1 for the breach); by default each case whole, then the breach."""
    ledger = Ledger(file.rulebook_id)
    queues = [case_steps(case, file.rulebook_id) for case in file.cases]
    memos: list[dict[str, str]] = [{} for _ in file.cases]
    if order is None:
        order = [i for i, queue in enumerate(queues) for _ in queue] + [-1]
    breach = ""
    for owner in order:
        if owner == -1:
            breach = ledger.finding(
                file.breach.item, on(file.breach.conduct), severity=file.breach.severity
            )
        else:
            queues[owner].pop(0)(ledger, memos[owner])
    return ledger, breach


def requirement(file: File, order: list[int] | None = None) -> Assessment:
    ledger, breach = record_file(file, order)
    assessment = ledger.assess(breach, as_of=on(file.breach.as_of))
    assert_explained(assessment)
    return assessment


def answer(a: Assessment) -> tuple[object, ...]:
    """What the engine requires and why, without the recording positions of the events."""
    grounds = sorted(
        (g.rule, g.article, g.level, tuple(sorted((e.type, e.occurred_on) for e in g.events)))
        for g in a.grounds
    )
    return (a.level, a.article, a.actions, a.ban_years, tuple(grounds))


# --- strategies -------------------------------------------------------------------------------


def decided_items(rulebook_id: str) -> list[str]:
    """Items whose decision is an interview or a rectification (levels 1 and 2)."""
    book = rulebook(rulebook_id)
    return [item for item in sanction_items(book) if book.level_of(item) in (1, 2)]


def items_of(rulebook_id: str, article: str) -> list[str]:
    return [item for item in sanction_items(rulebook(rulebook_id)) if item.split(".")[0] == article]


def mostly(draw: st.DrawFn, usual: st.SearchStrategy[T], otherwise: st.SearchStrategy[T]) -> T:
    """A value of ``usual`` three times in four, else of ``otherwise``."""
    return draw(otherwise if draw(st.integers(0, 3)) == 3 else usual)


#: Days after EPOCH; the coarse grid makes several facts fall on the same day.
days = st.integers(0, 600) | st.integers(0, 40).map(lambda n: 15 * n)
later = st.integers(0, 120) | st.sampled_from([0, 1, 15, 30])


@st.composite
def cases(draw: st.DrawFn, rulebook_id: str, article: str, annulled: bool | None = None) -> Case:
    """A case, mostly under ``article`` (so that a breach has something to recur after)."""
    conduct = draw(days)
    decided = conduct + draw(later)
    effect = decided + draw(later)
    if annulled is None:
        annulled = draw(st.integers(0, 3)) == 3
    annul_after = draw(later) if annulled else None
    return Case(
        item=mostly(
            draw,
            st.sampled_from(items_of(rulebook_id, article)),
            st.sampled_from(decided_items(rulebook_id)),
        ),
        conduct=conduct,
        decided=decided,
        outcome=mostly(draw, st.just("effect"), st.sampled_from(["none", "overdue"])),
        effect=effect,
        annulled=None if annul_after is None else effect + 31 + annul_after,
    )


@st.composite
def breaches(draw: st.DrawFn, rulebook_id: str, article: str, after: int) -> Breach:
    """A breach, mostly under ``article`` and after the day ``after``; assessed some days after
    its conduct or after the day ``after``."""
    conduct = mostly(draw, st.integers(after, after + 120), days)
    return Breach(
        item=mostly(
            draw,
            st.sampled_from(items_of(rulebook_id, article)),
            st.sampled_from(sanction_items(rulebook(rulebook_id))),
        ),
        severity=draw(st.sampled_from(["minor", "serious"])),
        conduct=conduct,
        as_of=draw(st.sampled_from([conduct, max(conduct, after)])) + draw(later),
    )


def decided_articles(rulebook_id: str) -> list[str]:
    return sorted({item.split(".")[0] for item in decided_items(rulebook_id)})


@st.composite
def files(draw: st.DrawFn) -> File:
    rulebook_id = draw(st.sampled_from(INSTITUTION_RULEBOOKS))
    article = draw(st.sampled_from(decided_articles(rulebook_id)))
    past = tuple(draw(st.lists(cases(rulebook_id, article), min_size=1, max_size=4)))
    after = max((c.effect for c in past), default=0)
    return File(rulebook_id, past, draw(breaches(rulebook_id, article, after)))


@st.composite
def files_and_one_more_case(draw: st.DrawFn, annulled: bool) -> tuple[File, File]:
    """A file, and the same file with one more case recorded somewhere among the others."""
    file = draw(files())
    article = file.breach.item.split(".")[0]
    if article not in decided_articles(file.rulebook_id):
        article = draw(st.sampled_from(decided_articles(file.rulebook_id)))
    extra = draw(cases(file.rulebook_id, article, annulled=annulled))
    at = draw(st.integers(0, len(file.cases)))
    more = File(file.rulebook_id, (*file.cases[:at], extra, *file.cases[at:]), file.breach)
    return file, more


@st.composite
def files_and_recording_orders(draw: st.DrawFn) -> tuple[File, list[int]]:
    """A file, and an interleaving of its cases' steps and its breach (a case's index per
    step, -1 for the breach)."""
    file = draw(files())
    owners = [i for i, case in enumerate(file.cases) for _ in case_steps(case, file.rulebook_id)]
    return file, draw(st.permutations([*owners, -1]))


# --- properties -------------------------------------------------------------------------------


@PROPERTY
@given(files_and_one_more_case(annulled=False))
def test_adding_a_sanction_never_lowers_a_later_requirement(pair: tuple[File, File]) -> None:
    without, with_sanction = pair

    before, after = requirement(without), requirement(with_sanction)

    assert after.level >= before.level


@PROPERTY
@given(files_and_one_more_case(annulled=True))
def test_an_annulled_sanction_is_exactly_as_if_it_never_happened(pair: tuple[File, File]) -> None:
    never, annulled = pair

    assert answer(requirement(annulled)) == answer(requirement(never))


@PROPERTY
@given(files_and_recording_orders())
def test_the_requirement_depends_on_business_dates_not_on_recording_order(
    file_and_order: tuple[File, list[int]],
) -> None:
    file, order = file_and_order

    assert answer(requirement(file, order)) == answer(requirement(file))
