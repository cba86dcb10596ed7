"""International shipping fees: chargeable weight and a first-weight plus step price.

Chargeable weight is the larger of the actual weight and the volumetric weight
(L x W x H / divisor, in grams per cm3 convention: cm3 / divisor = kg), rounded up to the
bracket step."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from shared.money import Money


@dataclass(frozen=True)
class Rate:
    method: str
    first_grams: int
    first_price: Money
    step_grams: int
    step_price: Money
    max_grams: int
    volumetric_divisor: int


@dataclass(frozen=True)
class Dimensions:
    weight_grams: int
    length_cm: int
    width_cm: int
    height_cm: int


DEFAULT_RATES = {
    "EMS": Rate("EMS", 500, Money.of("18.00", "EUR"), 500, Money.of("4.50", "EUR"), 30_000, 6000),
    "AIR": Rate("AIR", 500, Money.of("12.00", "EUR"), 500, Money.of("3.20", "EUR"), 20_000, 6000),
    "SAL": Rate("SAL", 1000, Money.of("10.00", "EUR"), 1000, Money.of("4.00", "EUR"), 30_000, 5000),
}


def chargeable_grams(parcel: Dimensions, rate: Rate) -> int:
    """max(actual, volumetric) rounded up to the rate's step."""
    volumetric = math.ceil(
        parcel.length_cm * parcel.width_cm * parcel.height_cm * 1000 / rate.volumetric_divisor
    )
    weight = max(parcel.weight_grams, volumetric)
    return math.ceil(weight / rate.step_grams) * rate.step_grams


def parcel_fee(parcel: Dimensions, rate: Rate) -> Money:
    """The fee of one parcel."""
    grams = chargeable_grams(parcel, rate)
    if grams > rate.max_grams:
        raise ValueError(f"{rate.method} carries at most {rate.max_grams} g")
    extra_steps = max(0, math.ceil((grams - rate.first_grams) / rate.step_grams))
    return (rate.first_price + rate.step_price * Decimal(extra_steps)).rounded()
