"""Notices of deadlines: which are due, the board that records each once, and its reads.

A notice tells a recipient that a deadline falls due in a few days: the officer in charge
of the item (``officer:<subject>``) and the institution (``institution:<id>``). The
deadlines are those the institution's portal lists (:func:`projections.portal.deadlines_of`):
the defence period of a notice, a rectification deadline, the report an opinion letter
requires, the expiry of the filing (renew before it) and its lapse. Each kind goes out
``notice_days[kind]`` days ahead (from the settings).

The board (tables ``notices`` and ``notice_addresses``, kept beside the read models but
never rebuilt: they are not derived from the events, and a rebuild would send everything
again) holds one row per ``(deadline_id, kind, recipient)``:

- **recorded once**: a pass inserts each notice due with ``ON CONFLICT DO NOTHING``, so a
  second pass, or a second worker at the same time, records nothing new. The row is the
  in-app notice at once;
- **e-mailed once**: its ``email_state`` is ``pending`` (an address is known), or
  ``no_address``. A sender *claims* a pending row (one ``UPDATE … WHERE email_state =
  'pending' … RETURNING``: of two workers one gets it), sends, and marks it ``sent``; a
  failed send puts it back to ``pending`` (``failed`` after ``MAX_ATTEMPTS``). A claim whose
  worker died before marking it is taken again after ``CLAIM_LEASE``: only then can a
  message the server had accepted go out a second time, and it carries the same
  ``Message-ID``. A row marked ``sent`` is never sent again.

A deadline's id names the institution, the kind, what it concerns and the date, so a new
date (a renewed filing's expiry) is a new deadline with notices of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.application import OversightApplication
from domain.deciders.officers import officer_in_charge
from domain.events import FilingSubmitted
from domain.institution import Institution
from projections.portal import deadlines_of
from projections.store import Column, Index, Row, Table, ViewSession, ViewStore

NOTICES = Table(
    name="notices",
    columns=(
        Column("deadline_id", nullable=False),
        #: defence | rectification | opinion_report | expiry | lapse
        Column("kind", nullable=False),
        #: officer:<subject> | institution:<id>
        Column("recipient", nullable=False),
        Column("institution_id", "uuid", nullable=False),
        Column("institution_name", nullable=False),
        #: What it concerns: a case, a decision, a visit; empty for the filing's dates.
        Column("ref", nullable=False),
        Column("due_on", "date", nullable=False),
        #: The business date the notice was recorded on.
        Column("noticed_on", "date", nullable=False),
        Column("recorded_at", "timestamp", nullable=False),
        #: pending | sending | sent | failed | no_address
        Column("email_state", nullable=False),
        Column("email_to"),
        Column("attempts", "int", nullable=False),
        Column("claimed_by"),
        Column("claimed_at", "timestamp"),
        Column("sent_at", "timestamp"),
        Column("last_error"),
    ),
    primary_key=("deadline_id", "kind", "recipient"),
    indexes=(
        Index("notices_by_recipient", ("recipient", "due_on")),
        Index("notices_by_email_state", ("email_state", "claimed_at")),
    ),
)

ADDRESSES = Table(
    name="notice_addresses",
    columns=(Column("recipient", nullable=False), Column("email", nullable=False)),
    primary_key=("recipient",),
)

TABLES = (NOTICES, ADDRESSES)

#: The states of a notice's e-mail.
EMAIL_STATES = ("pending", "sending", "sent", "failed", "no_address")

#: The item whose officer answers for each kind of deadline ("file": the file's officer).
ITEM_OF_DEADLINE = {
    "defence": "case",
    "rectification": "rectification",
    "opinion_report": "file",
    "expiry": "file",
    "lapse": "file",
}

#: The lock every write to the board takes first (one writer at a time; on SQLite the
#: write lock before anything is read).
LOCK = "notices"
#: A claim older than this is taken to be a worker that died while sending.
CLAIM_LEASE = timedelta(minutes=10)
#: Sends tried before a notice's e-mail is given up (``failed``).
MAX_ATTEMPTS = 5


def officer_recipient(subject: str) -> str:
    return f"officer:{subject}"


def institution_recipient(institution_id: UUID) -> str:
    return f"institution:{institution_id}"


@dataclass(frozen=True)
class Notice:
    deadline_id: str
    kind: str
    recipient: str
    institution_id: UUID
    institution_name: str
    ref: str
    due_on: date


# --- which notices are due --------------------------------------------------------------


def due_notices(
    app: OversightApplication,
    today: date,
    notice_days: dict[str, int],
    institutions: Iterable[UUID] | None = None,
) -> Iterator[Notice]:
    """The notices due by ``today``: each deadline of a kind in ``notice_days`` that falls
    within that many days (and has not passed), to its officer (if any) and institution.
    Of ``institutions`` (those the deadlines read model has such a deadline for), or of
    every filed institution."""
    ids = app.ledger.originators(FilingSubmitted) if institutions is None else institutions
    for iid in ids:
        inst = app.ledger.get(Institution, iid)
        yield from notices_of(app, inst, today, notice_days)


def notices_of(
    app: OversightApplication, inst: Institution, today: date, notice_days: dict[str, int]
) -> Iterator[Notice]:
    for deadline in deadlines_of(app, inst, today):
        days = notice_days.get(deadline.kind)
        if days is None or not 0 <= deadline.days_left <= days:
            continue
        deadline_id = f"{inst.id}:{deadline.kind}:{deadline.ref}:{deadline.due.isoformat()}"
        recipients = [institution_recipient(inst.id)]
        item_kind = ITEM_OF_DEADLINE[deadline.kind]
        item_id = "" if item_kind == "file" else deadline.ref
        officer = officer_in_charge(inst.state, item_kind, item_id)
        if officer is not None:
            recipients.insert(0, officer_recipient(officer))
        for recipient in recipients:
            yield Notice(
                deadline_id,
                deadline.kind,
                recipient,
                inst.id,
                inst.name,
                deadline.ref,
                deadline.due,
            )


# --- the board --------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeLine:
    """A notice as its recipient reads it."""

    kind: str
    institution_id: UUID
    institution_name: str
    ref: str
    due_on: date
    noticed_on: date
    email_state: str
    #: Days from the reader's today to ``due_on`` (negative once passed).
    days_left: int

    @property
    def passed(self) -> bool:
        return self.days_left < 0


Key = tuple[str, str, str]


def key_of(row: Row) -> Key:
    return (row["deadline_id"], row["kind"], row["recipient"])


class NoticeBoard:
    """The notices recorded, their e-mails' states, and the recipients' addresses."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store
        self.dialect = store.dialect
        self.notices = store.dialect.table(NOTICES.name)
        self.addresses = store.dialect.table(ADDRESSES.name)

    def _sql(self, text: str) -> str:
        return self.dialect.sql(text)

    # --- addresses ------------------------------------------------------------------------

    def set_address(self, recipient: str, email: str) -> None:
        with self.store.transaction() as session:
            session.upsert(ADDRESSES, [{"recipient": recipient, "email": email}])

    def address(self, session: ViewSession, recipient: str) -> str | None:
        rows = session.rows(
            self._sql(f"SELECT email FROM {self.addresses} WHERE recipient = :recipient"),
            {"recipient": recipient},
        )
        return str(rows[0]["email"]) if rows else None

    # --- recording ------------------------------------------------------------------------

    def record(self, notices: Sequence[Notice], today: date, at: datetime) -> int:
        """Record the notices not yet recorded; how many were new."""
        columns = [c.name for c in NOTICES.columns]
        statement = self._sql(
            f"INSERT INTO {self.notices} ({', '.join(columns)})"
            f" VALUES ({', '.join(':' + c for c in columns)})"
            " ON CONFLICT (deadline_id, kind, recipient) DO NOTHING RETURNING deadline_id"
        )
        new = 0
        with self.store.transaction() as session:
            session.lock(LOCK)
            for notice in notices:
                email = self.address(session, notice.recipient)
                row: dict[str, Any] = {
                    "deadline_id": notice.deadline_id,
                    "kind": notice.kind,
                    "recipient": notice.recipient,
                    "institution_id": notice.institution_id,
                    "institution_name": notice.institution_name,
                    "ref": notice.ref,
                    "due_on": notice.due_on,
                    "noticed_on": today,
                    "recorded_at": at,
                    "email_state": "pending" if email else "no_address",
                    "email_to": email,
                    "attempts": 0,
                    "claimed_by": None,
                    "claimed_at": None,
                    "sent_at": None,
                    "last_error": None,
                }
                new += len(session.rows(statement, row))
        return new

    # --- sending --------------------------------------------------------------------------

    def waiting(self, at: datetime, limit: int = 100) -> list[Row]:
        """Notices whose e-mail may be claimed now: pending, or claimed by a worker whose
        lease ran out."""
        with self.store.reading() as session:
            return session.rows(
                self._sql(
                    f"SELECT * FROM {self.notices} WHERE email_state = 'pending'"
                    " OR (email_state = 'sending' AND claimed_at < :stale)"
                    " ORDER BY recorded_at, deadline_id, kind, recipient LIMIT :limit"
                ),
                {"stale": at - CLAIM_LEASE, "limit": limit},
                NOTICES,
            )

    def claim(self, key: Key, worker: str, at: datetime) -> Row | None:
        """Take the notice's e-mail for ``worker``; None if another has it or it was sent."""
        with self.store.transaction() as session:
            session.lock(LOCK)
            rows = session.rows(
                self._sql(
                    f"UPDATE {self.notices} SET email_state = 'sending', claimed_by = :worker,"
                    " claimed_at = :at, attempts = attempts + 1"
                    " WHERE deadline_id = :deadline_id AND kind = :kind AND recipient = :recipient"
                    " AND (email_state = 'pending'"
                    " OR (email_state = 'sending' AND claimed_at < :stale)) RETURNING *"
                ),
                {**_key(key), "worker": worker, "at": at, "stale": at - CLAIM_LEASE},
                NOTICES,
            )
        return rows[0] if rows else None

    def mark_sent(self, key: Key, worker: str, at: datetime) -> None:
        self._finish(key, worker, "sent", sent_at=at, last_error=None)

    def release(self, key: Key, worker: str, error: str, attempts: int) -> None:
        """A failed send: pending again, or ``failed`` once it was tried ``MAX_ATTEMPTS``."""
        state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        self._finish(key, worker, state, sent_at=None, last_error=error[:500])

    def _finish(
        self, key: Key, worker: str, state: str, *, sent_at: datetime | None, last_error: str | None
    ) -> None:
        with self.store.transaction() as session:
            session.lock(LOCK)
            session.execute(
                self._sql(
                    f"UPDATE {self.notices} SET email_state = :state, sent_at = :sent_at,"
                    " last_error = :last_error, claimed_by = NULL"
                    " WHERE deadline_id = :deadline_id AND kind = :kind AND recipient = :recipient"
                    " AND claimed_by = :worker"
                ),
                {
                    **_key(key),
                    "state": state,
                    "sent_at": sent_at,
                    "last_error": last_error,
                    "worker": worker,
                },
            )

    # --- reading --------------------------------------------------------------------------

    def rows(self, recipient: str | None = None) -> list[Row]:
        """Every notice (of one recipient), oldest recorded first."""
        where = "" if recipient is None else " WHERE recipient = :recipient"
        with self.store.reading() as session:
            return session.rows(
                self._sql(
                    f"SELECT * FROM {self.notices}{where}"
                    " ORDER BY recorded_at, deadline_id, kind, recipient"
                ),
                {"recipient": recipient} if recipient is not None else {},
                NOTICES,
            )

    def for_recipient(self, recipient: str, today: date, limit: int = 200) -> list[NoticeLine]:
        """A recipient's notices, soonest deadline first, those passed last."""
        with self.store.reading() as session:
            rows = session.rows(
                self._sql(
                    f"SELECT * FROM {self.notices} WHERE recipient = :recipient"
                    " ORDER BY (due_on < :today), due_on, deadline_id, kind LIMIT :limit"
                ),
                {"recipient": recipient, "today": today, "limit": limit},
                NOTICES,
            )
        return [
            NoticeLine(
                kind=r["kind"],
                institution_id=r["institution_id"],
                institution_name=r["institution_name"],
                ref=r["ref"],
                due_on=r["due_on"],
                noticed_on=r["noticed_on"],
                email_state=r["email_state"],
                days_left=(r["due_on"] - today).days,
            )
            for r in rows
        ]

    def open_count(self, recipient: str, today: date) -> int:
        """How many of a recipient's notices are of deadlines not yet passed (the badge)."""
        with self.store.reading() as session:
            rows = session.rows(
                self._sql(
                    f"SELECT COUNT(*) AS n FROM {self.notices}"
                    " WHERE recipient = :recipient AND due_on >= :today"
                ),
                {"recipient": recipient, "today": today},
            )
        return int(rows[0]["n"])


def _key(key: Key) -> dict[str, str]:
    deadline_id, kind, recipient = key
    return {"deadline_id": deadline_id, "kind": kind, "recipient": recipient}
