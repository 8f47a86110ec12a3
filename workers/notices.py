"""The notice worker: records the notices of deadlines falling due and e-mails each once.

A pass reads the business date of the application's (injected) clock, records every
notice due (:func:`projections.notices.due_notices`; the board keeps one per deadline,
kind and recipient, so a second pass or a second worker records nothing new), then sends
the e-mails waiting, each claimed first so that of two workers only one sends it, and
marked sent after the SMTP server accepted it. A failed send is tried again on a later
pass. How the board makes this exactly once, and the one case that is not: see
:mod:`projections.notices`.
"""

from __future__ import annotations

import signal
import smtplib
import ssl
import threading
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from hashlib import sha256
from types import FrameType

from config.logging import get_logger
from config.settings import Settings
from domain.application import OversightApplication
from projections.deadlines import DueIndex
from projections.notices import NoticeBoard, due_notices, key_of
from projections.store import Row

log = get_logger("workers.notices")

KIND_TEXT = {
    "defence": ("陈述申辩期限", "the defence period"),
    "rectification": ("整改期限", "the rectification deadline"),
    "opinion_report": ("督导意见书要求的整改报告期限", "the report the opinion letter requires"),
    "expiry": ("备案有效期届满（请及时申请延续）", "the filing's expiry (apply for renewal)"),
    "lapse": ("备案失效", "the lapse of the filing"),
}


@dataclass(frozen=True)
class Mailer:
    """Sends one message through the configured SMTP server."""

    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def of(cls, settings: Settings) -> Mailer | None:
        """The settings' SMTP server; None when none is configured."""
        if not settings.smtp_host:
            return None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=password,
            sender=settings.smtp_from,
            timeout=settings.smtp_timeout,
        )

    def send(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self.security == "tls":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def message_of(row: Row, sender: str) -> EmailMessage:
    """The e-mail of one notice, in Chinese and English; its Message-ID is the notice's."""
    zh, en = KIND_TEXT.get(row["kind"], (row["kind"], row["kind"]))
    due = row["due_on"].isoformat()
    name = row["institution_name"]
    ref = f"（{row['ref']}）" if row["ref"] else ""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["email_to"]
    message["Subject"] = f"【到期提醒】{name}：{zh}{ref} {due} / Due {due}: {en}"
    digest = sha256("|".join(key_of(row)).encode()).hexdigest()[:32]
    message["Message-ID"] = f"<notice-{digest}@skills-oversight>"
    message["Date"] = format_datetime(row["recorded_at"])
    message.set_content(
        f"{name}{ref}的{zh}为 {due}，请在期限前办理。\n\n"
        f"{en.capitalize()} of {name} {row['ref'] or ''} falls due on {due}.\n"
        f"Institution: /institutions/{row['institution_id']}\n"
    )
    return message


def run_once(
    app: OversightApplication,
    board: NoticeBoard,
    mailer: Mailer | None,
    notice_days: dict[str, int],
    *,
    worker: str | None = None,
    index: DueIndex | None = None,
) -> dict[str, int]:
    """One pass: the notices recorded and the e-mails sent, failed and skipped. With
    ``index``, only the institutions it has a deadline in notice for are read."""
    worker = worker or uuid.uuid4().hex
    today = app.ledger.today()
    ids = None if index is None else index.to_notice(today, notice_days)
    due = list(due_notices(app, today, notice_days, ids))
    recorded = board.record(due, today, app.ledger.clock())
    counts = {"recorded": recorded, "sent": 0, "failed": 0, "taken": 0}
    if mailer is None:
        return counts
    for waiting in board.waiting(app.ledger.clock()):
        key = key_of(waiting)
        row = board.claim(key, worker, app.ledger.clock())
        if row is None:
            counts["taken"] += 1  # another worker has it, or sent it meanwhile
            continue
        try:
            mailer.send(message_of(row, mailer.sender))
        except (OSError, smtplib.SMTPException) as exc:
            board.release(key, worker, f"{type(exc).__name__}: {exc}", int(row["attempts"]))
            counts["failed"] += 1
            log.warning("notice.failed", kind=row["kind"], error=type(exc).__name__)
            continue
        board.mark_sent(key, worker, app.ledger.clock())
        counts["sent"] += 1
        log.info("notice.sent", kind=row["kind"], institution_id=str(row["institution_id"]))
    return counts


def run(
    app: OversightApplication,
    board: NoticeBoard,
    settings: Settings,
    stop: threading.Event,
    index: DueIndex | None = None,
) -> None:
    mailer, days = Mailer.of(settings), settings.notice_days()
    while not stop.is_set():
        try:
            run_once(app, board, mailer, days, index=index)
        except Exception:  # a pass that fails is logged and tried again
            log.exception("notices.pass_failed")
        stop.wait(settings.notice_interval)


def main(
    app: OversightApplication,
    board: NoticeBoard,
    settings: Settings,
    *,
    once: bool,
    index: DueIndex | None = None,
) -> None:
    """The worker process: one pass, or passes until SIGTERM or SIGINT."""
    if once:
        counts = run_once(app, board, Mailer.of(settings), settings.notice_days(), index=index)
        log.info("notices.pass", **counts)
        return
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("notices.stopping", signal=signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(app, board, settings, stop, index)
