"""The orders service learns that a revised 1st billing is already covered by what was paid
(R17 with R8): BillingIssued v2 says so, and purchasing starts without another payment."""

from __future__ import annotations

import pytest

from services.orders.domain.status import OrderStatus
from services.orders.handlers import ORDERS, commands
from shared.runtime import Context
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, orders_context, place_order

CUSTOMER = "cus-0001"  # the contract examples' customer


def _revision(order_id: str, revision: int, amount: str, paid: str, settled: bool) -> bytes:
    return message(
        "BillingIssued",
        "billing",
        order_id,
        billing_id=f"{order_id}-1",
        revision=revision,
        amount={"amount": amount, "currency": "EUR"},
        paid={"amount": paid, "currency": "EUR"},
        settled=settled,
    )


def _status(context: Context, order_id: str) -> OrderStatus | None:
    return context.store.transact(lambda tx: ORDERS.get(tx, order_id)).status


@pytest.mark.rule("R17")
@pytest.mark.rule("R8")
def test_R17_a_revision_lowered_to_what_was_paid_starts_purchasing(infra: Infra) -> None:
    with orders_context(infra) as context:
        orders = consumer(context)
        order_id = place_order(context, CUSTOMER, quantity=1)
        deliver(orders, _revision(order_id, 1, "19.33", "0.00", False))
        deliver(orders, _revision(order_id, 2, "19.33", "10.00", False))
        assert _status(context, order_id) is OrderStatus.APPLIED
        deliver(orders, _revision(order_id, 3, "9.66", "9.66", True))
        assert _status(context, order_id) is OrderStatus.PURCHASING
        types = [e.type for e in context.store.read_stream(f"order-{order_id}")]
        assert types.count("FirstBillingPaid") == 1


def _paid(order_id: str, revision: int) -> bytes:
    return message(
        "PaymentReceived",
        "billing",
        order_id,
        billing_id=f"{order_id}-1",
        billing_settled=True,
        revision=revision,
    )


@pytest.mark.rule("R17")
def test_R17_a_payment_settling_the_bill_from_before_a_change_waits_for_the_revised_one(
    infra: Infra,
) -> None:
    with orders_context(infra) as context:
        orders = consumer(context)
        order_id = place_order(context, CUSTOMER, quantity=1)
        deliver(orders, _revision(order_id, 1, "19.33", "0.00", False))
        # The customer doubles an item while the transfer paying the old bill is in flight.
        commands.change_items(context, order_id, {"itm-1": 2}, CUSTOMER, CUSTOMER)
        deliver(orders, _paid(order_id, 1))
        assert _status(context, order_id) is OrderStatus.APPLIED  # not for the old bill
        deliver(orders, _revision(order_id, 2, "25.00", "19.33", False))
        assert _status(context, order_id) is OrderStatus.APPLIED
        deliver(orders, _paid(order_id, 2))  # the rest of the revised bill
        assert _status(context, order_id) is OrderStatus.PURCHASING
