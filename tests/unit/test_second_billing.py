"""The 2nd billing: the international fee plus local exchange or return costs (R19, R21),
through billing's handlers in-process on the memory event store; and shipping's side, the
parcels let go once it is settled (shipping's quote reads its rate tables with SQL: the
quote is stored here as the domain makes it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.handlers import BILLINGS, DEPOSITS
from services.billing.handlers.payments import record_payment
from services.shipping.bootstrap import DEFINITION as SHIPPING
from services.shipping.domain.defaults import DEFAULT_TABLES
from services.shipping.domain.ratebook import VersionedTable
from services.shipping.domain.shipment import Parcel
from services.shipping.handlers import SHIPMENTS
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context
from tests.support.in_process import Consumer, in_memory
from tests.support.orders_context import message


def _events(billing: Consumer, order_id: str, charge_first: bool) -> None:
    billing.deliver(message("OrderPlaced", "orders", order_id))
    charge = message(
        "ReturnShippingCharged", "orders", order_id, cost={"amount": "15.00", "currency": "CNY"}
    )
    quote = message(
        "ShippingQuoted", "shipping", order_id, fee={"amount": "21.40", "currency": "EUR"}
    )
    for body in (charge, quote) if charge_first else (quote, charge):
        billing.deliver(body)


def _second(context: Context, order_id: str) -> tuple[int, Money, list[str]]:
    found = context.store.transact(lambda tx: BILLINGS.get(tx, f"{order_id}-2"))
    assert found.issued is not None
    return found.issued.revision, found.issued.amount, [line.label for line in found.issued.lines]


@pytest.mark.rule("R19", "R21")
@pytest.mark.parametrize("charge_first", [True, False], ids=["charge-first", "quote-first"])
def test_R21_the_second_billing_adds_local_return_costs_whenever_they_arrive(
    charge_first: bool,
) -> None:
    context = in_memory(BILLING)
    _events(Consumer(context, BILLING), "ord-r21", charge_first)
    revision, amount, labels = _second(context, "ord-r21")
    # 21.40 EUR + 15.00 CNY at the 1st billing's 0.128 = 1.92 EUR
    assert amount == Money(Decimal("23.32"), "EUR")
    assert labels == ["international shipping", "local shipping of item itm-1"]
    assert revision == (1 if charge_first else 2)


def _eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def _quote(order_id: str, fee: str) -> bytes:
    return message("ShippingQuoted", "shipping", order_id, fee={"amount": fee, "currency": "EUR"})


@pytest.mark.rule("R21")
def test_R21_a_requote_after_a_partial_payment_revises_the_second_billing() -> None:
    context = in_memory(BILLING)
    billing = Consumer(context, BILLING)
    billing.deliver(message("OrderPlaced", "orders", "ord-q2"))
    billing.deliver(_quote("ord-q2", "21.40"))
    record_payment(context, "ord-q2-2", _eur("10.00"), "bank_transfer", "bank:TX-Q2")
    billing.deliver(_quote("ord-q2", "30.00"))  # re-packed: a dearer fee
    second = context.store.transact(lambda tx: BILLINGS.get(tx, "ord-q2-2"))
    assert second.issued is not None and second.issued.revision == 2
    assert (second.issued.amount, second.paid, second.open_amount) == (
        _eur("30.00"),
        _eur("10.00"),
        _eur("20.00"),
    )
    billing.deliver(_quote("ord-q2", "8.00"))  # another method: cheaper than what was paid
    second = context.store.transact(lambda tx: BILLINGS.get(tx, "ord-q2-2"))
    assert second.issued is not None and second.issued.settled
    assert second.paid == _eur("8.00")
    deposit = context.store.transact(lambda tx: DEPOSITS.get(tx, "cus-0001"))
    assert deposit.balance == _eur("2.00")


@pytest.mark.rule("R21")
def test_R21_a_second_billing_revised_to_what_was_paid_lets_the_parcels_go() -> None:
    context = in_memory(SHIPPING)
    shipping = Consumer(context, SHIPPING)
    shipping.deliver(message("ItemsInspected", "orders", "ord-q3"))
    parcels = [(Parcel("par-1", 700, 30, 20, 10), ["itm-1"])]

    def quote(tx: Transaction) -> None:
        # What pack_and_quote decides at the EMS defaults (its SQL: tests/integration).
        shipment = SHIPMENTS.get(tx, "ord-q3")
        rates = VersionedTable(1, DEFAULT_TABLES["EMS"])
        quoted = shipment.quote_parcels("quo-1", parcels, rates, context.clock.now())
        SHIPMENTS.save(tx, "ord-q3", shipment, quoted, {})

    context.store.transact(quote)
    covered = message(
        "BillingIssued",
        "billing",
        "ord-q3",
        billing_id="ord-q3-2",
        kind="second",
        revision=2,
        paid={"amount": "8.00", "currency": "EUR"},
        amount={"amount": "8.00", "currency": "EUR"},
        settled=True,
    )
    assert not context.store.transact(lambda tx: SHIPMENTS.get(tx, "ord-q3")).paid
    shipping.deliver(covered)
    assert context.store.transact(lambda tx: SHIPMENTS.get(tx, "ord-q3")).paid
