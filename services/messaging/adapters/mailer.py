"""Customer e-mails: an outbox in the messaging database and the sender that delivers it.

A consumer that turns an event into a Notification calls `enqueue` in its own transaction, so
the e-mail is queued exactly when the event is handled, and at most once per notification id
(a redelivered event finds its row and adds nothing). `MailSender` delivers due rows by SMTP
and retries failures with capped exponential backoff.

Personal data: the address, subject and body are sealed under the customer's key when queued
(shared/personal), and opened by the sender just before it sends; a mail whose customer was
forgotten is never sent (status 'forgotten'). A visitor's mails (customer `visitor:<inquiry>`)
have no key and stay plain. Log lines name notification ids, never an address or a text.

Addresses: `customer_addresses` holds each customer's e-mail (sealed), written with
`remember_address` by whatever learns it. `enqueue` without an explicit address looks it up
there; a customer with no known address gets a row with a NULL `to_address` and status
'no_address', which the sender never takes (it stays visible to staff and is not sent later
by surprise).

Delivery: the sender claims due rows in a short transaction (`FOR UPDATE SKIP LOCKED`, then a
lease moving `next_attempt_at` ahead), sends outside any transaction and marks each e-mail in
its own short transaction. No transaction stays open during SMTP (an open writer would hold
back the event store's read horizon of this database). A crash between sending and marking
sends that e-mail again once the lease ends, with the same Message-ID (derived from the
notification id), so the duplicate is recognisable."""

from __future__ import annotations

import dataclasses
import logging
import smtplib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from services.messaging.domain.notifications import Notification
from services.messaging.personal import is_visitor
from shared.domain_errors import CustomerForgottenError, ValidationError
from shared.events.clock import Clock, SystemClock
from shared.events.store import EventStore, Row, Transaction
from shared.personal.personal_data import PersonalData
from shared.personal.sealing import FORGOTTEN, is_sealed

log = logging.getLogger(__name__)

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS customer_addresses (
    customer_id text PRIMARY KEY,
    email       text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS mail_outbox (
    notification_id text PRIMARY KEY,
    customer_id     text NOT NULL,
    kind            text NOT NULL,
    to_address      text,
    subject         text NOT NULL,
    body            text NOT NULL,
    -- pending: to be sent (or retried); sent; no_address: never sent, no address was known;
    -- forgotten: never sent, its customer was forgotten (what it held no longer opens)
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'no_address', 'forgotten')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND status = 'pending';
-- Issue 21: an outbox created before 'forgotten' existed gets the wider check, once.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint
        WHERE conrelid = 'mail_outbox'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%forgotten%'
    ) THEN
        ALTER TABLE mail_outbox DROP CONSTRAINT IF EXISTS mail_outbox_status_check;
        ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
            CHECK (status IN ('pending', 'sent', 'no_address', 'forgotten'));
    END IF;
END $$;
"""

_ENQUEUE = """
INSERT INTO mail_outbox
    (notification_id, customer_id, kind, to_address, subject, body, status,
     created_at, next_attempt_at)
SELECT %(id)s, %(customer)s, %(kind)s, a.address, %(subject)s, %(body)s,
       CASE WHEN %(forgotten)s THEN 'forgotten'
            WHEN a.address IS NULL THEN 'no_address' ELSE 'pending' END,
       coalesce(%(at)s::timestamptz, now()), coalesce(%(at)s::timestamptz, now())
FROM (SELECT CASE WHEN %(forgotten)s THEN NULL
                  ELSE coalesce(%(to)s::text, (SELECT email FROM customer_addresses
                                               WHERE customer_id = %(customer)s)) END
             AS address) AS a
