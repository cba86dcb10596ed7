"""Orders and billing rules through their command, event and deadline handlers, in this process
on memory event stores (tests/support/in_process.py): the rules whose proof is the handlers'
logic. What only the running system shows (HTTP, access, read models, processes, faults)
stays in tests/e2e."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.domain.billing import Billing
from services.billing.handlers.common import BILLINGS, DEPOSITS, billing_id
from services.billing.handlers.payments import record_payment
from services.orders.bootstrap import DEFINITION as ORDERS
from services.orders.domain import events as ev
from services.orders.domain.order import Order
from services.orders.domain.status import ItemStatus, OrderStatus
from services.orders.handlers import commands
from services.orders.handlers.common import ORDERS as ORDER_STREAMS
from shared.domain_errors import InvalidTransitionError
from shared.money import Money
from tests.support.in_process import InProcess

CUSTOMER = "cus-1"
STAFF = "staff-1"


@pytest.fixture
def system() -> InProcess:
    return InProcess(ORDERS, BILLING)


def _place(system: InProcess) -> str:
    """The journeys' order (tests/support/journey.py: ORDER), placed and billed."""
    items = [
        ev.OrderedItem("itm-1", "https://item.taobao.com/item.htm?id=6620", "Canvas tote bag", 2,
                       Money(Decimal("45.50"), "CNY"), Money(Decimal("8.00"), "CNY")),
        ev.OrderedItem("itm-2", "https://detail.1688.com/offer/5521.html", "Enamel mug", 3,
                       Money(Decimal("12.00"), "CNY"), Money(Decimal("6.00"), "CNY")),
    ]  # fmt: skip
    address = ev.DeliveryAddress("Alice Martin", "12 rue des Lilas", "Lyon", "69003", "FR")
    placed = commands.PlaceOrder(CUSTOMER, items, address, "EMS")
    order_id = commands.place_order(system["orders"], placed, actor=CUSTOMER)
    system.settle()
    return order_id


def _order(system: InProcess, order_id: str) -> Order:
    return system["orders"].store.transact(lambda tx: ORDER_STREAMS.get(tx, order_id))


def _billing(system: InProcess, order_id: str) -> Billing:
    bid = billing_id(order_id, "first")
    return system["billing"].store.transact(lambda tx: BILLINGS.get(tx, bid))


def _cancel_reason(system: InProcess, order_id: str) -> str:
    last = system["orders"].store.read_stream(ORDER_STREAMS.stream_id(order_id))[-1]
    assert last.type == "OrderCancelled"
    return str(last.data["reason"])


def _paid(system: InProcess) -> str:
    order_id = _place(system)
    issued = _billing(system, order_id).issued
    assert issued is not None
    record_payment(system["billing"], issued.billing_id, issued.amount, "bank_transfer", STAFF)
    system.settle()
    assert _order(system, order_id).status is OrderStatus.PURCHASING
    return order_id


@pytest.mark.rule("R15")
def test_R15_the_customer_cannot_cancel_once_paid(system: InProcess) -> None:
    order_id = _paid(system)
    with pytest.raises(InvalidTransitionError, match="cannot cancel"):
        commands.cancel_order(system["orders"], order_id, CUSTOMER, CUSTOMER)


@pytest.mark.rule("R15")
def test_a_cancelled_order_voids_its_billing(system: InProcess) -> None:
    order_id = _place(system)
    commands.cancel_order(system["orders"], order_id, CUSTOMER, CUSTOMER)
    system.settle()
    billing = _billing(system, order_id)
    assert billing.voided and billing.kept == Money.zero("EUR")  # nothing paid: none refunded


@pytest.mark.rule("R17")
def test_R17_changing_quantities_before_payment_recalculates_the_first_billing(
    system: InProcess,
) -> None:
    order_id = _place(system)
    before = _billing(system, order_id).issued
    commands.change_items(system["orders"], order_id, {"itm-1": 1, "itm-2": 0}, CUSTOMER, CUSTOMER)
    system.settle()
    after = _billing(system, order_id).issued
    assert before is not None and after is not None and after.revision == 2
    # goods 45.50, domestic 8.00, fee 10 CNY -> 5.82 + 1.02 + 1.28
    assert (str(before.amount.amount), str(after.amount.amount)) == ("19.33", "8.12")
    billed = system["orders"].store.read_stream(ORDER_STREAMS.stream_id(order_id))[-1]
    assert billed.type == "FirstBillingIssued" and billed.data["amount"]["amount"] == "8.12"
    order = _order(system, order_id)
    assert [i.status for i in order.items.values()] == [
        ItemStatus.PRE_PAYMENT,
        ItemStatus.CANCELLED,
    ]
    record_payment(system["billing"], after.billing_id, after.amount, "bank_transfer", STAFF)
    system.settle()
    assert _order(system, order_id).status is OrderStatus.PURCHASING
    with pytest.raises(InvalidTransitionError):
        commands.change_items(system["orders"], order_id, {"itm-1": 3}, CUSTOMER, CUSTOMER)


@pytest.mark.rule("R20")
def test_R20_an_unavailable_item_is_refunded_to_the_deposit(system: InProcess) -> None:
    order_id = _paid(system)
    commands.mark_unavailable(system["orders"], order_id, "itm-2", "sold out", STAFF)
    system.settle()
    deposit = system["billing"].store.transact(lambda tx: DEPOSITS.get(tx, CUSTOMER))
    # 3 x 12.00 + 6.00 CNY = 42.00 CNY at 0.128 -> 5.376 -> 5.38 EUR
    assert deposit.balance == Money(Decimal("5.38"), "EUR")
    [credited] = system["billing"].store.read_stream(DEPOSITS.stream_id(CUSTOMER))
    assert credited.data["kind"] == "refund"


@pytest.mark.rule("R16")
def test_R16_an_order_unpaid_7_days_after_the_estimate_is_cancelled(system: InProcess) -> None:
    order_id = _place(system)
    system.clock.advance(timedelta(days=6, hours=23))
    assert system.fire_deadlines("orders") == 0
    system.clock.advance(timedelta(hours=1))
    assert system.fire_deadlines("orders") == 1
    assert _order(system, order_id).status is OrderStatus.CANCELLED
    assert _cancel_reason(system, order_id) == "unpaid_7_days"
    system.settle()
    assert _billing(system, order_id).voided


@pytest.mark.rule("R16")
def test_R16_a_paid_order_is_not_cancelled_7_days_later(system: InProcess) -> None:
    order_id = _paid(system)
    system.clock.advance(timedelta(days=8))
    assert system.fire_deadlines("orders") == 0
    assert _order(system, order_id).status is OrderStatus.PURCHASING
