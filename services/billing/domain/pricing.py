"""The 1st billing's amount: goods, China domestic shipping and the service fee, converted
from CNY to the billing currency at a rate recorded on the billing.

Rounding rule: each line is converted and rounded half-up to the billing currency's minor
unit; the total is the sum of the rounded lines, so the parts always add up to the whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.money import Money


@dataclass(frozen=True)
class PricingRule:
    """How the service fee is computed and which currency the customer pays in."""

    currency: str = "EUR"
    cny_rate: Decimal = Decimal("0.128")  # billing currency units per 1 CNY
    fee_percent: Decimal = Decimal("5")
    fee_minimum_cny: Decimal = Decimal("10")


@dataclass(frozen=True)
class PricedItem:
    quantity: int
    unit_price: Money
    domestic_shipping: Money


@dataclass(frozen=True)
class BillingLine:
    label: str
    amount: Money


def first_billing_lines(items: Sequence[PricedItem], rule: PricingRule) -> list[BillingLine]:
    """The lines of the 1st billing, in the billing currency."""
    goods = sum((i.unit_price * i.quantity for i in items), Money.zero("CNY"))
    domestic = sum((i.domestic_shipping for i in items), Money.zero("CNY"))
    fee = max(goods.amount * rule.fee_percent / 100, rule.fee_minimum_cny)
    return [
        BillingLine("goods", goods.converted(rule.currency, rule.cny_rate)),
        BillingLine("china domestic shipping", domestic.converted(rule.currency, rule.cny_rate)),
        BillingLine("service fee", Money(fee, "CNY").converted(rule.currency, rule.cny_rate)),
    ]


def total(lines: Sequence[BillingLine], currency: str) -> Money:
    """The sum of the (already rounded) lines."""
    return sum((line.amount for line in lines), Money.zero(currency))
