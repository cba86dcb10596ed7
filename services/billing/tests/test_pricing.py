"""The 1st billing's amount and payments, on the pure domain model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.billing import Billing, BillingIssued, PaymentReceived
from services.billing.domain.pricing import PricedItem, PricingRule, first_billing_lines, total
from shared.domain_errors import InvalidTransitionError, ValidationError
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


@pytest.mark.rule("R4")
def test_R4_each_line_keeps_its_cny_amount_and_the_customer_can_check_the_conversion() -> None:
    lines = first_billing_lines([PricedItem(3, _cny("41.15"), _cny("7.33"))], RULE)
    assert [(line.label, line.original, line.amount) for line in lines] == [
        ("goods", _cny("123.45"), Money(Decimal("15.80"), "EUR")),
        ("china domestic shipping", _cny("7.33"), Money(Decimal("0.94"), "EUR")),
        ("service fee", _cny("10.00"), Money(Decimal("1.28"), "EUR")),
    ]
    for line in lines:  # what the page shows, multiplied out by hand, gives the line
        assert line.original is not None
        assert line.original.converted("EUR", RULE.cny_rate) == line.amount


@pytest.mark.rule("R4")
def test_R4_the_service_fee_is_rounded_in_cny_before_it_is_converted() -> None:
    # 5 % of 250.90 CNY is 12.545 CNY: shown as 12.55 CNY, and 12.55 x 0.128 = 1.6064 -> 1.61
    [_, _, fee] = first_billing_lines([PricedItem(1, _cny("250.90"), _cny("0"))], RULE)
    assert fee.original == _cny("12.55") and fee.amount == Money(Decimal("1.61"), "EUR")


@pytest.mark.rule("R4")
def test_R4_the_service_fee_rule_reads_as_words_with_one_money_format() -> None:
    assert RULE.service_fee.words() == "5 % of goods, at least 10.00 CNY"
    custom = PricingRule(fee_percent=Decimal("7.50"), fee_minimum_cny=Decimal("15"))
    assert custom.service_fee.words() == "7.5 % of goods, at least 15.00 CNY"
    assert Money(Decimal("1E+1"), "EUR").formatted() == "10.00 EUR"


def test_a_billing_issued_before_v3_reads_with_unknown_cny_amounts_and_its_issue_day() -> None:
    from shared.events.contracts import CONTRACTS

    old = CONTRACTS.contract("BillingIssued").old_examples[2]
    version, data = CONTRACTS.upcast("BillingIssued", 2, dict(old))
    assert version == 3
    assert {line["original"] for line in data["lines"]} == {None}
    assert (data["rate_date"], data["service_fee"]) == (old["issued_at"][:10], None)


@pytest.mark.rule("R4")
def test_R4_a_revision_keeps_the_billings_rate_and_fee_after_a_configuration_change() -> None:
    from datetime import date

    from services.billing.handlers.common import billed_rule

    issued = BillingIssued(
        "b1",
        "o1",
        "c1",
        "first",
        1,
        Money(Decimal("19.33"), "EUR"),
        [],
        Decimal("0.128"),
        NOW,
        rate_date=date(2026, 11, 20),
        service_fee=RULE.service_fee,
    )
    changed = PricingRule(cny_rate=Decimal("0.140"), fee_percent=Decimal("8"))
    rule = billed_rule(changed, issued)
    assert (rule.cny_rate, rule.rate_date, rule.service_fee) == (
        Decimal("0.128"),
        date(2026, 11, 20),
        RULE.service_fee,
    )
    [goods, *_] = first_billing_lines([PricedItem(1, _cny("100.00"), _cny("0"))], rule)
    assert goods.amount == Money(Decimal("12.80"), "EUR")  # not 14.00 at the new rate
