"""The impact figure: a draft replayed over every institution of a jurisdiction, against
the time to load the same histories (the same one-pass read, every event decoded)."""

from __future__ import annotations

import time

from bootstrap.bench.table import Table
from bootstrap.histories import StoredHistories
from domain.access import Principal
from domain.application import OversightApplication
from domain.rulebook import RULEBOOK_DIR

#: What the draft changes: article 25 of hunan-2023 (the province's findings fall under
#: 25.9) from level 1 to level 2, so the replay finds differences to report.
DRAFT = RULEBOOK_DIR / "hunan-2023" / "v1.yaml"


def draft_text() -> bytes:
    text = DRAFT.read_text(encoding="utf-8")
    head, tail = text.split("  - number: 25\n", 1)
    before, after = tail.split("    level: 1\n", 1)
    return (head + "  - number: 25\n" + before + "    level: 2\n" + after).encode()


def impact_figures(table: Table, app: OversightApplication) -> None:
    plan = app.impact.plan(Principal("bench.admin", "admin"), draft_text(), "bench-draft.yaml")
    source = StoredHistories(app.store)
    started = time.perf_counter()
    loaded = sum(1 for _ in source.institutions(plan.keeps))
    load = time.perf_counter() - started
    started = time.perf_counter()
    report = app.impact.run(plan)
    seconds = time.perf_counter() - started
    if report.summary.replayed != loaded:
        raise RuntimeError(f"replayed {report.summary.replayed} of {loaded} institutions")
    events = app.store.recorder.max_notification_id() or 0
    table.notes.append(
        f"impact: {loaded:,} institutions of {plan.jurisdiction} replayed"
        f" ({report.summary.changed:,} differ) of a store of {events:,} events"
    )
    table.add(f"impact run, {loaded:,} institutions", "s", seconds, load, "≤ 2× the load")
    table.add("  impact run rate", "institutions/s", loaded / seconds if seconds else 0.0)
