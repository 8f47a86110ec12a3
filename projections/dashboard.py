"""What each dashboard list page reads: one function per page, one view per page.

The pages (:mod:`api.routes.pages`) parse the query string, call one of these and render
what it returns. Every read is confined to the caller's scope (:func:`allowed_scope`);
whatever the pages need from the application (today's date, the jurisdictions, the
published credit ratings) is asked here, so the pages make no call of their own. An
institution's file is :mod:`projections.institution_file`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from domain.access import SYSTEM, Principal
from domain.application import OversightApplication
from domain.assignment import rotation_headroom
from domain.errors import DomainError
from domain.supervisor import SupervisionPolicy
from projections.complaints_queries import ComplaintStat, complaint_stats
from projections.disclosure_queries import (
    DisclosureEntry,
    EntryCounts,
    count_entries,
    ended_entries,
    public_entries,
    publication_history,
)
from projections.filters import (
    Paging,
    Place,
    RegisterFilter,
    SanctionFilter,
    WorkloadFilter,
    every_row,
)
from projections.queries import (
    MAX_LIMIT,
    Page,
    RegisterEntry,
    allowed_scope,
    count_by_status,
    list_institutions,
)
from projections.querying import one_snapshot
from projections.ratings_queries import RatedInstitution, rated_institutions
from projections.sanctions_queries import (
    Sanction,
    list_sanctions,
    sanctions_by_article,
    sanctions_by_district,
    sanctions_by_month,
)
from projections.store import ViewStore
from projections.worklist_queries import WorklistItems, worklist, worklist_counts
from projections.workload_queries import (
    RotationCounter,
    SupervisorLoad,
    rotation_counters,
    supervisor_workload,
)

T = TypeVar("T")

#: ``(category, level, decisions)``: sanctions counted by month, article or district.
LevelCounts = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Choices:
    """What a filter form offers the caller, within its scope."""

    #: The jurisdictions it may choose from (only its own for a regulator).
    jurisdictions: tuple[str, ...]
    #: Its scope names one jurisdiction and it cannot see another.
    fixed_jurisdiction: bool
    #: The district its scope is confined to (it cannot choose another).
    fixed_district: str | None


def choices(app: OversightApplication, principal: Principal) -> Choices:
    known = tuple(app.ledger.catalogue.jurisdictions())
    if principal.role == "admin":
        return Choices(known, fixed_jurisdiction=False, fixed_district=None)
    if principal.jurisdiction is not None:
        known = tuple(j for j in known if j == principal.jurisdiction)
    return Choices(known, fixed_jurisdiction=len(known) == 1, fixed_district=principal.district)


# --- overview --------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    today: date
    #: Institutions per filing status (statuses with none are absent).
    statuses: Mapping[str, int]
    by_month: LevelCounts
    by_article: LevelCounts
    by_district: LevelCounts
    complaints: tuple[ComplaintStat, ...]
    #: Items on the worklist: open findings, cases, rectifications and appeals.
    open_items: int
    #: Cases and rectifications the worklist flags as overdue.
    overdue: int
    choices: Choices


def overview(
    app: OversightApplication, store: ViewStore, principal: Principal, place: Place
) -> Overview:
    scope = {**allowed_scope(principal), **place.arguments()}
    today = app.ledger.today()
    with one_snapshot(store):
        statuses = count_by_status(store, **scope)
        by_month = tuple((m, lv, n) for m, lv, n in sanctions_by_month(store, **scope))
        by_article = tuple((a, lv, n) for a, lv, n in sanctions_by_article(store, **scope))
        by_district = tuple((d, lv, n) for d, lv, n in sanctions_by_district(store, **scope))
        complaints = tuple(complaint_stats(store, by="month", **scope))
        counts = worklist_counts(store, as_of=today, **scope)
    return Overview(
        today=today,
        statuses=statuses,
        by_month=by_month,
        by_article=by_article,
        by_district=by_district,
        complaints=complaints,
        open_items=counts.open_items,
        overdue=counts.overdue,
        choices=choices(app, principal),
    )


# --- register and sanctions ------------------------------------------------------------


@dataclass(frozen=True)
class ListPage(Generic[T]):
    """One page of a list, and what its filter form offers."""

    page: Page[T]
    choices: Choices


def _one_page(
    read: Callable[..., Page[T]],
    store: ViewStore,
    principal: Principal,
    filters: Place,
    paging: Paging,
) -> Page[T]:
    return read(
        store,
        **filters.arguments(),
        limit=paging.limit,
        cursor=paging.cursor,
        **allowed_scope(principal),
    )


def _all_rows(
    read: Callable[..., Page[T]], store: ViewStore, principal: Principal, filters: Place
) -> Iterator[T]:
    return every_row(
        lambda cursor, limit: _one_page(read, store, principal, filters, Paging(cursor, limit))
    )


def register_page(
    app: OversightApplication,
    store: ViewStore,
    principal: Principal,
    filters: RegisterFilter,
    paging: Paging,
) -> ListPage[RegisterEntry]:
    page = _one_page(list_institutions, store, principal, filters, paging)
    return ListPage(page, choices(app, principal))


def register_rows(
    store: ViewStore, principal: Principal, filters: RegisterFilter
) -> Iterator[RegisterEntry]:
    """Every register row matching ``filters`` inside the caller's scope (the CSV)."""
    return _all_rows(list_institutions, store, principal, filters)