ON CONFLICT (notification_id) DO NOTHING
RETURNING 1
"""

_CLAIM = """
WITH due AS (
    SELECT notification_id FROM mail_outbox
    WHERE sent_at IS NULL AND status = 'pending' AND next_attempt_at <= %(now)s
    ORDER BY created_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE mail_outbox AS m SET next_attempt_at = %(until)s
FROM due WHERE m.notification_id = due.notification_id
RETURNING m.notification_id, m.customer_id, m.to_address, m.subject, m.body, m.attempts,
          m.created_at
"""

_MARK_SENT = """
UPDATE mail_outbox
SET sent_at = %(now)s, status = 'sent', attempts = attempts + 1, last_error = NULL
WHERE notification_id = %(id)s AND sent_at IS NULL
"""

_MARK_FAILED = """
UPDATE mail_outbox
SET attempts = attempts + 1, last_error = %(error)s, next_attempt_at = %(next)s
WHERE notification_id = %(id)s AND sent_at IS NULL
"""

_NOT_TO_SEND = """
UPDATE mail_outbox SET status = 'forgotten', next_attempt_at = %(now)s
WHERE notification_id = ANY(%(ids)s) AND sent_at IS NULL
"""

# A forgotten customer's mails: none still waiting is sent, and whatever of them is not
# sealed (queued before sealing) is blanked; sealed values stay, unreadable without the key.
_FORGET_CUSTOMER = """
UPDATE mail_outbox SET
    status = CASE WHEN status = 'sent' THEN 'sent' ELSE 'forgotten' END,
    to_address = CASE WHEN to_address LIKE 'pii1:%%' THEN to_address END,
    subject = CASE WHEN subject LIKE 'pii1:%%' THEN subject ELSE '' END,
    body = CASE WHEN body LIKE 'pii1:%%' THEN body ELSE '' END,
    last_error = NULL
WHERE customer_id = %s
"""

_RELEASE = """
UPDATE mail_outbox SET next_attempt_at = %(now)s
WHERE notification_id = ANY(%(ids)s) AND sent_at IS NULL
"""

BASE_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=15)
_SMTP_ERRORS = (smtplib.SMTPException, OSError)


def checked_address(email: str) -> str:
    """A plausible single e-mail address, stripped; ValidationError otherwise (the address
    itself is not repeated: an error may be logged)."""
    address = email.strip()
    local, at, domain = address.rpartition("@")
    if not (local and at and domain) or any(c.isspace() for c in address) or "," in address:
        raise ValidationError("not an e-mail address: one address, without spaces or commas")
    return address


def remember_address(tx: Transaction, personal: PersonalData, customer_id: str, email: str) -> None:
    """Store (or replace) the e-mail address of a customer, sealed, in the caller's transaction."""
    tx.conn.execute(
        "INSERT INTO customer_addresses (customer_id, email) VALUES (%s, %s) "
        "ON CONFLICT (customer_id) DO UPDATE SET email = excluded.email, updated_at = now()",
        (customer_id, personal.seal(customer_id, checked_address(email))),
    )


def forget_customer_mail(tx: Transaction, customer_id: str) -> None:
    """A forgotten customer: their address is deleted and no mail of theirs will be sent."""
    tx.conn.execute("DELETE FROM customer_addresses WHERE customer_id = %s", (customer_id,))
    tx.conn.execute(_FORGET_CUSTOMER, (customer_id,))


def enqueue(
    tx: Transaction,
    personal: PersonalData,
    notification: Notification,
    to_address: str | None = None,
    *,
    at: datetime | None = None,
) -> bool:
    """Queue a notification's e-mail in the caller's transaction; True when it is new.

    Without `to_address` the customer's remembered address is used; with none known the row
    is kept with status 'no_address' and never sent. Address, subject and body are stored
    sealed under the customer's key (a visitor's plain); a forgotten customer's mail is kept
    empty with status 'forgotten', never sent. `at` (default: the database's now) is when it
    was queued and first due."""
    customer = notification.customer_id
    # An address given sealed was checked where it entered (an inquiry's e-mail).
    to = None
    if to_address is not None:
        to = to_address if is_sealed(to_address) else checked_address(to_address)
    subject = " ".join(notification.subject.split())
    body = notification.body
    forgotten = False
    if not is_visitor(customer):
        try:
            to = None if to is None else personal.seal(customer, to)
            subject, body = personal.seal(customer, subject), personal.seal(customer, body)
        except CustomerForgottenError:
            to, subject, body, forgotten = None, "", "", True
    row = tx.conn.execute(
        _ENQUEUE,
        {
            "id": notification.notification_id,
            "customer": customer,
            "kind": notification.kind,
            "to": to,
            "subject": subject,
            "body": body,
            "at": at,
            "forgotten": forgotten,
        },
    ).fetchone()
    return row is not None


def backoff(failed_attempts: int) -> timedelta:
    """The wait before the next attempt after `failed_attempts` failures (5 s doubling, 15 min)."""
    doublings = min(max(failed_attempts - 1, 0), 20)
    return min(BASE_BACKOFF * (1 << doublings), MAX_BACKOFF)


def message_id(notification_id: str, sender: str) -> str:
    """The Message-ID of a notification's e-mail: the same on every (re)send."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "cnnect.invalid"
    return f"<{notification_id}@{domain}>"


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mails go out, and who they come from."""

    host: str
    port: int
    sender: str
    timeout: float = 10


@dataclass(frozen=True)
class OutgoingMail:
    """A claimed outbox row."""

    notification_id: str
    customer_id: str
    to_address: str
    subject: str
    body: str
    attempts: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> OutgoingMail:
        """The mail of a claimed row (its texts as stored: sealed)."""
        return cls(
            row["notification_id"],
            row["customer_id"],
            row["to_address"],
            row["subject"],
            row["body"],
            row["attempts"],
            row["created_at"],
        )


class MailSender:
    """Delivers due e-mails of the outbox by SMTP; several senders may run side by side."""

    def __init__(
        self,
        store: EventStore,
        settings: SmtpSettings,
        personal: PersonalData,
        clock: Clock | None = None,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.store = store
        self.settings = settings
        self.personal = personal
        self.clock: Clock = clock or SystemClock()
        self.lease = lease

    def send_due(self, limit: int = 50) -> int:
        """Send the e-mails due by the clock's now (at most `limit`); returns how many went."""
        claimed_at = self.clock.now()
        mails = self._opened(self._claim(claimed_at, limit))
        # No new send starts in the second half of the lease: the last one ends before
        # another sender may take the same rows.
        stop_sending_at = claimed_at + self.lease / 2
        sent = 0
        smtp: smtplib.SMTP | None = None
        try:
            for index, mail in enumerate(mails):
                if self.clock.now() >= stop_sending_at:
                    self._release(mails[index:])
                    break
                try:
                    if smtp is None:
                        smtp = self._connect()
                except _SMTP_ERRORS as exc:
                    # The server cannot be reached: every remaining e-mail waits its backoff.
                    for waiting in mails[index:]:
                        self._failed(waiting, exc)
                    break
                try:
                    smtp.send_message(self._message(mail))
                except _SMTP_ERRORS as exc:
                    self._failed(mail, exc)
                    _close(smtp)
                    smtp = None
                    continue
                self._sent(mail)
                sent += 1
        finally:
            if smtp is not None:
                _close(smtp)
        return sent

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Send due e-mails every `interval` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                self.send_due()
            except Exception:
                log.exception("mail sender failed; retrying")
            stop.wait(interval)

    def _claim(self, now: datetime, limit: int) -> list[OutgoingMail]:
        params = {"now": now, "limit": limit, "until": now + self.lease}

        def work(tx: Transaction) -> list[OutgoingMail]:
            rows = tx.conn.execute(_CLAIM, params).fetchall()
            return sorted(
                (OutgoingMail.from_row(row) for row in rows),
                key=lambda m: (m.created_at, m.notification_id),
            )

        # One statement: no transaction around it (FOR UPDATE SKIP LOCKED still keeps two
        # senders apart while it runs, and the lease it writes keeps them apart after).
        return self.store.single(work)

    def _opened(self, mails: list[OutgoingMail]) -> list[OutgoingMail]:
        """The claimed mails with their texts opened (one keyring read for all); a mail whose
        customer was forgotten is marked 'forgotten' and left out: it is never sent."""
        stored = [[m.to_address, m.subject, m.body] for m in mails]
        opened = self.personal.reveal(stored)
        ready, forgotten = [], []
        for mail, before, after in zip(mails, stored, opened, strict=True):
            if any(is_sealed(b) and a == FORGOTTEN for b, a in zip(before, after, strict=True)):
                forgotten.append(mail.notification_id)
            else:
                to_address, subject, body = after
                ready.append(
                    dataclasses.replace(mail, to_address=to_address, subject=subject, body=body)
                )
        if forgotten:
            self._execute(_NOT_TO_SEND, {"now": self.clock.now(), "ids": forgotten})
            log.info("e-mails %s not sent: their customer was forgotten", ", ".join(forgotten))
        return ready

    def _connect(self) -> smtplib.SMTP:
        return smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.settings.timeout)

    def _message(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = mail.to_address
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(self.clock.now())
        message["Message-ID"] = message_id(mail.notification_id, self.settings.sender)
        message.set_content(mail.body)
        return message

    def _sent(self, mail: OutgoingMail) -> None:
        self._execute(_MARK_SENT, {"now": self.clock.now(), "id": mail.notification_id})
        log.info("sent e-mail %s", mail.notification_id)

    def _failed(self, mail: OutgoingMail, exc: BaseException) -> None:
        attempts = mail.attempts + 1
        params = {
            "id": mail.notification_id,
            "error": _error_text(exc, mail.to_address)[:1000],
            "next": self.clock.now() + backoff(attempts),
        }
        self._execute(_MARK_FAILED, params)
        log.warning(
            "e-mail %s not sent (attempt %d): %s", mail.notification_id, attempts, params["error"]
        )

    def _release(self, mails: list[OutgoingMail]) -> None:
        ids = [m.notification_id for m in mails]
        self._execute(_RELEASE, {"now": self.clock.now(), "ids": ids})

    def _execute(self, sql: str, params: Mapping[str, Any]) -> None:
        """One statement, committed on its own (retried on transient errors)."""

        def work(tx: Transaction) -> None:
            tx.conn.execute(sql, params)

        self.store.single(work)


def _error_text(exc: BaseException, address: str) -> str:
    """What went wrong, without the address (a refused recipient names it): the error is
    stored in the outbox and logged, neither of which may hold an address in clear."""
    text = f"{type(exc).__name__}: {exc}"
    return text.replace(address, "<recipient>") if address else text


def _close(smtp: smtplib.SMTP) -> None:
    """End an SMTP session politely, or just drop it if the server is gone."""
    try:
        smtp.quit()
    except _SMTP_ERRORS:
        smtp.close()
