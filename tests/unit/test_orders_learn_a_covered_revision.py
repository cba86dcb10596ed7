"""The orders service learns that a revised 1st billing is already covered by what was paid
(R17 with R8): BillingIssued v2 says so, and purchasing starts without another payment.
In-process, on the memory event store."""

from __future__ import annotations

import pytest

from services.orders.bootstrap import DEFINITION as ORDERS_SERVICE
from services.orders.domain.status import OrderStatus
from services.orders.handlers import ORDERS, commands
from shared.runtime import Context
from tests.support.in_process import Consumer, in_memory
from tests.support.orders_context import message, place_order

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


@pytest.mark.rule("R17", "R8")
def test_R17_a_revision_lowered_to_what_was_paid_starts_purchasing() -> None:
    context = in_memory(ORDERS_SERVICE)
    orders = Consumer(context, ORDERS_SERVICE)
    order_id = place_order(context, CUSTOMER, quantity=1)
    orders.deliver(_revision(order_id, 1, "19.33", "0.00", False))
    orders.deliver(_revision(order_id, 2, "19.33", "10.00", False))
    assert _status(context, order_id) is OrderStatus.APPLIED
    orders.deliver(_revision(order_id, 3, "9.66", "9.66", True))
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
def test_R17_a_payment_settling_the_bill_from_before_a_change_waits_for_the_revised_one() -> None:
    context = in_memory(ORDERS_SERVICE)
    orders = Consumer(context, ORDERS_SERVICE)
    order_id = place_order(context, CUSTOMER, quantity=1)
    orders.deliver(_revision(order_id, 1, "19.33", "0.00", False))
    # The customer doubles an item while the transfer paying the old bill is in flight.
    commands.change_items(context, order_id, {"itm-1": 2}, CUSTOMER, CUSTOMER)
    orders.deliver(_paid(order_id, 1))
    assert _status(context, order_id) is OrderStatus.APPLIED  # not for the old bill
    orders.deliver(_revision(order_id, 2, "25.00", "19.33", False))
    assert _status(context, order_id) is OrderStatus.APPLIED
    orders.deliver(_paid(order_id, 2))  # the rest of the revised bill
    assert _status(context, order_id) is OrderStatus.PURCHASING
