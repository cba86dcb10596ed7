"""Customer e-mails: the outbox in PostgreSQL, delivery to a real SMTP server (the texts per
event are services/messaging/tests/test_notifications.py's)."""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Iterator
from datetime import timedelta
from unittest.mock import patch
from uuid import uuid4

import pytest

from services.messaging.adapters.mailer import (
    OUTBOX_SCHEMA,
    MailSender,
    SmtpSettings,
    enqueue,
    message_id,
    remember_address,
)
from services.messaging.domain.notifications import Notification, staff_reply
from services.messaging.tests.test_notifications import CUSTOMER, billing_issued
from shared.domain_errors import ValidationError
from shared.events.clock import ManualClock
from shared.events.database import migrate
from shared.events.store import EventStore, Row, Transaction
from shared.personal.keyring import MemoryKeyring
from shared.personal.personal_data import PersonalData
from tests.support.smtp_server import SmtpTestServer

SENDER = "CNNECT <noreply@cnnect.example>"
ADDRESS = "alice@example.org"
# The customers' keys of this module's tests (the outbox holds their mails sealed).
PERSONAL = PersonalData(MemoryKeyring())


@pytest.fixture
def outbox(store: EventStore, database_url: str) -> EventStore:
    """The test's event store, with the mail tables."""
    migrate(database_url, OUTBOX_SCHEMA)
    return store


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    server.start()
    yield server
    server.stop()


def settings(server: SmtpTestServer) -> SmtpSettings:
    """Settings pointing at the test server, with a short timeout."""
    return SmtpSettings(server.host, server.port, SENDER, timeout=5)


def queue(store: EventStore, clock: ManualClock, n: Notification, to: str | None = ADDRESS) -> bool:
    """Enqueue in a transaction of its own, at the clock's now."""
    return store.transact(lambda tx: enqueue(tx, PERSONAL, n, to, at=clock.now()))


def row(store: EventStore, notification_id: str) -> Row:
    """The outbox row of a notification."""

    def work(tx: Transaction) -> Row:
        found = tx.conn.execute(
            "SELECT * FROM mail_outbox WHERE notification_id = %s", (notification_id,)
        ).fetchone()
        assert found is not None
        return found

    return store.transact(work)


def test_a_billing_is_mailed_once_with_the_amount_and_the_pay_link(
    outbox: EventStore, smtp: SmtpTestServer
) -> None:
    clock = ManualClock()
    n = billing_issued()
    sender = MailSender(outbox, settings(smtp), PERSONAL, clock)
    assert queue(outbox, clock, n) is True

    assert sender.send_due() == 1
    assert sender.send_due() == 0

    [mail] = smtp.messages
    assert mail.rcpt_tos == (ADDRESS,)
    assert mail.mail_from == "noreply@cnnect.example"
    assert mail.message["To"] == ADDRESS
    assert mail.subject == "Order ord-7f3a: please pay 13.95 EUR"
    assert "13.95 EUR" in mail.body
    assert "https://cnnect.example/billings/bil-1/pay" in mail.body
    assert mail.message_id == message_id(n.notification_id, SENDER)
    assert mail.message_id == f"<{n.notification_id}@cnnect.example>"
    stored = row(outbox, n.notification_id)
    assert (stored["status"], stored["sent_at"], stored["attempts"]) == ("sent", clock.now(), 1)


def test_the_same_event_enqueued_twice_sends_one_email(
    outbox: EventStore, smtp: SmtpTestServer
) -> None:
    clock = ManualClock()
    sender = MailSender(outbox, settings(smtp), PERSONAL, clock)
    assert queue(outbox, clock, billing_issued("evt-7")) is True
    assert queue(outbox, clock, billing_issued("evt-7")) is False  # redelivered event
    assert sender.send_due() == 1
    assert queue(outbox, clock, billing_issued("evt-7")) is False  # redelivered after sending
    clock.advance(timedelta(hours=1))
    assert sender.send_due() == 0
    assert len(smtp.messages) == 1


