"""Integration event contracts: examples round-trip, old versions upcast, bad ones refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.events.contracts import (
    CONTRACTS,
    Contract,
    Envelope,
    decode_envelope,
    encode_envelope,
)
from shared.events.errors import FutureSchemaVersionError, InvalidEventError, UnknownEventTypeError

REQUIRED = {
    "OrderPlaced",
    "BillingIssued",
    "PaymentReceived",
    "ItemsInspected",
    "Shipped",
    "ReceptionReported",
    "ShippingQuoted",
}


def test_the_named_integration_events_all_have_contracts() -> None:
    assert {c.type for c in CONTRACTS} >= REQUIRED


@pytest.mark.parametrize("contract", list(CONTRACTS), ids=lambda c: c.type)
def test_every_example_round_trips_through_its_envelope(contract: Contract) -> None:
    example = contract.example
    event_type = contract.type
    envelope = Envelope(
        event_id=uuid.uuid4(),
        type=event_type,
        schema_version=contract.version,
        occurred_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        correlation_id=uuid.uuid4(),
        causation_id=None,
        producer=contract.producer,
        stream_id="s-1",
        stream_version=1,
        ordering_key="ord-7f3a",
        data=dict(example),
    )
    decoded = decode_envelope(encode_envelope(envelope))
    assert decoded == envelope
    assert CONTRACTS.check(event_type, decoded.data) == example


def test_an_old_order_placed_is_upcast_to_the_current_version() -> None:
    contract = CONTRACTS.contract("OrderPlaced")
    loaded = CONTRACTS.load("OrderPlaced", 1, contract.old_examples[1])
    assert loaded["customer_id"] == "cus-0001"
    assert loaded["shipping_method"] == "EMS"


def test_a_future_schema_version_is_refused() -> None:
    with pytest.raises(FutureSchemaVersionError):
        CONTRACTS.load("OrderPlaced", 3, CONTRACTS.contract("OrderPlaced").example)


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(UnknownEventTypeError):
        CONTRACTS.load("OrderTeleported", 1, {})


def test_a_payload_with_float_money_or_missing_fields_is_refused() -> None:
    example = dict(CONTRACTS.contract("PaymentReceived").example)
    with pytest.raises(InvalidEventError):
        CONTRACTS.load(
            "PaymentReceived", 1, {**example, "amount": {"amount": "x", "currency": "EUR"}}
        )
    with pytest.raises(InvalidEventError):
        CONTRACTS.load("PaymentReceived", 1, {k: v for k, v in example.items() if k != "kind"})


@pytest.mark.parametrize("body", [b"", b"[]", b'{"type": "OrderPlaced"}', b"\xff\xfe"])
def test_a_malformed_envelope_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidEventError):
        decode_envelope(body)


def test_the_order_events_are_published_by_orders_and_billing_events_by_billing() -> None:
    assert {"OrderPlaced", "ItemsInspected", "ReceptionReported"} <= CONTRACTS.published_by(
        "orders"
    )
    assert CONTRACTS.published_by("billing") == {"BillingIssued", "PaymentReceived"}


def test_an_old_reception_report_is_upcast_with_no_pictures() -> None:
    contract = CONTRACTS.contract("ReceptionReported")
    loaded = CONTRACTS.load("ReceptionReported", 1, contract.old_examples[1])
    assert loaded["photo_ids"] == []


@pytest.mark.rule("R19")
def test_an_old_message_is_upcast_naming_no_item() -> None:
    contract = CONTRACTS.contract("MessagePosted")
    loaded = CONTRACTS.load("MessagePosted", 1, contract.old_examples[1])
    assert loaded["item_id"] is None and loaded["kind"] == "message"


@pytest.mark.rule("R17")
def test_an_old_billing_revision_is_upcast_as_nothing_paid_and_not_settled() -> None:
    # v1 revisions were only issued on billings nothing was paid on.
    contract = CONTRACTS.contract("BillingIssued")
    loaded = CONTRACTS.load("BillingIssued", 1, contract.old_examples[1])
    assert loaded["paid"] == {"amount": Decimal("0.00"), "currency": "EUR"}
    assert loaded["settled"] is False


@pytest.mark.rule("R17")
def test_an_old_payment_is_upcast_naming_no_revision() -> None:
    contract = CONTRACTS.contract("PaymentReceived")
    loaded = CONTRACTS.load("PaymentReceived", 1, contract.old_examples[1])
    assert loaded["revision"] is None and loaded["billing_settled"] is True
