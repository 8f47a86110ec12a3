"""Benchmark: a spot-check draw over 500 institutions and 60 supervisors.

    .venv/bin/python -m tests.bench.draw                  # the pure draw, then SQLite end to end
    .venv/bin/python -m tests.bench.draw --database-url postgresql://postgres@127.0.0.1/bench

Prints the measured times; asserts nothing about them (timings depend on the machine).
The correctness of the draw is a property test in tests/domain/test_draw.py.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

from bootstrap import build_application
from config.settings import Settings
from domain.access import SYSTEM
from domain.application import OversightApplication
from domain.campaign import DrawSpec, draw
from domain.creditcode import make_credit_code
from domain.institution import FilingApplication
from domain.ledger import Context

INSTITUTIONS = 500
SUPERVISORS = 60


def pure_draw(repeats: int = 20) -> None:
    insts = tuple(f"inst-{i:04d}" for i in range(INSTITUTIONS))
    sups = tuple(f"sup-{i:02d}" for i in range(SUPERVISORS))
    barred = frozenset((sups[i % SUPERVISORS], insts[(i * 7) % INSTITUTIONS]) for i in range(300))
    for label, targets, group, per in (
        ("20 targets x 3, one target each", 20, 3, 1),
        ("500 targets x 3, up to 25 each ", 500, 3, 25),
    ):
        times = []
        for _ in range(repeats):
            spec = DrawSpec(secrets.token_hex(32), insts, sups, barred, targets, group, per)
            started = time.perf_counter()
            outcome = draw(spec)
            times.append(time.perf_counter() - started)
        print(
            f"pure draw, {INSTITUTIONS} institutions x {SUPERVISORS} supervisors, {label}:"
            f" median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
            f" ({len(outcome.targets)} targets drawn)"
        )


def _filed_institutions(app: OversightApplication, ctx: Context) -> list[UUID]:
    institutions: list[UUID] = []
    for n in range(INSTITUTIONS):
        application = FilingApplication(
            credit_code=make_credit_code(f"91430100MA{n:07d}"),
            name=f"评价机构{n}",
            kind="social_org",
            jurisdiction="hunan",
            district="长沙市",
            address="长沙市",
            scope=[{"occupation": "4-03-02-01", "levels": [3, 4, 5]}],
            test_sites=["考点"],
            legal_representative="法人",
            contact={"name": "联系人", "phone": "0731-0000"},
        )
        iid = app.filing.submit_filing(ctx, application, date(2024, 1, 2))
        app.filing.approve_filing(ctx, iid, date(2024, 1, 3))
        institutions.append(iid)
    return institutions


def _appointed_supervisors(
    app: OversightApplication, ctx: Context, institutions: list[UUID]
) -> None:
    for n in range(SUPERVISORS):
        result = app.supervision.certify_supervisor(
            ctx,
            jurisdiction="hunan",
            district=None,
            kind="external",
            institution=None,
            name=f"督导员{n}",
            subject=f"supervisor.{n}",
            card_number=f"HN-WD-{n:04d}",
            on=date(2024, 1, 5),
        )
        sid = UUID(result["supervisor_id"])
        app.supervision.appoint_supervisor(ctx, sid, date(2024, 1, 6))
        if n % 6 == 0:
            app.supervision.declare_conflict(
                ctx, sid, institution=institutions[n], relation="曾任职", on=date(2024, 2, 1)
            )


def _timed_draw(app: OversightApplication, ctx: Context, round_: int, targets: int) -> str:
    opened = app.campaigns.open_campaign(
        ctx,
        reference=f"BENCH-{round_}",
        title="专项督导",
        jurisdiction="hunan",
        district=None,
        kind="special",
        matters=["考务管理"],
        institution_kinds=[],
        occupations=[],
        supervisor_district=None,
        target_count=targets,
        group_size=3,
        max_targets_per_supervisor=1,
        planned_on=date(2024, 6, 10),
        on=date(2024, 6, 1),
    )
    cid = UUID(opened["campaign_id"])
    started = time.perf_counter()
    app.campaigns.draw_campaign(
        ctx, cid, seed=secrets.token_hex(32), seed_source="generated", on=date(2024, 6, 1)
    )
    drew = time.perf_counter() - started
    started = time.perf_counter()
    check = app.campaigns.verify_campaign(cid)
    verified = time.perf_counter() - started
    return (
        f"draw_campaign {round_ + 1} ({targets} targets x 3, pools loaded"
        f" from the store, {targets} assignments saved): {drew * 1000:.0f} ms;"
        f" verify {verified * 1000:.1f} ms, matches={check.matches}"
    )


def end_to_end(settings: Settings) -> None:
    now = datetime(2024, 6, 1, 2, tzinfo=UTC)
    app = build_application(settings, clock=lambda: now)
    ctx = Context(SYSTEM, "bench")
    started = time.perf_counter()
    _appointed_supervisors(app, ctx, _filed_institutions(app, ctx))
    print(
        f"set-up ({INSTITUTIONS} filings, {SUPERVISORS} supervisors): "
        f"{time.perf_counter() - started:.1f} s"
    )
    for round_, targets in enumerate((20, 20)):
        print(f"{settings.backend}: {_timed_draw(app, ctx, round_, targets)}")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="run the end-to-end part on this store")
    args = parser.parse_args()
    pure_draw()
    if args.database_url:
        end_to_end(Settings(database_url=args.database_url))
        return
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"))


if __name__ == "__main__":
    main()