def test_with_the_server_down_the_mail_waits_and_goes_exactly_once_when_it_is_back(
    outbox: EventStore, smtp: SmtpTestServer
) -> None:
    clock = ManualClock()
    n = billing_issued()
    sender = MailSender(outbox, settings(smtp), PERSONAL, clock)
    queue(outbox, clock, n)
    smtp.stop()

    assert sender.send_due() == 0
    failed = row(outbox, n.notification_id)
    assert failed["sent_at"] is None
    assert failed["status"] == "pending"
    assert failed["attempts"] == 1
    assert "Connection refused" in failed["last_error"]
    assert failed["next_attempt_at"] == clock.now() + timedelta(seconds=5)

    clock.advance(timedelta(seconds=5))
    assert sender.send_due() == 0  # still down: the wait doubles
    again = row(outbox, n.notification_id)
    assert again["attempts"] == 2
    assert again["next_attempt_at"] == clock.now() + timedelta(seconds=10)

    smtp.start()  # back, on the same port
    clock.advance(timedelta(seconds=9))
    assert sender.send_due() == 0  # not due yet
    assert smtp.messages == []
    clock.advance(timedelta(seconds=1))
    assert sender.send_due() == 1
    clock.advance(timedelta(hours=1))
    assert sender.send_due() == 0

    [mail] = smtp.messages
    assert mail.message_id == message_id(n.notification_id, SENDER)
    sent = row(outbox, n.notification_id)
    assert (sent["status"], sent["attempts"], sent["last_error"]) == ("sent", 3, None)


def test_the_remembered_address_is_used_and_a_customer_without_one_gets_no_mail(
    outbox: EventStore, smtp: SmtpTestServer
) -> None:
    clock = ManualClock()
    sender = MailSender(outbox, settings(smtp), PERSONAL, clock)
    outbox.transact(lambda tx: remember_address(tx, PERSONAL, CUSTOMER, " bob@example.org "))
    known = billing_issued("evt-a")
    unknown = staff_reply("msg-b", "ord-9", "cus-nobody", "Hello")
    assert queue(outbox, clock, known, to=None) is True
    assert queue(outbox, clock, unknown, to=None) is True

    assert sender.send_due() == 1
    assert [m.rcpt_tos for m in smtp.messages] == [("bob@example.org",)]
    skipped = row(outbox, unknown.notification_id)
    assert (skipped["status"], skipped["to_address"], skipped["attempts"]) == (
        "no_address",
        None,
        0,
    )
    with pytest.raises(ValidationError):
        outbox.transact(
            lambda tx: remember_address(tx, PERSONAL, CUSTOMER, "bob@example.org\r\nBcc: x@y")
        )


