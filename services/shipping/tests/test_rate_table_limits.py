"""A rate table staff set must be able to price every parcel it accepts: a price of 1e30 once
made every estimate and every packing quote answer 500 (the fee could not be rounded to
cents), so prices, weights, sizes and transit days have upper bounds, and at those bounds the
dearest parcel a table carries still has a fee."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.shipping.domain.defaults import DEFAULT_TABLES
from services.shipping.domain.ratebook import (
    MAX_CM,
    MAX_DIVISOR,
    MAX_GRAMS,
    MAX_PRICE,
    MAX_TRANSIT_DAYS,
    validate_table,
)
from services.shipping.domain.rates import Dimensions, RateTable, charge
from shared.domain_errors import ValidationError

EMS = DEFAULT_TABLES["EMS"]


def _priced(first: Decimal, step: Decimal) -> RateTable:
    return replace(EMS, zones=[replace(z, first_price=first, step_price=step) for z in EMS.zones])


@pytest.mark.rule("R21")
@pytest.mark.parametrize(
    "table",
    [
        _priced(Decimal("1E+30"), Decimal("2.50")),
        _priced(Decimal("12.00"), Decimal("1E+999999")),
        _priced(MAX_PRICE + Decimal("0.01"), Decimal(0)),
        replace(EMS, max_grams=2**63 - 1),
        replace(EMS, first_grams=MAX_GRAMS + 1, max_grams=MAX_GRAMS + 1),
        replace(EMS, max_length_cm=MAX_CM + 1),
        replace(EMS, max_size_cm=2**63 - 1),
        replace(EMS, volumetric_divisor=MAX_DIVISOR + 1),
        replace(EMS, zones=[replace(EMS.zones[0], transit_days_max=MAX_TRANSIT_DAYS + 1)]),
    ],
)
def test_R21_a_rate_table_beyond_the_bounds_is_refused_with_what_is_wrong(
    table: RateTable,
) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_table(table)
    assert "at most" in str(refused.value)


def _extreme(divisor: int, measure: str) -> RateTable:
    """The dearest table the bounds allow: every limit and price at its maximum."""
    zone = replace(EMS.zones[0], first_price=MAX_PRICE, step_price=MAX_PRICE)
    return replace(
        EMS,
        currency="EUR",
        first_grams=1,
        step_grams=1,
        max_grams=MAX_GRAMS,
        max_length_cm=MAX_CM,
        max_size_cm=MAX_CM,
        size_measure=measure,
        volumetric_divisor=divisor,
        zones=[zone],
    )


@pytest.mark.rule("R21")
@given(
    divisor=st.integers(0, MAX_DIVISOR),
    measure=st.sampled_from(["girth", "sum"]),
    grams=st.integers(1, MAX_GRAMS),
    sides=st.tuples(*[st.integers(1, MAX_CM // 5)] * 3),  # a girth within MAX_CM
)
@example(divisor=1, measure="girth", grams=MAX_GRAMS, sides=(MAX_CM // 5,) * 3)
def test_R21_a_table_within_the_bounds_prices_every_parcel_it_carries(
    divisor: int, measure: str, grams: int, sides: tuple[int, int, int]
) -> None:
    table = _extreme(divisor, measure)
    validate_table(table)
    found = charge(Dimensions(grams, *sides), table, table.zones[0].zone)
    assert found.fee.amount >= MAX_PRICE


def test_the_default_tables_are_within_the_bounds() -> None:
    for table in DEFAULT_TABLES.values():
        validate_table(table)
