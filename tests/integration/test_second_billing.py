"""The 2nd billing: the international fee plus local exchange or return costs (R19, R21)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.handlers import BILLINGS
from shared.events.consumer import EventConsumer
from shared.money import Money
from shared.runtime import Context
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context


def _events(billing: EventConsumer, order_id: str, charge_first: bool) -> None:
    deliver(billing, message("OrderPlaced", "orders", order_id))
    charge = message(
        "ReturnShippingCharged", "orders", order_id, cost={"amount": "15.00", "currency": "CNY"}
    )
    quote = message(
        "ShippingQuoted", "shipping", order_id, fee={"amount": "21.40", "currency": "EUR"}
    )
    for body in (charge, quote) if charge_first else (quote, charge):
        deliver(billing, body)


def _second(context: Context, order_id: str) -> tuple[int, Money, list[str]]:
    found = context.store.transact(lambda tx: BILLINGS.get(tx, f"{order_id}-2"))
    assert found.issued is not None
    return found.issued.revision, found.issued.amount, [line.label for line in found.issued.lines]


@pytest.mark.rule("R19")
@pytest.mark.rule("R21")
@pytest.mark.parametrize("charge_first", [True, False], ids=["charge-first", "quote-first"])
def test_R21_the_second_billing_adds_local_return_costs_whenever_they_arrive(
    infra: Infra, charge_first: bool
) -> None:
    with service_context(infra, BILLING) as context:
        _events(consumer(context, BILLING), "ord-r21", charge_first)
        revision, amount, labels = _second(context, "ord-r21")
        # 21.40 EUR + 15.00 CNY at the 1st billing's 0.128 = 1.92 EUR
        assert amount == Money(Decimal("23.32"), "EUR")
        assert labels == ["international shipping", "local shipping of item itm-1"]
        assert revision == (1 if charge_first else 2)
