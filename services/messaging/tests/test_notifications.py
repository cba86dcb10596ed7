"""Customer e-mails' texts, one per event kind, and the mailer's retry delays: pure, on the
contract catalog's examples (the outbox and delivery to an SMTP server are
tests/integration/test_notifications_mailer.py's)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.messaging.adapters.mailer import backoff
from services.messaging.domain.notifications import Notification, notification_for, staff_reply
from shared.events.contracts import CONTRACTS

PAY = "https://cnnect.example"
CUSTOMER = "cus-0001"


def example(event_type: str, **changes: Any) -> dict[str, Any]:
    """The catalog's example payload, decoded as a consumer sees it (Decimals, datetimes)."""
    contract = CONTRACTS.contract(event_type)
    return CONTRACTS.load(event_type, contract.version, {**contract.example, **changes})


def billing_issued(event_id: str = "evt-billing-1") -> Notification:
    """The BillingIssued notification of the catalog example."""
    notification = notification_for("BillingIssued", example("BillingIssued"), event_id, PAY)
    assert notification is not None
    return notification


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
