"""Fee tables for every method: bracket edges, volumetric against actual weight, limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.shipping.domain.defaults import DEFAULT_TABLES
from services.shipping.domain.rates import (
    Dimensions,
    NotCarriedError,
    charge,
    chargeable_grams,
    parcel_fee,
)
from services.shipping.domain.zones import zone_of
from shared.money import Money

SMALL = (10, 10, 10)

# (method, country, grams, (L, W, H), expected fee, expected chargeable grams)
FEES = [
    ("EMS", "FR", 1, SMALL, "18.00", 500),
    ("EMS", "FR", 500, SMALL, "18.00", 500),
    ("EMS", "FR", 501, SMALL, "22.50", 1000),
    ("EMS", "FR", 1000, SMALL, "22.50", 1000),
    ("EMS", "FR", 100, (60, 40, 30), "121.50", 12_000),
    ("EMS", "FR", 30_000, SMALL, "283.50", 30_000),
    ("EMS", "JP", 500, SMALL, "12.00", 500),
    ("AIR", "JP", 1000, SMALL, "9.80", 1000),
    ("AIR", "JP", 1001, SMALL, "11.60", 1500),
    ("AIR", "JP", 100, (40, 30, 25), "24.20", 5000),
    ("AIR", "BR", 500, SMALL, "15.00", 500),
    ("SAL", "US", 1000, SMALL, "9.00", 1000),
    ("SAL", "US", 1001, SMALL, "12.50", 2000),
    ("SAL", "US", 100, (50, 40, 30), "47.50", 12_000),
    ("SAL", "US", 12_500, (50, 40, 30), "51.00", 13_000),
    ("SEA", "BR", 100, (100, 50, 40), "7.50", 1000),
    ("SEA", "BR", 2500, SMALL, "11.50", 3000),
    ("SEA", "DE", 1000, SMALL, "6.50", 1000),
    ("COURIER", "DE", 2000, SMALL, "35.40", 2000),
    ("COURIER", "DE", 100, (50, 50, 40), "172.20", 20_000),
    ("COURIER", "AU", 500, SMALL, "22.00", 500),
]


@pytest.mark.rule("R21")
@pytest.mark.parametrize(("method", "country", "grams", "size", "fee", "chargeable"), FEES)
def test_R21_fee_of_one_parcel(
    method: str, country: str, grams: int, size: tuple[int, int, int], fee: str, chargeable: int
) -> None:
    zone = zone_of(country)
    assert zone is not None
    found = charge(Dimensions(grams, *size), DEFAULT_TABLES[method], zone)
    assert found.fee == Money(Decimal(fee), "EUR")
    assert found.chargeable_grams == chargeable


def test_every_default_method_has_a_fee_row() -> None:
    assert {row[0] for row in FEES} == set(DEFAULT_TABLES)


@pytest.mark.parametrize(
    ("method", "country", "grams", "size", "reason"),
    [
        ("EMS", "FR", 30_001, SMALL, "at most 30000 g"),
        ("EMS", "FR", 1000, (151, 10, 10), "sides up to 150"),
        ("EMS", "FR", 1000, (150, 40, 40), "girth"),
        ("AIR", "FR", 20_001, SMALL, "at most 20000 g"),
        ("AIR", "FR", 1000, (100, 60, 50), "sum"),
        ("SAL", "FR", 1000, (106, 10, 10), "sides up to 105"),
        ("SEA", "JP", 1000, SMALL, "does not serve zone 1"),
        ("COURIER", "BR", 1000, SMALL, "does not serve zone 4"),
        ("COURIER", "FR", 70_001, SMALL, "at most 70000 g"),
        ("EMS", "FR", 0, SMALL, "positive"),
        ("EMS", "FR", -5, SMALL, "positive"),
    ],
)
def test_a_parcel_over_the_limits_is_not_carried(
    method: str, country: str, grams: int, size: tuple[int, int, int], reason: str
) -> None:
    zone = zone_of(country)
    assert zone is not None
    with pytest.raises(NotCarriedError, match=reason):
        parcel_fee(Dimensions(grams, *size), DEFAULT_TABLES[method], zone)


def test_chargeable_weight_is_the_larger_of_actual_and_volumetric() -> None:
    ems = DEFAULT_TABLES["EMS"]
    assert chargeable_grams(Dimensions(100, 60, 40, 30), ems) == 12_000
    assert chargeable_grams(Dimensions(12_300, 10, 10, 10), ems) == 12_500
    assert chargeable_grams(Dimensions(100, 60, 40, 30), DEFAULT_TABLES["SEA"]) == 1000


SERVED = [(m, z.zone) for m, table in sorted(DEFAULT_TABLES.items()) for z in table.zones]
sides = st.integers(1, 120)


def _fee(parcel: Dimensions, method: str, zone: int) -> Money | None:
    try:
        return parcel_fee(parcel, DEFAULT_TABLES[method], zone)
    except NotCarriedError:
        return None


@given(st.sampled_from(SERVED), st.integers(1, 40_000), st.integers(0, 20_000), sides, sides, sides)
def test_a_heavier_parcel_never_costs_less(
    served: tuple[str, int], grams: int, more: int, length: int, width: int, height: int
) -> None:
    method, zone = served
    heavy = _fee(Dimensions(grams + more, length, width, height), method, zone)
    light = _fee(Dimensions(grams, length, width, height), method, zone)
    if heavy is not None:
        assert light is not None and light <= heavy


@given(
    st.sampled_from(SERVED),
    st.integers(1, 30_000),
    sides,
    sides,
    sides,
    st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)),
)
def test_a_bigger_parcel_never_costs_less(
    served: tuple[str, int],
    grams: int,
    length: int,
    width: int,
    height: int,
    growth: tuple[int, int, int],
) -> None:
    method, zone = served
    small = Dimensions(grams, length, width, height)
    big = Dimensions(grams, length + growth[0], width + growth[1], height + growth[2])
    big_fee = _fee(big, method, zone)
    if big_fee is not None:
        small_fee = _fee(small, method, zone)
        assert small_fee is not None and small_fee <= big_fee
