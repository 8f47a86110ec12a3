"""Notices of deadlines (both backends): the officer and the institution are notified N days
before a deadline, in the service and by e-mail through a real SMTP server on a local port;
each notice is sent once, whether the worker runs twice, two workers run at once, a send
fails, or a worker dies between its claim and its mark."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from bootstrap import build_application
from bootstrap.read_models import build_projections
from config.settings import Settings
from domain.application import OversightApplication
from projections import Projections
from projections.notices import (
    CLAIM_LEASE,
    NoticeBoard,
    institution_recipient,
    key_of,
    notices_of,
)
from tests.conftest import FakeClock
from tests.projections.casework import Casework
from tests.projections.filings import ADMIN
from tests.projections.smtp_sink import Sink, free_port, smtp_sink
from workers.notices import Mailer, run_once

DAYS = {"defence": 3, "rectification": 7, "opinion_report": 7, "expiry": 30, "lapse": 30}
OFFICER_MAIL = "li.wei@hrss.example.cn"
INSTITUTION_MAIL = "office@tianfu.example.cn"


@dataclass
class Desk:
    app: OversightApplication
    board: NoticeBoard
    clock: FakeClock
    iid: object
    case_id: str


def mailer(port: int) -> Mailer:
    return Mailer("127.0.0.1", port, "none", None, None, "oversight@hrss.example.cn", 5)


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def desk(app: OversightApplication, projections: Projections, clock: FakeClock) -> Desk:
    """A case noticed on 2024-04-01 with ten days of defence (deadline 2024-04-11), its
    officer li.wei; both recipients have an address."""
    clock.set("2024-04-01")
    work = Casework.filed(app, 1, jurisdiction="chengdu", name="成都天府职业技能评价中心")
    case_id = work.open_case([work.finding("chengdu-2024/30.11", "2024-03-20")], "2024-03-25")
    work.notice(case_id, "2024-04-01", defence_days=10)
    app.officers.assign_officer(
        ADMIN, work.iid, date(2024, 4, 1), item_kind="case", item_id=case_id, officer="li.wei"
    )
    board = NoticeBoard(projections.store)
    board.set_address("officer:li.wei", OFFICER_MAIL)
    board.set_address(institution_recipient(work.iid), INSTITUTION_MAIL)  # type: ignore[arg-type]
    return Desk(app, board, clock, work.iid, case_id)


def test_notices_go_out_n_days_before_and_the_worker_run_twice_sends_once(
    desk: Desk, sink: tuple[Sink, int]
) -> None:
    messages, port = sink
    desk.clock.set("2024-04-07")  # four days ahead: not yet
    assert run_once(desk.app, desk.board, mailer(port), DAYS)["recorded"] == 0
    assert messages.messages == []

    desk.clock.set("2024-04-08")  # three days ahead
    first = run_once(desk.app, desk.board, mailer(port), DAYS)
    assert (first["recorded"], first["sent"]) == (2, 2)
    assert messages.recipients == sorted([OFFICER_MAIL, INSTITUTION_MAIL])
    _, mail = messages.messages[0]
    assert "2024-04-11" in str(mail["Subject"])
    assert "陈述申辩" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]

    again = run_once(desk.app, desk.board, mailer(port), DAYS)
    assert (again["recorded"], again["sent"]) == (0, 0)
    desk.clock.set("2024-04-10")
    assert run_once(desk.app, desk.board, mailer(port), DAYS)["sent"] == 0
    assert len(messages.messages) == 2
    states = {r["recipient"]: r["email_state"] for r in desk.board.rows()}
    assert set(states.values()) == {"sent"}
    assert desk.board.open_count("officer:li.wei", date(2024, 4, 10)) == 1
    assert desk.board.open_count("officer:li.wei", date(2024, 4, 12)) == 0


def test_two_workers_at_once_send_each_notice_once(
    desk: Desk, settings: Settings, sink: tuple[Sink, int]
) -> None:
    messages, port = sink
    desk.clock.set("2024-04-09")
    other_app = build_application(settings, clock=desk.clock)
    other_views = build_projections(settings, other_app)
    try:
        boards = [(desk.app, desk.board), (other_app, NoticeBoard(other_views.store))]
        start = threading.Barrier(2)
        counts: list[dict[str, int]] = []

        def work(app: OversightApplication, board: NoticeBoard) -> None:
            start.wait()
            counts.append(run_once(app, board, mailer(port), DAYS))

        threads = [threading.Thread(target=work, args=pair) for pair in boards]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        other_views.close()
        other_app.close()
    assert len(counts) == 2, "a worker failed"
    assert sum(c["recorded"] for c in counts) == 2
    assert sum(c["sent"] for c in counts) == 2
    assert len(messages.messages) == 2
    assert len({str(m["Message-ID"]) for _, m in messages.messages}) == 2


def test_a_failed_send_is_tried_again_and_then_sent_once(desk: Desk) -> None:
    desk.clock.set("2024-04-08")
    port = free_port()  # nothing listens there yet
    failed = run_once(desk.app, desk.board, mailer(port), DAYS)
    assert (failed["recorded"], failed["sent"], failed["failed"]) == (2, 0, 2)
    assert {r["email_state"] for r in desk.board.rows()} == {"pending"}
    with smtp_sink(port) as (messages, _):
        desk.clock.advance(minutes=5)
        assert run_once(desk.app, desk.board, mailer(port), DAYS)["sent"] == 2
        assert run_once(desk.app, desk.board, mailer(port), DAYS)["sent"] == 0
    assert len(messages.messages) == 2
    assert {int(r["attempts"]) for r in desk.board.rows()} == {2}


def test_a_claim_left_by_a_dead_worker_is_taken_after_its_lease_and_a_sent_one_never(
    desk: Desk, sink: tuple[Sink, int]
) -> None:
    messages, port = sink
    desk.clock.set("2024-04-08")
    run_once(desk.app, desk.board, None, DAYS)  # recorded; no server configured yet
    dead, alive = desk.board.rows()
    assert desk.board.claim(key_of(dead), "dead-worker", desk.clock()) is not None
    sent = run_once(desk.app, desk.board, mailer(port), DAYS)
    assert sent["sent"] == 1  # the other one; the dead worker's claim still holds
    assert messages.recipients == [alive["email_to"]]
    desk.clock.advance(seconds=CLAIM_LEASE.total_seconds() + 60)
    assert run_once(desk.app, desk.board, mailer(port), DAYS)["sent"] == 1
    desk.clock.advance(days=1)
    assert run_once(desk.app, desk.board, mailer(port), DAYS)["sent"] == 0
    assert messages.recipients == sorted([OFFICER_MAIL, INSTITUTION_MAIL])


def test_without_an_officer_or_an_address_the_notice_is_in_the_service_only(
    app: OversightApplication, projections: Projections, clock: FakeClock
) -> None:
    clock.set("2024-04-01")
    work = Casework.filed(app, 2, jurisdiction="chengdu", name="成都锦江评价中心")
    case_id = work.open_case([work.finding("chengdu-2024/30.11", "2024-03-20")], "2024-03-25")
    work.notice(case_id, "2024-04-01", defence_days=10)
    board = NoticeBoard(projections.store)
    clock.set("2024-04-09")
    assert run_once(app, board, None, DAYS)["recorded"] == 1
    (row,) = board.rows()
    assert row["recipient"] == institution_recipient(work.iid)
    assert row["email_state"] == "no_address"
    (line,) = board.for_recipient(row["recipient"], date(2024, 4, 9))
    assert (line.kind, line.ref, line.due_on, line.days_left) == (
        "defence",
        case_id,
        date(2024, 4, 11),
        2,
    )


def test_after_a_reassignment_the_new_officer_is_notified_too(
    desk: Desk, sink: tuple[Sink, int]
) -> None:
    messages, port = sink
    desk.clock.set("2024-04-08")
    run_once(desk.app, desk.board, mailer(port), DAYS)
    desk.app.officers.assign_officer(
        ADMIN,
        desk.iid,  # type: ignore[arg-type]
        date(2024, 4, 8),
        item_kind="case",
        item_id=desk.case_id,
        officer="zhao.min",
        reason="李伟休假",
    )
    desk.board.set_address("officer:zhao.min", "zhao.min@hrss.example.cn")
    desk.clock.advance(hours=1)
    assert run_once(desk.app, desk.board, mailer(port), DAYS)["sent"] == 1
    assert messages.recipients == sorted(
        [OFFICER_MAIL, INSTITUTION_MAIL, "zhao.min@hrss.example.cn"]
    )
    (line,) = desk.board.for_recipient("officer:zhao.min", date(2024, 4, 8))
    assert (line.kind, line.ref, line.email_state) == ("defence", desk.case_id, "sent")


def test_each_kind_of_deadline_goes_to_the_officer_who_answers_for_it(
    app: OversightApplication, clock: FakeClock
) -> None:
    clock.set("2024-04-30")
    work = Casework.filed(app, 3, jurisdiction="hunan", name="湖南甲中心")
    decision = work.case(
        [work.finding("hunan-2023/26.7", "2024-04-01")], "2024-04-10", decide_on="2024-04-20"
    )
    case_id = work.case_id
    for kind, item, officer in (("file", "", "wang.fang"), ("case", case_id, "li.wei")):
        app.officers.assign_officer(
            ADMIN, work.iid, date(2024, 4, 30), item_kind=kind, item_id=item, officer=officer
        )
    inst = work.institution()
    deadline = inst.decision(decision)["rectification"]["deadline"]

    def due(on: date) -> set[tuple[str, str, str]]:
        return {(n.kind, n.ref, n.recipient) for n in notices_of(app, inst, on, DAYS)}

    here = institution_recipient(work.iid)
    assert due(deadline - timedelta(days=8)) == set()
    assert due(deadline - timedelta(days=7)) == {
        ("rectification", decision, "officer:li.wei"),  # the case's officer
        ("rectification", decision, here),
    }
    assert inst.valid_until is not None
    assert due(inst.valid_until - timedelta(days=30)) >= {
        ("expiry", "", "officer:wang.fang"),  # the file's officer
        ("expiry", "", here),
    }
    assert due(inst.valid_until + timedelta(days=1)) == set()  # passed: no notice
