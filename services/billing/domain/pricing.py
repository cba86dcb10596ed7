"""The 1st billing's amount: goods, China domestic shipping and the service fee, converted
from CNY to the billing currency at a rate recorded on the billing.

Rounding rule: each line is converted and rounded half-up to the billing currency's minor
unit; the total is the sum of the rounded lines, so the parts always add up to the whole.
Each line keeps its amount in CNY beside the converted one, and the billing records the rate,
its date and the service fee rule, so the customer can check every figure (R4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.money import Money


@dataclass(frozen=True)
class PricingRule:
    """How the service fee is computed and which currency the customer pays in."""

    currency: str = "EUR"
    cny_rate: Decimal = Decimal("0.128")  # billing currency units per 1 CNY
    fee_percent: Decimal = Decimal("5")
    fee_minimum_cny: Decimal = Decimal("10")
    rate_date: date | None = None  # when the rate was set; None: the billing's issue date

    @property
    def service_fee(self) -> ServiceFee:
        """The service fee rule as the billing records it."""
        return ServiceFee(self.fee_percent, Money.of(self.fee_minimum_cny, "CNY"))


@dataclass(frozen=True)
class ServiceFee:
    """The service fee: a percent of the goods, never below a minimum (in CNY)."""

    percent: Decimal
    minimum: Money

    def words(self) -> str:
        """The rule as the customer reads it: "5 % of goods, at least 10.00 CNY"."""
        return f"{self.percent.normalize():f} % of goods, at least {self.minimum.formatted()}"


@dataclass(frozen=True)
class PricedItem:
    quantity: int
    unit_price: Money
    domestic_shipping: Money


@dataclass(frozen=True)
class BillingLine:
    label: str
    amount: Money  # in the billing currency
    # Contract v3: the line in the currency it is priced in (CNY) before conversion; None when
    # it is already in the billing currency, or for a line issued before v3.
    original: Money | None = None


def converted_line(label: str, original: Money, currency: str, rate: Decimal) -> BillingLine:
    """A line priced in `original`'s currency, billed in `currency` at `rate`."""
    # Rounded in its own currency first, so the customer's check (the CNY amount shown times
    # the rate shown, rounded half-up) gives exactly the converted amount shown.
    shown = original.rounded()
    if shown.currency == currency:
        return BillingLine(label, shown)
    return BillingLine(label, shown.converted(currency, rate), shown)


def first_billing_lines(items: Sequence[PricedItem], rule: PricingRule) -> list[BillingLine]:
    """The lines of the 1st billing, in the billing currency."""
    goods = sum((i.unit_price * i.quantity for i in items), Money.zero("CNY"))
    domestic = sum((i.domestic_shipping for i in items), Money.zero("CNY"))
    fee = max(goods.amount * rule.fee_percent / 100, rule.fee_minimum_cny)
    rate = rule.cny_rate
    return [
        converted_line("goods", goods, rule.currency, rate),
        converted_line("china domestic shipping", domestic, rule.currency, rate),
        converted_line("service fee", Money(fee, "CNY"), rule.currency, rate),
    ]


def total(lines: Sequence[BillingLine], currency: str) -> Money:
    """The sum of the (already rounded) lines."""
    return sum((line.amount for line in lines), Money.zero(currency))
