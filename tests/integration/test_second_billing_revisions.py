"""A 2nd billing revised to what was paid lets the parcels go (R21): shipping's handlers read
its rate tables, so against PostgreSQL (billing's side of a re-quote runs in-process:
tests/unit/test_second_billing.py)."""

from __future__ import annotations

import pytest

from services.shipping import handlers as shipping_handlers
from services.shipping.bootstrap import DEFINITION as SHIPPING
from services.shipping.domain.shipment import Parcel
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context


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
