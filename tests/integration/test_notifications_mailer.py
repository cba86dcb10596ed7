"""Customer e-mails: texts per event, the outbox in PostgreSQL, delivery to a real SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.messaging.adapters.mailer import (
    OUTBOX_SCHEMA,
    MailSender,
    SmtpSettings,
    backoff,
    enqueue,
    message_id,
    remember_address,
)
from services.messaging.domain.notifications import (
    Notification,
    notification_for,
    staff_reply,
)
from shared.domain_errors import ValidationError
from shared.events.clock import ManualClock
from shared.events.contracts import CONTRACTS
from shared.events.database import migrate
from shared.events.store import EventStore, Row, Transaction
from tests.support.smtp_server import SmtpTestServer

PAY = "https://cnnect.example"
SENDER = "CNNECT <noreply@cnnect.example>"
CUSTOMER = "cus-0001"
ADDRESS = "alice@example.org"


def example(event_type: str, **changes: Any) -> dict[str, Any]:
    """The catalog's example payload, decoded as a consumer sees it (Decimals, datetimes)."""
    contract = CONTRACTS.contract(event_type)
    return CONTRACTS.load(event_type, contract.version, {**contract.example, **changes})


def billing_issued(event_id: str = "evt-billing-1") -> Notification:
    """The BillingIssued notification of the catalog example."""
    notification = notification_for("BillingIssued", example("BillingIssued"), event_id, PAY)
    assert notification is not None
    return notification


# --- notification texts --------------------------------------------------------------------


def test_billing_issued_names_the_amount_and_the_pay_link() -> None:
    n = billing_issued()
    assert n.kind == "billing_issued"
    assert n.customer_id == CUSTOMER
    assert n.subject == "Order ord-7f3a: please pay 13.95 EUR"
    assert "13.95 EUR" in n.body
    assert "https://cnnect.example/billings/bil-1/pay" in n.body
    assert "service fee: 1.28 EUR" in n.body
    assert "first billing" in n.body


def test_raw_json_payloads_give_the_same_text_as_decoded_ones() -> None:
    raw = CONTRACTS.contract("BillingIssued").example
    assert notification_for("BillingIssued", raw, "e1", PAY + "/") == billing_issued("e1")


def test_a_reissued_second_billing_says_so() -> None:
    data = example("BillingIssued", kind="second", revision=2)
    n = notification_for("BillingIssued", data, "e2", PAY)
    assert n is not None
    assert "second billing (international shipping)" in n.body
    assert "replaces the billing" in n.body


def test_payment_received_mails_only_when_the_billing_is_settled() -> None:
    settled = notification_for("PaymentReceived", example("PaymentReceived"), "e3", PAY)
    assert settled is not None
    assert settled.kind == "payment_confirmed"
    assert settled.subject == "Order ord-7f3a: payment received"
    assert "14.94 EUR by bank transfer" in settled.body
    assert "fully paid" in settled.body
    partial = example("PaymentReceived", billing_settled=False)
    assert notification_for("PaymentReceived", partial, "e4", PAY) is None


def test_items_inspected_says_photos_are_ready() -> None:
    n = notification_for("ItemsInspected", example("ItemsInspected"), "e5", PAY)
    assert n is not None
    assert n.kind == "items_inspected"
    assert "photos" in n.subject
    assert "itm-1: 2 piece(s), 640 g" in n.body


