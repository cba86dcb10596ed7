"""The deposit never goes below zero (R8), on the pure domain model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.deposit import Deposit, InsufficientDepositError
from shared.domain_errors import ValidationError
from shared.money import Money

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _eur(amount: str | Decimal) -> Money:
    return Money(Decimal(amount), "EUR")


@pytest.mark.rule("R8")
def test_R8_a_debit_larger_than_the_balance_is_refused() -> None:
    deposit = Deposit("cus-1")
    deposit.apply(deposit.credit("e1", _eur("10.00"), "refund", "item gone", "b1", NOW)[0])
    with pytest.raises(InsufficientDepositError):
        deposit.debit("e2", _eur("10.01"), "payment", "billing", "b2", NOW)
    deposit.apply(deposit.debit("e3", _eur("10.00"), "payment", "billing", "b2", NOW)[0])
    assert deposit.balance == _eur("0.00")


@pytest.mark.rule("R8")
def test_R8_the_deposit_pays_what_it_can_and_leaves_the_rest() -> None:
    deposit = Deposit("cus-1")
    deposit.apply(deposit.credit("e1", _eur("4.00"), "overpayment", "b1", "b1", NOW)[0])
    assert deposit.usable_for(_eur("19.33")) == _eur("4.00")
    assert deposit.usable_for(_eur("3.00")) == _eur("3.00")


def test_credits_must_be_positive_and_of_a_known_kind() -> None:
    with pytest.raises(ValidationError):
        Deposit("c").credit("e", _eur("-1"), "refund", "x", "y", NOW)
    with pytest.raises(ValidationError):
        Deposit("c").credit("e", _eur("1"), "gift", "x", "y", NOW)


@pytest.mark.rule("R8")
@given(st.lists(st.tuples(st.booleans(), st.decimals("0.01", "100", places=2)), max_size=40))
def test_R8_no_sequence_of_credits_and_debits_overdraws(
    entries: list[tuple[bool, Decimal]],
) -> None:
    deposit = Deposit("cus-1")
    for n, (is_credit, amount) in enumerate(entries):
        decide = deposit.credit if is_credit else deposit.debit
        try:
            new = decide(f"e{n}", _eur(amount), "refund" if is_credit else "payment", "r", "x", NOW)
        except InsufficientDepositError:
            continue
        for event in new:
            deposit.apply(event)
        assert deposit.balance is not None and deposit.balance.amount >= 0