def sanctions_page(
    app: OversightApplication,
    store: ViewStore,
    principal: Principal,
    filters: SanctionFilter,
    paging: Paging,
) -> ListPage[Sanction]:
    page = _one_page(list_sanctions, store, principal, filters, paging)
    return ListPage(page, choices(app, principal))


def sanction_rows(
    store: ViewStore, principal: Principal, filters: SanctionFilter
) -> Iterator[Sanction]:
    """Every decision matching ``filters`` inside the caller's scope (the CSV)."""
    return _all_rows(list_sanctions, store, principal, filters)


# --- worklist --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistPage:
    today: date
    work: WorklistItems
    #: Filings waiting for a decision.
    filings: tuple[RegisterEntry, ...]
    #: Only the items of this officer ("assigned to me"); None: every item.
    officer: str | None = None
    #: The most items of each kind listed.
    limit: int = MAX_LIMIT


#: Items of each kind the worklist page shows (its CSV lists up to ``MAX_LIMIT``).
WORKLIST_LIMIT = 50


def worklist_page(
    app: OversightApplication,
    store: ViewStore,
    principal: Principal,
    *,
    mine: bool = False,
    limit: int = MAX_LIMIT,
) -> WorklistPage:
    """The first ``limit`` items of each kind (``truncated`` names the kinds with more)."""
    today = app.ledger.today()
    scope = allowed_scope(principal)
    officer = principal.subject if mine else None
    # Filings waiting for review have no officer yet: the queue of one officer leaves them out.
    filings: tuple[RegisterEntry, ...] = ()
    with one_snapshot(store):
        if not mine:
            submitted = list_institutions(store, status="submitted", limit=limit, **scope)
            filings = tuple(submitted.items)
        work = worklist(store, as_of=today, officer=officer, limit=limit, **scope)
    return WorklistPage(today, work, filings, officer, limit)


# --- supervisor workload and rotation ---------------------------------------------------


@dataclass(frozen=True)
class RotationRule:
    """The rotation rule in force in a jurisdiction today (zhengzhou-2014/19 and the like)."""

    jurisdiction: str
    #: Most supervisions in a row of one institution; ``None``: no limit.
    limit: int | None
    article: str | None


@dataclass(frozen=True)
class RotationRow:
    counter: RotationCounter
    limit: int | None
    #: Supervisions in a row still allowed; 0: the next assignment there is refused.
    left: int | None
    article: str | None


@dataclass(frozen=True)
class WorkloadPage:
    today: date
    loads: tuple[SupervisorLoad, ...]
    #: Most supervisions in a row first.
    rotation: tuple[RotationRow, ...]
    rules: tuple[RotationRule, ...]
    choices: Choices


def _policy(app: OversightApplication, jurisdiction: str, today: date) -> SupervisionPolicy | None:
    try:
        return app.ledger.supervision_policy(jurisdiction, today)
    except DomainError:  # no rulebook in force there today
        return None


def _rotation_row(counter: RotationCounter, policy: SupervisionPolicy | None) -> RotationRow:
    if policy is None:
        return RotationRow(counter, None, None, None)
    return RotationRow(
        counter,
        policy.max_consecutive_assignments,
        rotation_headroom(counter.consecutive, policy),
        policy.rotation_article,
    )


def workload_page(
    app: OversightApplication, store: ViewStore, principal: Principal, filters: WorkloadFilter
) -> WorkloadPage:
    """Each supervisor's assignments, visits and open assignments in the caller's scope,
    and how many times in a row each was sent to an institution, against the rule.

    Refused (``Forbidden``) for an institution: supervisors are not its to see.
    """
    principal.require_role("admin", "regulator", "supervisor", "reviewer")
    today = app.ledger.today()
    scope = allowed_scope(principal)
    loads = supervisor_workload(store, **filters.arguments(), **scope)
    counters = rotation_counters(
        store, jurisdiction=filters.jurisdiction, district=filters.district, **scope
    )
    jurisdictions = sorted({c.jurisdiction for c in counters} | {s.jurisdiction for s in loads})
    policies = {j: _policy(app, j, today) for j in jurisdictions}
    rows = [_rotation_row(c, policies[c.jurisdiction]) for c in counters]
    rows.sort(key=lambda r: (-r.counter.consecutive, r.counter.institution_name))
    return WorkloadPage(
        today=today,
        loads=tuple(loads),
        rotation=tuple(rows),
        rules=tuple(
            RotationRule(j, p.max_consecutive_assignments, p.rotation_article)
            if p
            else RotationRule(j, None, None)
            for j, p in policies.items()
        ),
        choices=choices(app, principal),
    )