def test_shipped_lists_every_tracking_number_and_link() -> None:
    parcels = [
        {
            "parcel_id": f"par-{i}",
            "carrier": "EMS",
            "tracking_number": f"EE00000000{i}CN",
            "tracking_url": f"https://t.17track.net/en#nums=EE00000000{i}CN",
        }
        for i in (1, 2)
    ]
    n = notification_for("Shipped", example("Shipped", parcels=parcels), "e6", PAY)
    assert n is not None
    assert n.subject == "Order ord-7f3a: shipped (2 parcels)"
    for i in (1, 2):
        assert f"EMS EE00000000{i}CN" in n.body
        assert f"https://t.17track.net/en#nums=EE00000000{i}CN" in n.body


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("customer_request", "you asked us to cancel it"),
        ("unpaid_7_days", "not paid within 7 days"),
        ("nothing_purchasable", "none of its items could be purchased"),
        ("staff", "our staff cancelled it"),
    ],
)
def test_order_cancelled_gives_the_reason_in_plain_words(reason: str, words: str) -> None:
    data = example("OrderCancelled", reason=reason)
    n = notification_for("OrderCancelled", data, "e7", PAY)
    assert n is not None
    assert n.subject == "Order ord-7f3a: cancelled"
    assert words in n.body
    assert "_" not in n.body  # no code like `unpaid_7_days` reaches the customer


def test_staff_reply_quotes_the_message_with_its_order() -> None:
    n = staff_reply("msg-1", "ord-7f3a", CUSTOMER, "Your bag is navy.\n\nIt ships Monday.")
    assert n.kind == "staff_reply"
    assert n.subject == "Order ord-7f3a: a reply from our staff"
    assert "> Your bag is navy.\n>\n> It ships Monday." in n.body
    assert n == staff_reply("msg-1", "ord-7f3a", CUSTOMER, "Your bag is navy.\n\nIt ships Monday.")
    inquiry = staff_reply("msg-2", None, CUSTOMER, "We ship to Norway.")
    assert inquiry.subject == "A reply from our staff"
    assert "about your inquiry:\n\n> We ship to Norway." in inquiry.body


def test_events_that_mail_nobody_give_none() -> None:
    assert notification_for("OrderPlaced", example("OrderPlaced"), "e8", PAY) is None
    assert notification_for("SomethingNew", {"customer_id": CUSTOMER}, "e9", PAY) is None


def test_notification_ids_are_stable_per_event_and_distinct_across_events_and_kinds() -> None:
    assert billing_issued("e10").notification_id == billing_issued("e10").notification_id
    assert billing_issued("e10").notification_id != billing_issued("e11").notification_id
    reply = staff_reply("e10", "ord-7f3a", CUSTOMER, "hi")
    assert reply.notification_id != billing_issued("e10").notification_id


def test_backoff_doubles_from_five_seconds_up_to_fifteen_minutes() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [
        5,
        10,
        20,
        40,
        80,
        160,
        320,
        640,
    ]
    assert backoff(9) == timedelta(minutes=15)
    assert backoff(10_000) == timedelta(minutes=15)


# --- outbox and delivery -------------------------------------------------------------------


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
    return store.transact(lambda tx: enqueue(tx, n, to, at=clock.now()))


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
    sender = MailSender(outbox, settings(smtp), clock)
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
    sender = MailSender(outbox, settings(smtp), clock)
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
    sender = MailSender(outbox, settings(smtp), clock)
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
    sender = MailSender(outbox, settings(smtp), clock)
    outbox.transact(lambda tx: remember_address(tx, CUSTOMER, " bob@example.org "))
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
        outbox.transact(lambda tx: remember_address(tx, CUSTOMER, "bob@example.org\r\nBcc: x@y"))


def test_a_mail_sent_but_not_marked_goes_again_after_the_lease_with_the_same_message_id(
    outbox: EventStore, smtp: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    n = billing_issued()
    crashing = MailSender(outbox, settings(smtp), clock, lease=timedelta(minutes=5))
    queue(outbox, clock, n)

    def crash(mail: object) -> None:
        raise RuntimeError("killed between send and commit")

    monkeypatch.setattr(crashing, "_sent", crash)
    with pytest.raises(RuntimeError):
        crashing.send_due()

    sender = MailSender(outbox, settings(smtp), clock)
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
    senders = [MailSender(outbox, settings(smtp), clock) for _ in range(3)]
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
        target=MailSender(outbox, settings(smtp), clock).run, args=(stop, 0.05)
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
