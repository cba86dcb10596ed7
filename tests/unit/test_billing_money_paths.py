"""Billing's money paths, events delivered to its handlers in-process on the memory event
store: an unavailable item refunded once (R20), a change after a partial payment revising the
bill (R17, R8), and money that arrives for a voided, paid or unknown billing never dropped
(a staff confirmation under an Idempotency-Key needs its table: tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.billing.adapters.paypal_webhooks import CaptureNotice
from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.config import DEV_BANK_SECRET
from services.billing.domain.billing import Billing, CardPaymentStarted
from services.billing.domain.deposit import Deposit
from services.billing.handlers.card import receive_capture
from services.billing.handlers.common import BILLINGS, DEPOSITS, HELD
from services.billing.handlers.payments import adjust_deposit, pay_with_deposit, record_payment
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context
from tests.support.bank_notices import bank_headers, bank_notice
from tests.support.in_process import Consumer, in_memory
from tests.support.orders_context import message

CUSTOMER = "cus-0001"  # the contract examples' customer
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def _cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _item(item_id: str, quantity: int, price: str, shipping: str) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "url": f"https://item.taobao.com/item.htm?id={item_id}",
        "title": item_id,
        "quantity": quantity,
        "unit_price": _cny(price),
        "domestic_shipping": _cny(shipping),
    }


# One item of 173.00 + 14.80 CNY: a 1st billing of 25.31 EUR whose item is worth 24.04 EUR
# (the figures); a second item of 2 x 30.00 + 5.00 CNY.
ITEM_1 = _item("itm-1", 1, "173.00", "14.80")
ITEM_2 = _item("itm-2", 2, "30.00", "5.00")


@pytest.fixture
def billing() -> tuple[Context, Consumer]:
    context = in_memory(BILLING)
    return context, Consumer(context, BILLING)


def _first(context: Context, order_id: str) -> Billing:
    found: Billing = context.store.transact(lambda tx: BILLINGS.get(tx, f"{order_id}-1"))
    return found


def _deposit(context: Context) -> Money:
    found: Deposit = context.store.transact(lambda tx: DEPOSITS.get(tx, CUSTOMER))
    return found.balance or _eur("0")


def _place(consumer_: Consumer, order_id: str, *items: dict[str, Any]) -> None:
    consumer_.deliver(message("OrderPlaced", "orders", order_id, items=list(items)))


def _unavailable(order_id: str, item: dict[str, Any]) -> bytes:
    fields = {k: item[k] for k in ("item_id", "quantity", "unit_price", "domestic_shipping")}
    return message("ItemUnavailable", "orders", order_id, reason="seller closed", **fields)


def _cancelled(order_id: str) -> bytes:
    return message("OrderCancelled", "orders", order_id, reason="nothing_purchasable")


@pytest.mark.rule("R20")
@pytest.mark.parametrize("cancel_first", [False, True], ids=["item-then-cancel", "cancel-first"])
def test_R20_an_unavailable_last_item_is_refunded_once_whatever_the_order_of_events(
    billing: tuple[Context, Consumer], cancel_first: bool
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-r20a", ITEM_1)
    assert _first(context, "ord-r20a").issued.amount == _eur("25.31")  # type: ignore[union-attr]
    record_payment(context, "ord-r20a-1", _eur("25.31"), "staff_confirmation", "staff-1")
    events = [_unavailable("ord-r20a", ITEM_1), _cancelled("ord-r20a")]
    for body in reversed(events) if cancel_first else events:
        consumer_.deliver(body)
    # Refunded: exactly what was paid (24.04 for the item, then the 1.27 left), not 49.35.
    assert _deposit(context) == _eur("25.31")
    first = _first(context, "ord-r20a")
    assert first.voided and first.kept == _eur("0") and first.refunded == _eur("25.31")


@pytest.mark.rule("R20")
def test_R20_items_going_one_by_one_refund_no_more_than_was_paid(
    billing: tuple[Context, Consumer],
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-r20b", ITEM_1, ITEM_2)
    amount = _first(context, "ord-r20b").issued.amount  # type: ignore[union-attr]
    record_payment(context, "ord-r20b-1", amount, "staff_confirmation", "staff-1")
    consumer_.deliver(_unavailable("ord-r20b", ITEM_1))
    assert _deposit(context) == _eur("24.04")
    for body in (_unavailable("ord-r20b", ITEM_2), _cancelled("ord-r20b")):
        consumer_.deliver(body)
    assert _deposit(context) == amount
    assert _first(context, "ord-r20b").kept == _eur("0")


@pytest.mark.rule("R17", "R8")
def test_R17_a_change_after_a_partial_deposit_payment_revises_the_bill_at_once(
    billing: tuple[Context, Consumer],
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-r17a", ITEM_1, ITEM_2)
    adjust_deposit(context, CUSTOMER, _eur("10.00"), "welcome credit", "staff-1")
    pay_with_deposit(context, "ord-r17a-1", CUSTOMER, CUSTOMER)
    changed = message("OrderItemsChanged", "orders", "ord-r17a", items=[ITEM_1])
    consumer_.deliver(changed)
    first = _first(context, "ord-r17a")
    assert first.issued is not None and first.issued.revision == 2
    # The bill is the one item's 25.31; the 10.00 paid stays credited against it.
    assert (first.issued.amount, first.paid, first.open_amount) == (
        _eur("25.31"),
        _eur("10.00"),
        _eur("15.31"),
    )
    assert not first.issued.settled and first.issued.paid == _eur("10.00")


@pytest.mark.rule("R17", "R8")
def test_R17_a_change_below_what_was_paid_settles_the_bill_and_returns_the_excess(
    billing: tuple[Context, Consumer],
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-r17b", ITEM_1, ITEM_2)
    record_payment(context, "ord-r17b-1", _eur("30.00"), "bank_transfer", "bank:TX-17")
    changed = message("OrderItemsChanged", "orders", "ord-r17b", items=[ITEM_1])
    consumer_.deliver(changed)
    consumer_.deliver(changed)  # a redelivery changes nothing more
    first = _first(context, "ord-r17b")
    assert first.issued is not None and first.issued.settled
    assert (first.issued.amount, first.paid) == (_eur("25.31"), _eur("25.31"))
    assert _deposit(context) == _eur("4.69")  # 30.00 paid - 25.31 billed


def _bank(client: FlaskClient, context: Context, reference: str, amount: str, tx: str) -> Any:
    body = bank_notice(reference, amount, tx)
    headers = bank_headers(body, DEV_BANK_SECRET, now=context.clock.now())
    return client.post("/webhooks/bank", data=body, headers=headers)


def test_a_bank_notice_for_a_cancelled_orders_billing_goes_to_the_deposit(
    billing: tuple[Context, Consumer],
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-m6a", ITEM_1)
    consumer_.deliver(_cancelled("ord-m6a"))
    client = BILLING.create_app(context).test_client()
    answer = _bank(client, context, "ord-m6a-1", "25.31", "TX-M6A")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["to_deposit"] == "25.31"
    assert _deposit(context) == _eur("25.31")
    again = _bank(client, context, "ord-m6a-1", "25.31", "TX-M6A")
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert _deposit(context) == _eur("25.31")


def test_a_bank_notice_paying_a_paid_billing_again_goes_to_the_deposit(
    billing: tuple[Context, Consumer],
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-m6b", ITEM_1)
    client = BILLING.create_app(context).test_client()
    assert _bank(client, context, "ord-m6b-1", "26.00", "TX-M6B1").get_json()["to_deposit"] == (
        "0.69"
    )
    answer = _bank(client, context, "ord-m6b-1", "25.31", "TX-M6B2")
    assert answer.status_code == 200 and answer.get_json()["to_deposit"] == "25.31"
    assert _deposit(context) == _eur("26.00")
    assert _first(context, "ord-m6b").kept == _eur("25.31")


def test_a_bank_notice_with_an_unknown_reference_is_held_for_staff(
    billing: tuple[Context, Consumer],
) -> None:
    context, _ = billing
    client = BILLING.create_app(context).test_client()
    answer = _bank(client, context, "no-such-billing", "12.00", "TX-M6C")
    assert answer.status_code == 202, answer.get_json()
    hold_id = answer.get_json()["hold_id"]
    held = context.store.transact(lambda tx: HELD.get(tx, hold_id))
    assert held.held is not None and held.held.reference == "no-such-billing"
    assert held.holds == _eur("12.00")
    assert _bank(client, context, "no-such-billing", "12.00", "TX-M6C").status_code == 200


def _capture(event_id: str, paypal_order: str, billing_id: str, amount: Money) -> CaptureNotice:
    return CaptureNotice(
        event_id,
        "PAYMENT.CAPTURE.COMPLETED",
        f"cap-{event_id}",
        paypal_order,
        billing_id,
        "COMPLETED",
        amount,
    )


@pytest.mark.rule("R10")
def test_a_card_capture_completing_after_the_cancel_goes_to_the_deposit(
    billing: tuple[Context, Consumer],
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-m6d", ITEM_1)

    def started(tx: Transaction) -> None:
        # The checkout PayPal answered before the customer cancelled (25.31 + 3.9 % fee).
        found = BILLINGS.get(tx, "ord-m6d-1")
        card = CardPaymentStarted(
            "ord-m6d-1", "PP-1", _eur("25.31"), _eur("0.99"), _eur("26.30"), "u", NOW
        )
        BILLINGS.save(tx, "ord-m6d-1", found, [card], {})

    context.store.transact(started)
    consumer_.deliver(_cancelled("ord-m6d"))
    assert receive_capture(context, _capture("WH-1", "PP-1", "ord-m6d-1", _eur("26.30")))
    assert _deposit(context) == _eur("25.31")  # what it paid of the billing; the fee is PayPal's
    assert not receive_capture(context, _capture("WH-1", "PP-1", "ord-m6d-1", _eur("26.30")))
    assert _deposit(context) == _eur("25.31")


def test_a_card_capture_for_no_billing_of_ours_is_held_for_staff(
    billing: tuple[Context, Consumer],
) -> None:
    context, _ = billing
    assert receive_capture(context, _capture("WH-2", "PP-2", "ord-gone-1", _eur("8.00")))
    held = context.store.transact(lambda tx: HELD.get(tx, "paypal-cap-WH-2"))
    assert held.holds == _eur("8.00")


@pytest.mark.rule("R17")
def test_R17_a_change_arriving_after_the_bill_was_settled_still_revises_it(
    billing: tuple[Context, Consumer],
) -> None:
    context, consumer_ = billing
    _place(consumer_, "ord-r17c", ITEM_1)
    record_payment(context, "ord-r17c-1", _eur("25.31"), "bank_transfer", "bank:TX-17C")
    # The order accepted the change before it learnt of the payment: the bill follows it.
    doubled = dict(ITEM_1, quantity=2)
    consumer_.deliver(message("OrderItemsChanged", "orders", "ord-r17c", items=[doubled]))
    first = _first(context, "ord-r17c")
    assert first.issued is not None and first.issued.revision == 2
    assert not first.settled and first.paid == _eur("25.31")
    assert first.open_amount == first.issued.amount - _eur("25.31")
