"""The impact figure: a draft replayed over every institution of a jurisdiction, against
the time to load the same histories (the same one-pass read, every event decoded).

At the province's size it runs on the province. With ``--impact-institutions N`` it runs
on a store of its own holding N institutions: the province's institutions' stored events
copied again and again under new ids (``COPY``, as they are: their state holds no id, so
each copy decodes as an institution of its own), since generating N through the commands
takes far longer than the figure measures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import groupby
from uuid import NAMESPACE_URL, uuid5

import psycopg
from psycopg import sql

from bootstrap.bench.table import Table
from bootstrap.histories import SUBMITTED, StoredHistories
from config.settings import Settings
from domain.access import Principal
from domain.application import OversightApplication
from domain.rulebook import published_file

#: What the draft changes: article 25 of hunan-2023 (the province's findings fall under
#: 25.9) from level 1 to level 2, so the replay finds differences to report.
DRAFT = published_file("hunan-2023")
COPIES = uuid5(NAMESPACE_URL, "skills-oversight:bench-impact")


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
        f" ({report.summary.changed:,} differ) in a store of {events:,} events"
    )
    table.add(f"impact run, {loaded:,} institutions", "s", seconds, load, "≤ 2× the load")
    table.add("  impact run rate", "institutions/s", loaded / seconds if seconds else 0.0)


def replicate(
    source: OversightApplication, settings: Settings, count: int, say: Callable[[str], None]
) -> int:
    """``count`` institutions in the (empty) store of ``settings``, each a copy of one of the
    province's under an id of its own; the number of events written."""
    groups: list[list[tuple[int, str, bytes]]] = []
    for _, rows in groupby(StoredHistories(source.store).rows(), key=lambda r: r[0]):
        events = [(version, topic, bytes(state)) for _, version, topic, state in rows]
        if events[0][1] == SUBMITTED:
            groups.append(events)
    if not groups:
        raise RuntimeError("the province holds no institution to copy")
    table = sql.Identifier(settings.database_schema, "oversight_events")
    target = sql.SQL(
        "COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
    ).format(table)
    written = 0
    with psycopg.connect(settings.database_url) as conn, conn.cursor() as cursor:
        with cursor.copy(target) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for n in range(count):
                originator = uuid5(COPIES, str(n))
                for version, topic, state in groups[n % len(groups)]:
                    copy.write_row((originator, version, topic, state))
                    written += 1
                if (n + 1) % 10_000 == 0:
                    say(f"copied {n + 1:,} institutions, {written:,} events")
        conn.execute(sql.SQL("ANALYZE {}").format(table))
    return written
