"""The store's PostgreSQL recorder keeps the library's commit-order lock.

Notification ids must follow commit order, so that a reader tailing the log never passes an
id that a slower transaction fills in later. The recorder takes the library's own lock
(``LOCK TABLE … IN EXCLUSIVE MODE`` on the events table) inside its insert: an insert waits
while another transaction holds that lock, and processes using the library's recorder and
this one exclude each other.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import psycopg
import pytest
from psycopg import sql

from bootstrap import build_application
from bootstrap.store import CommitOrderRecorder
from config.settings import Settings
from domain.access import Principal
from domain.institution import FilingApplication
from domain.ledger import Context
from tests.api.conftest import code
from tests.conftest import FakeClock

pytestmark = pytest.mark.postgres


def application(n: int) -> FilingApplication:
    return FilingApplication(
        credit_code=code(n),
        name=f"评价机构{n}",
        kind="social_org",
        jurisdiction="chengdu",
        district="锦江区",
        address="成都市锦江区东大街100号",
        scope=[{"occupation": "4-03-02-01", "levels": [3]}],
        test_sites=["东大街考点"],
        legal_representative="王某",
        contact={"name": "李某", "phone": "028-00000000"},
    )


def test_an_insert_waits_for_the_commit_order_lock(pg_settings: Settings) -> None:
    app = build_application(pg_settings, clock=FakeClock(datetime(2024, 3, 1, 2, tzinfo=UTC)))
    assert isinstance(app.store.recorder, CommitOrderRecorder)
    ctx = Context(Principal("admin", "admin"), "r")
    app.filing.submit_filing(ctx, application(1), date(2024, 3, 1))
    events = sql.SQL("{}.{}").format(
        sql.Identifier(pg_settings.database_schema), sql.Identifier("oversight_events")
    )
    done = threading.Event()

    def submit() -> None:
        app.filing.submit_filing(ctx, application(2), date(2024, 3, 1))
        done.set()

    with psycopg.connect(pg_settings.database_url) as holder:
        holder.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events))
        writer = threading.Thread(target=submit)
        writer.start()
        assert not done.wait(1.0), "the insert did not wait for the lock"
        holder.commit()
        assert done.wait(10), "the insert did not go on once the lock was released"
        writer.join()
    ids = [n.id for n in app.store.recorder.select_notifications(start=1, limit=100)]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids)) >= 2
    app.close()
