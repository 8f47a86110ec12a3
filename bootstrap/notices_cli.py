"""``oversight notices …`` and ``oversight worker notices``: the notice board from the
command line (recipients' addresses, what was noticed) and the notice worker process."""

from __future__ import annotations

import argparse
import re
from uuid import UUID

from bootstrap import build_application
from bootstrap.collector import started_collector
from bootstrap.read_models import build_projections
from config.logging import configure_logging
from config.settings import Settings
from domain.errors import InvalidInput
from projections.deadlines import DueIndex
from projections.notices import NoticeBoard
from workers import notices as notice_worker

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_notice_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    notices = sub.add_parser("notices", help="notices of deadlines: addresses and what was sent")
    nsub = notices.add_subparsers(dest="action", required=True)
    address = nsub.add_parser("address", help="the e-mail address of a recipient")
    address.add_argument("recipient", help="officer:<token subject> or institution:<record id>")
    address.add_argument("email")
    listing = nsub.add_parser("list", help="every notice recorded, with its e-mail's state")
    listing.add_argument("--recipient", default=None)


def recipient_of(value: str) -> str:
    kind, _, name = value.partition(":")
    if kind == "officer" and name.strip():
        return f"officer:{name.strip()}"
    if kind == "institution":
        try:
            return f"institution:{UUID(name)}"
        except ValueError:
            pass
    raise InvalidInput(
        "a recipient is officer:<token subject> or institution:<record id>", field="recipient"
    )


def cmd_notices(args: argparse.Namespace, settings: Settings) -> int:
    app = build_application(settings)
    projections = build_projections(settings, app)
    try:
        board = NoticeBoard(projections.store)
        if args.action == "address":
            if not _EMAIL.match(args.email):
                raise InvalidInput(f"{args.email!r} is not an e-mail address", field="email")
            board.set_address(recipient_of(args.recipient), args.email)
            return 0
        recipient = recipient_of(args.recipient) if args.recipient else None
        for row in board.rows(recipient):
            print(
                f"{row['due_on']}\t{row['kind']}\t{row['ref'] or '-'}\t{row['institution_name']}"
                f"\t{row['recipient']}\t{row['email_state']}\t{row['email_to'] or '-'}"
            )
        return 0
    finally:
        projections.close()
        app.close()


def notice_worker_process(settings: Settings, *, once: bool) -> None:
    """``oversight worker notices``: notices recorded and e-mailed until SIGTERM."""
    configure_logging(settings.log_format, settings.log_level)
    app = build_application(settings)
    projections = build_projections(settings, app)
    started_collector()
    try:
        board = NoticeBoard(projections.store)
        notice_worker.main(app, board, settings, once=once, index=DueIndex(projections))
    finally:
        projections.close()
        app.close()
