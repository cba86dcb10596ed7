"""Money is exact, rounded half-up per currency, and never mixes currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.money import CurrencyMismatchError, Money


def test_amounts_round_half_up_to_the_minor_unit() -> None:
    assert Money.of("0.125", "EUR").amount == Decimal("0.13")
    assert Money.of("0.124", "EUR").amount == Decimal("0.12")
    assert Money.of("1234.5", "JPY").amount == Decimal("1235")


def test_conversion_records_the_rate_and_rounds_once() -> None:
    assert Money.of("45.50", "CNY").converted("EUR", Decimal("0.128")) == Money.of("5.82", "EUR")


def test_currencies_never_mix() -> None:
    with pytest.raises(CurrencyMismatchError):
        _ = Money.of(1, "EUR") + Money.of(1, "CNY")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
