"""Shipping fees and the shipment's rules, on the pure domain model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.shipping.domain.rates import DEFAULT_RATES, Dimensions, chargeable_grams, parcel_fee
from services.shipping.domain.shipment import Parcel, Shipment, ShipmentOpened
from shared.events.errors import InvalidTransitionError
from shared.money import Money

NOW = datetime(2026, 11, 27, tzinfo=UTC)
EMS = DEFAULT_RATES["EMS"]


@pytest.mark.parametrize(
    ("grams", "size", "fee"),
    [
        (1, (10, 10, 10), "18.00"),
        (500, (10, 10, 10), "18.00"),
        (501, (10, 10, 10), "22.50"),
        (1000, (10, 10, 10), "22.50"),
        (100, (60, 40, 30), "121.50"),
    ],
    ids=["minimum", "first-bracket-edge", "just-over", "second-edge", "volumetric"],
)
def test_ems_fees_at_bracket_edges_and_by_volume(
    grams: int, size: tuple[int, int, int], fee: str
) -> None:
    assert parcel_fee(Dimensions(grams, *size), EMS) == Money(Decimal(fee), "EUR")


def test_chargeable_weight_is_the_larger_of_actual_and_volumetric() -> None:
    assert chargeable_grams(Dimensions(100, 60, 40, 30), EMS) == 12_000
    assert chargeable_grams(Dimensions(12_300, 10, 10, 10), EMS) == 12_500


@given(
    st.sampled_from(sorted(DEFAULT_RATES)),
    st.integers(1, 15_000),
    st.integers(0, 5_000),
    st.integers(1, 60),
    st.integers(1, 60),
    st.integers(1, 60),
)
def test_a_heavier_parcel_never_costs_less(
    method: str, grams: int, more: int, length: int, width: int, height: int
) -> None:
    rate = DEFAULT_RATES[method]
    light = Dimensions(grams, length, width, height)
    heavy = Dimensions(grams + more, length, width, height)
    try:
        heavy_fee = parcel_fee(heavy, rate)
    except ValueError:
        return  # over the method's limit
    assert parcel_fee(light, rate) <= heavy_fee


def _opened() -> Shipment:
    return Shipment.replay("o1", [ShipmentOpened("o1", "c1", "EMS", "FR", NOW)])


@pytest.mark.rule("R21")
def test_R21_the_quote_is_the_sum_of_the_parcels_fees() -> None:
    [quote] = _opened().quote_parcels(
        "q1", [Parcel("par-1", 500, 10, 10, 10), Parcel("par-2", 501, 10, 10, 10)], NOW
    )
    assert quote.fee == Money(Decimal("40.50"), "EUR")  # type: ignore[attr-defined]


@pytest.mark.rule("R6")
def test_R6_shipping_is_refused_until_the_second_billing_is_paid() -> None:
    shipment = _opened()
    for event in shipment.quote_parcels("q1", [Parcel("par-1", 500, 10, 10, 10)], NOW):
        shipment.apply(event)
    with pytest.raises(InvalidTransitionError, match="not paid"):
        shipment.ship({"par-1": ("EMS", "EE1CN")}, NOW)
    for event in shipment.record_payment("b2", NOW):
        shipment.apply(event)
    [shipped] = shipment.ship({"par-1": ("EMS", "EE123CN")}, NOW)
    assert shipped.parcels[0].tracking_url.endswith("EE123CN")  # type: ignore[attr-defined]
