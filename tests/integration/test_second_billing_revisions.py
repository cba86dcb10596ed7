"""The 2nd billing re-quoted after a partial payment (the R17 defect's twin on the shipping
fee, R21): revised at once, payments kept, an excess returned, and a revision covered by what
was paid lets the parcels go."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.handlers import BILLINGS, DEPOSITS
from services.billing.handlers.payments import record_payment
from services.shipping import handlers as shipping_handlers
from services.shipping.bootstrap import DEFINITION as SHIPPING
from services.shipping.domain.shipment import Parcel
from shared.money import Money
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context


def _eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def _quote(order_id: str, fee: str) -> bytes:
    return message("ShippingQuoted", "shipping", order_id, fee={"amount": fee, "currency": "EUR"})


@pytest.mark.rule("R21")
def test_R21_a_requote_after_a_partial_payment_revises_the_second_billing(infra: Infra) -> None:
    with service_context(infra, BILLING) as context:
        billing = consumer(context, BILLING)
        deliver(billing, message("OrderPlaced", "orders", "ord-q2"))
        deliver(billing, _quote("ord-q2", "21.40"))
        record_payment(context, "ord-q2-2", _eur("10.00"), "bank_transfer", "bank:TX-Q2")
        deliver(billing, _quote("ord-q2", "30.00"))  # re-packed: a dearer fee
        second = context.store.transact(lambda tx: BILLINGS.get(tx, "ord-q2-2"))
        assert second.issued is not None and second.issued.revision == 2
        assert (second.issued.amount, second.paid, second.open_amount) == (
            _eur("30.00"),
            _eur("10.00"),
            _eur("20.00"),
        )
        deliver(billing, _quote("ord-q2", "8.00"))  # another method: cheaper than what was paid
        second = context.store.transact(lambda tx: BILLINGS.get(tx, "ord-q2-2"))
        assert second.issued is not None and second.issued.settled
        assert second.paid == _eur("8.00")
        deposit = context.store.transact(lambda tx: DEPOSITS.get(tx, "cus-0001"))
        assert deposit.balance == _eur("2.00")


@pytest.mark.rule("R21")
def test_R21_a_second_billing_revised_to_what_was_paid_lets_the_parcels_go(infra: Infra) -> None:
    with service_context(infra, SHIPPING) as context:
        shipping = consumer(context, SHIPPING)
        deliver(shipping, message("ItemsInspected", "orders", "ord-q3"))
        parcels = [(Parcel("par-1", 700, 30, 20, 10), ["itm-1"])]
        shipping_handlers.pack_and_quote(context, "ord-q3", parcels, "staff-1")
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
        deliver(shipping, covered)
        shipment = context.store.transact(lambda tx: shipping_handlers.SHIPMENTS.get(tx, "ord-q3"))
        assert shipment.paid