def test_a_mail_sent_but_not_marked_goes_again_after_the_lease_with_the_same_message_id(
    outbox: EventStore, smtp: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    n = billing_issued()
    crashing = MailSender(outbox, settings(smtp), PERSONAL, clock, lease=timedelta(minutes=5))
    queue(outbox, clock, n)

    def crash(mail: object) -> None:
        raise RuntimeError("killed between send and commit")

    monkeypatch.setattr(crashing, "_sent", crash)
    with pytest.raises(RuntimeError):
        crashing.send_due()

    sender = MailSender(outbox, settings(smtp), PERSONAL, clock)
    assert sender.send_due() == 0  # claimed by the crashed sender until its lease ends
    clock.advance(timedelta(minutes=5))
    assert sender.send_due() == 1
    first, second = smtp.messages
    assert first.message_id == second.message_id == message_id(n.notification_id, SENDER)


def test_competing_senders_send_each_mail_once(outbox: EventStore, smtp: SmtpTestServer) -> None:
    clock = ManualClock()
    notifications = [billing_issued(str(uuid4())) for _ in range(30)]
    for n in notifications:
        queue(outbox, clock, n)
    senders = [MailSender(outbox, settings(smtp), PERSONAL, clock) for _ in range(3)]
    counts: list[int] = []

    def drain(sender: MailSender) -> None:
        total = 0
        while (sent := sender.send_due(limit=4)) > 0:
            total += sent
        counts.append(total)

    threads = [threading.Thread(target=drain, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 30
    ids = sorted(m.message_id for m in smtp.messages)
    assert ids == sorted(message_id(n.notification_id, SENDER) for n in notifications)


def test_run_delivers_until_stopped(outbox: EventStore, smtp: SmtpTestServer) -> None:
    clock = ManualClock()
    queue(outbox, clock, billing_issued())
    stop = threading.Event()
    runner = threading.Thread(
        target=MailSender(outbox, settings(smtp), PERSONAL, clock).run, args=(stop, 0.05)
    )
    runner.start()
    try:
        for _ in range(200):
            if smtp.messages:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
    assert len(smtp.messages) == 1


def _our_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the services logged (the test SMTP server logs every line it receives)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("services."))


def test_a_mail_is_stored_sealed_and_its_address_never_logged(
    outbox: EventStore, smtp: SmtpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    n = staff_reply("msg-sealed", "ord-9", CUSTOMER, "Dear Alice Smith, it ships Monday.")
    queue(outbox, clock, n)
    stored = row(outbox, n.notification_id)
    assert all(stored[c].startswith("pii1:") for c in ("to_address", "subject", "body"))
    assert ADDRESS not in str(stored) and "Alice Smith" not in str(stored)

    with caplog.at_level(logging.DEBUG, logger="services"):
        assert MailSender(outbox, settings(smtp), PERSONAL, clock).send_due() == 1
    [mail] = smtp.messages
    assert mail.rcpt_tos == (ADDRESS,) and "Dear Alice Smith" in mail.body
    logged = _our_log(caplog)
    assert n.notification_id in logged
    assert ADDRESS not in logged and "Alice Smith" not in logged


def test_a_refused_recipient_is_not_named_in_the_outbox_or_the_log(
    outbox: EventStore, smtp: SmtpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    n = billing_issued()
    queue(outbox, clock, n)
    sender = MailSender(outbox, settings(smtp), PERSONAL, clock)
    refused = smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"no such user " + ADDRESS.encode())})

    def refuse(smtp: object, message: object) -> None:
        raise refused

    with (
        caplog.at_level(logging.DEBUG, logger="services"),
        patch.object(smtplib.SMTP, "send_message", refuse),
    ):
        assert sender.send_due() == 0
    failed = row(outbox, n.notification_id)
    assert failed["last_error"].startswith("SMTPRecipientsRefused")
    assert n.notification_id in _our_log(caplog)
    assert ADDRESS not in failed["last_error"] and ADDRESS not in _our_log(caplog)


def test_a_pending_mail_of_a_forgotten_customer_is_never_sent(
    outbox: EventStore, smtp: SmtpTestServer
) -> None:
    clock = ManualClock()
    customer = f"cus-{uuid4().hex[:8]}"
    n = staff_reply("msg-late", "ord-9", customer, "Dear Bob Stone, your parcel left.")
    queue(outbox, clock, n)
    PERSONAL.forget(customer)  # the gateway destroyed the key; messaging not told yet

    sender = MailSender(outbox, settings(smtp), PERSONAL, clock)
    assert sender.send_due() == 0
    clock.advance(timedelta(hours=1))
    assert sender.send_due() == 0
    assert smtp.messages == []
    assert row(outbox, n.notification_id)["status"] == "forgotten"
    # Mail queued after forgetting is kept empty, never sent.
    later = staff_reply("msg-later", "ord-9", customer, "Dear Bob Stone, again.")
    assert queue(outbox, clock, later) is True
    kept = row(outbox, later.notification_id)
    assert (kept["status"], kept["to_address"], kept["subject"], kept["body"]) == (
        "forgotten",
        None,
        "",
        "",
    )
    assert sender.send_due() == 0 and smtp.messages == []
