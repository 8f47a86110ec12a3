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
from domain.commands.impact import Progress, ProgressMeter, Report
from domain.draft import DraftError

#: Seconds between two progress lines.
EVERY = 1.0


def progress_line(p: Progress) -> str:
    eta = "—" if p.eta_seconds is None else f"{p.eta_seconds:.0f} s"
    return (
        f"impact: {p.replayed:,} replayed, {p.changed:,} differ, {p.rate:,.0f}/s,"
        f" {p.fraction:.0%} of the store read, {eta} left"
    )


def done_line(p: Progress, seconds: float) -> str:
    return (
        f"impact: {p.replayed:,} replayed, {p.changed:,} differ, {p.rate:,.0f}/s,"
        f" done in {seconds:.1f} s"
    )


def progress_lines(out: TextIO, every: float = EVERY) -> ProgressMeter:
    """A progress line on ``out`` at most every ``every`` seconds."""
    return ProgressMeter(
        time.perf_counter, every, lambda p: print(progress_line(p), file=out, flush=True)
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
        meter = progress_lines(sys.stderr)
        report = app.impact.run(plan, meter)
        print(done_line(meter.final(report), meter.stop()), file=sys.stderr, flush=True)
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
