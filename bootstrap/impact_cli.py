"""``oversight rules impact DRAFT.yaml [--as-of DATE] [--json]``: every institution of the
draft's jurisdiction replayed under the draft, its progress (count, rate, time left) on
stderr as it runs, then the institutions that differ, the events behind each difference,
and the totals by district and by article."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from bootstrap import build_application
from config.settings import Settings
from domain.access import SYSTEM
from domain.commands.impact import Progress, Report, Tick
from domain.draft import DraftError

#: Seconds between two progress lines.
EVERY = 1.0


class ProgressLines:
    """A progress line on ``out`` at most every ``every`` seconds, and one at the end."""

    def __init__(self, out: TextIO, every: float = EVERY) -> None:
        self.out = out
        self.every = every
        self.started = time.perf_counter()
        self.last = self.started

    def __call__(self, report: Report, tick: Tick) -> None:
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            self.line(Progress.of(report.summary, tick, now - self.started))

    def line(self, p: Progress) -> None:
        eta = "—" if p.eta_seconds is None else f"{p.eta_seconds:.0f} s"
        print(
            f"impact: {p.replayed:,} replayed, {p.changed:,} differ, {p.rate:,.0f}/s,"
            f" {p.fraction:.0%} of the store read, {eta} left",
            file=self.out,
            flush=True,
        )

    def done(self, report: Report) -> None:
        seconds = time.perf_counter() - self.started
        s = report.summary
        rate = s.replayed / seconds if seconds > 0 else 0.0
        print(
            f"impact: {s.replayed:,} replayed, {s.changed:,} differ, {rate:,.0f}/s,"
            f" done in {seconds:.1f} s",
            file=self.out,
            flush=True,
        )


def render(report: Report) -> str:
    plan = report.plan
    lines = [
        f"draft {plan.draft.id} v{plan.draft.version} against"
        f" {plan.base.ref if plan.base else '—'}, {plan.jurisdiction}, as of {plan.as_of}:"
        f" {len(report.changes)} change(s)",
    ]
    lines += [f"  {c.kind:<16} {f'{c.subject} {c.parameter}'.rstrip()}" for c in report.changes]
    lines.append(
        f"{report.summary.changed} of {report.summary.replayed} institution(s) differ 受影响机构"
    )
    for impact in report.impacts:
        lines.append(f"* {impact.name} ({impact.district or '—'}) {impact.institution_id}")
        for d in impact.differences:
            events = ", ".join(e.label() for e in d.events) or "—"
            lines += [f"    {d.text_zh}", f"    {d.text_en}", f"      events: {events}"]
    for title, counts in (
        ("by district 按区县", report.summary.by_district),
        ("by article 按条款", report.summary.by_article),
    ):
        lines.append(title)
        lines += [f"  {key:<28} {n}" for key, n in sorted(counts.items())]
    return "\n".join(lines)


def cmd_rules_impact(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.draft)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 1
    app = build_application(settings)
    try:
        try:
            plan = app.impact.plan(SYSTEM, raw, str(path), args.as_of)
        except DraftError as exc:
            for p in exc.problems:
                print(f"{p.file}:{p.line}: {p.field or '(top level)'}: {p.reason}", file=sys.stderr)
            return 1
        progress = ProgressLines(sys.stderr)
        report = app.impact.run(plan, progress)
        progress.done(report)
    finally:
        app.close()
    out: Any = report.as_dict()
    print(
        json.dumps(out, ensure_ascii=False, indent=2, default=str) if args.json else render(report)
    )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("draft", help="the draft rulebook, a YAML file")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="the business date (default: today, or the day the draft takes effect if later)",
    )
    parser.add_argument("--json", action="store_true")
