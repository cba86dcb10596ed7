"""The 1st billing's amount and payments, on the pure domain model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.billing import Billing, BillingIssued, PaymentReceived
from services.billing.domain.pricing import PricedItem, PricingRule, first_billing_lines, total
from shared.events.errors import InvalidTransitionError, ValidationError
from shared.money import Money

NOW = datetime(2026, 11, 27, tzinfo=UTC)
RULE = PricingRule()


def _cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def test_the_first_billing_has_goods_domestic_shipping_and_a_minimum_fee() -> None:
    lines = first_billing_lines(
        [PricedItem(2, _cny("45.50"), _cny("8.00")), PricedItem(3, _cny("12.00"), _cny("6.00"))],
        RULE,
    )
    assert [(line.label, str(line.amount.amount)) for line in lines] == [
        ("goods", "16.26"),
        ("china domestic shipping", "1.79"),
        ("service fee", "1.28"),
    ]
    assert total(lines, "EUR") == Money(Decimal("19.33"), "EUR")


def test_the_fee_is_a_percentage_above_the_minimum() -> None:
    lines = first_billing_lines([PricedItem(1, _cny("1000.00"), _cny("0"))], RULE)
    assert lines[2].amount == Money(Decimal("6.40"), "EUR")  # 5 % of 1000 CNY at 0.128


@given(
    st.lists(
        st.tuples(
            st.integers(1, 20), st.decimals("0", "5000", places=2), st.decimals("0", "50", places=2)
        ),
        min_size=1,
        max_size=10,
    )
)
def test_the_total_always_equals_the_sum_of_its_lines(
    items: list[tuple[int, Decimal, Decimal]],
) -> None:
    lines = first_billing_lines(
        [PricedItem(q, _cny(str(p)), _cny(str(d))) for q, p, d in items], RULE
    )
    assert total(lines, "EUR").amount == sum(line.amount.amount for line in lines)
    assert all(line.amount.amount == line.amount.amount.quantize(Decimal("0.01")) for line in lines)


def _billing(amount: str) -> Billing:
    issued = BillingIssued(
        "b1", "o1", "c1", "first", 1, Money(Decimal(amount), "EUR"), [], Decimal("0.128"), NOW
    )
    return Billing.replay("b1", [issued])


@pytest.mark.rule("R9")
def test_R9_a_short_payment_leaves_the_rest_open_and_an_excess_goes_to_the_deposit() -> None:
    billing = _billing("19.33")
    [partial], excess = billing.record_payment("p1", Money(Decimal("10.00"), "EUR"), "bank", NOW)
    assert isinstance(partial, PaymentReceived) and not partial.billing_settled
    assert excess.is_zero
    billing.apply(partial)
    assert billing.open_amount == Money(Decimal("9.33"), "EUR")
    [rest], excess = billing.record_payment("p2", Money(Decimal("12.00"), "EUR"), "bank", NOW)
    assert rest.billing_settled and rest.amount == Money(Decimal("9.33"), "EUR")  # type: ignore[attr-defined]
    assert excess == Money(Decimal("2.67"), "EUR")
    billing.apply(rest)
    with pytest.raises(InvalidTransitionError):
        billing.record_payment("p3", Money(Decimal("1"), "EUR"), "staff", NOW)


@given(
    st.lists(st.decimals("0.01", "50", places=2), min_size=1, max_size=12),
    st.decimals("0.01", "200", places=2),
)
def test_payments_applied_plus_excess_always_equal_what_was_paid(
    payments: list[Decimal], amount: Decimal
) -> None:
    billing = _billing(str(amount))
    applied = excess_total = Decimal(0)
    for n, paid in enumerate(payments):
        if billing.settled:
            break
        new, excess = billing.record_payment(f"p{n}", Money(paid, "EUR"), "bank", NOW)
        for event in new:
            billing.apply(event)
            applied += event.amount.amount  # type: ignore[attr-defined]
        excess_total += excess.amount
        assert applied + excess_total == sum(payments[: n + 1])
    assert applied <= amount
    assert billing.settled == (applied == amount)


def test_a_payment_in_another_currency_is_refused() -> None:
    with pytest.raises(ValidationError):
        _billing("5").record_payment("p1", Money(Decimal("5"), "CNY"), "staff", NOW)


@pytest.mark.rule("R10")
@given(st.decimals("0.01", "100000", places=2), st.decimals("0", "10", places=1))
def test_R10_the_card_fee_is_the_percentage_rounded_half_up_to_the_cent(
    amount: Decimal, percent: Decimal
) -> None:
    from decimal import ROUND_HALF_UP

    billing = _billing(str(amount))
    rest, fee = billing.card_payment_due(percent, Money(Decimal("0"), "EUR"))
    assert rest == Money(amount, "EUR")
    expected = (amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert fee.amount == expected