# --- public disclosure -----------------------------------------------------------------


@dataclass(frozen=True)
class PublicRating:
    name: str
    credit_code: str
    jurisdiction: str
    grade: str | None
    #: rated | cancelled
    state: str
    #: The rulebook the rating follows.
    basis: str


#: Rows of each list the public page shows (the CSV holds them all).
PUBLIC_LIMIT = 100


@dataclass(frozen=True)
class PublicPage:
    on: date
    jurisdiction: str | None
    #: The first entries in force on ``on``, newest publication first.
    entries: tuple[DisclosureEntry, ...]
    #: The entries published but not in force on ``on``, oldest first (the first ones).
    ended: tuple[DisclosureEntry, ...]
    #: The first published ratings, by name.
    ratings: tuple[PublicRating, ...]
    jurisdictions: tuple[str, ...]
    #: How many entries are in force on ``on``, and how many are not.
    counts: EntryCounts
    #: More institutions with a rating follow the ones listed.
    more_ratings: bool
    #: The most rows each list shows.
    limit: int = PUBLIC_LIMIT


def public_page(
    app: OversightApplication,
    store: ViewStore,
    on: date | None,
    jurisdiction: str | None,
    *,
    limit: int = PUBLIC_LIMIT,
) -> PublicPage:
    """The disclosure list on ``on`` (today when ``None``): no scope, no personal data;
    the first ``limit`` rows of each list, and how many there are."""
    day = on or app.ledger.today()
    catalogue = app.ledger.catalogue
    with one_snapshot(store):
        rated = list(rated_institutions(store, catalogue, day, jurisdiction, limit=limit + 1))
        entries = tuple(public_entries(store, day, jurisdiction, limit=limit))
        ended = tuple(ended_entries(store, day, jurisdiction, limit=limit))
        counts = count_entries(store, day, jurisdiction)
    return PublicPage(
        on=day,
        jurisdiction=jurisdiction,
        entries=entries,
        ended=ended,
        ratings=tuple(_published(app, day, rated[:limit])),
        jurisdictions=tuple(catalogue.jurisdictions()),
        counts=counts,
        more_ratings=len(rated) > limit,
        limit=limit,
    )


def public_lists(
    app: OversightApplication, store: ViewStore, on: date | None, jurisdiction: str | None
) -> PublicLists:
    """Every row of the public page's lists, for its CSV."""
    day = on or app.ledger.today()
    return PublicLists(
        entries=lambda: public_entries(store, day, jurisdiction),
        history=lambda: publication_history(store, jurisdiction=jurisdiction),
        ratings=lambda: _public_ratings(app, store, day, jurisdiction),
    )


@dataclass(frozen=True)
class PublicLists:
    """The public page's lists in full, each read when called."""

    entries: Callable[[], Iterable[DisclosureEntry]]
    history: Callable[[], Iterable[DisclosureEntry]]
    ratings: Callable[[], Iterable[PublicRating]]


def _public_ratings(
    app: OversightApplication, store: ViewStore, day: date, jurisdiction: str | None
) -> Iterator[PublicRating]:
    """Current credit ratings of institutions whose rulebook publishes them."""
    return _published(app, day, rated_institutions(store, app.ledger.catalogue, day, jurisdiction))


def _published(
    app: OversightApplication, day: date, entries: Iterable[RatedInstitution]
) -> Iterator[PublicRating]:
    """The published ratings among ``entries``: from the ratings read model where its
    standing tells the day, else replayed from history."""
    catalogue = app.ledger.catalogue
    for entry in entries:
        s = entry.standing
        if s is not None:
            rulebook = catalogue.in_force(entry.jurisdiction, day)
            rules = rulebook.credit_rating if rulebook is not None else None
            grade, state, basis = s.grade, s.state, s.rulebook
            published = rules is not None and rules.published
        else:
            rating = app.records.credit_rating(SYSTEM, entry.id, day)
            grade, state, basis = rating["grade"], rating["state"], rating["rulebook"]
            published = rating["published"]
        if published and state != "unrated":
            yield PublicRating(
                entry.name, entry.credit_code, entry.jurisdiction, grade, state, basis
            )
