"""PayPal's capture webhooks as billing reads them (services/billing/adapters/paypal_webhooks.py:
parse_capture_event), on the events the stand-in sends: what is captured, refused or refunded,
for which of our billings. Their signatures are checked over HTTP:
tests/integration/test_paypal_adapter.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deploy.paypal_standin import (
    capture_completed_event,
    capture_denied_event,
    capture_pending_event,
    capture_refunded_event,
)
from services.billing.adapters.paypal import PayPalProtocolError
from services.billing.adapters.paypal_webhooks import parse_capture_event
from shared.money import Money


@pytest.mark.parametrize(
    ("build", "status"),
    [
        (capture_completed_event, "COMPLETED"),
        (capture_pending_event, "PENDING"),
        (capture_denied_event, "DECLINED"),
    ],
)
def test_completed_pending_and_denied_captures_give_our_billing_id_and_the_amount(
    build: Callable[[str, str, Money, str], dict[str, Any]], status: str
) -> None:
    event = build("ORDER-9", "b-42", Money.of("1500", "JPY"), "CAP-2")
    notice = parse_capture_event(event)
    assert notice is not None
    assert notice.event_id == event["id"]
    assert (notice.event_type, notice.status) == (event["event_type"], status)
    assert (notice.capture_id, notice.order_id, notice.custom_id) == ("CAP-2", "ORDER-9", "b-42")
    assert notice.amount == Money.of("1500", "JPY")
    assert notice.refund_id is None


def test_a_refund_names_the_refunded_capture() -> None:
    notice = parse_capture_event(
        capture_refunded_event("CAP-3", "b-42", Money.of("5", "USD"), "REF-1")
    )
    assert notice is not None
    assert (notice.capture_id, notice.refund_id, notice.custom_id) == ("CAP-3", "REF-1", "b-42")
    assert (notice.status, notice.amount, notice.order_id) == (
        "COMPLETED",
        Money.of("5.00", "USD"),
        None,
    )
    from_dashboard = parse_capture_event(
        capture_refunded_event("CAP-3", None, Money.of("5", "USD"))
    )
    assert from_dashboard is not None and from_dashboard.custom_id is None


def test_other_event_types_are_ignored() -> None:
    event = capture_completed_event("ORDER-9", "b-42", Money.of("1", "USD"))
    event["event_type"] = "CHECKOUT.ORDER.APPROVED"
    assert parse_capture_event(event) is None


@pytest.mark.parametrize("value", [12.5, "12,50", "1e3", "-1.00", "12.505"])
def test_an_amount_that_is_not_an_exact_decimal_string_is_refused(value: object) -> None:
    event = capture_completed_event("ORDER-9", "b-42", Money.of("1", "USD"))
    event["resource"]["amount"]["value"] = value
    with pytest.raises(PayPalProtocolError):
        parse_capture_event(event)
