"""International shipping fees: rate tables, chargeable weight and a first-weight plus step price.

Chargeable weight is the larger of the actual weight and the volumetric weight
(L x W x H in cm3 / divisor = kg), rounded up to the table's weight step. A table with a
divisor of 0 charges the actual weight only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from shared.money import Money


class NotCarriedError(ValueError):
    """The method cannot carry this parcel (weight, size or destination)."""


@dataclass(frozen=True)
class ZoneRate:
    """The prices and transit time of one method to one zone."""

    zone: int
    first_price: Decimal
    step_price: Decimal
    transit_days_min: int
    transit_days_max: int


@dataclass(frozen=True)
class RateTable:
    """One version of a method's rates: weight brackets per zone and the method's limits."""

    method: str
    name: str
    currency: str
    first_grams: int
    step_grams: int
    max_grams: int
    max_length_cm: int
    max_size_cm: int
    size_measure: str  # "girth": L + 2 x (W + H); "sum": L + W + H
    volumetric_divisor: int
    zones: list[ZoneRate]

    def zone_rate(self, zone: int) -> ZoneRate | None:
        """The prices to `zone` (None when the method does not serve it)."""
        return next((z for z in self.zones if z.zone == zone), None)


@dataclass(frozen=True)
class Dimensions:
    """A parcel's actual weight and its three sides."""

    weight_grams: int
    length_cm: int
    width_cm: int
    height_cm: int


@dataclass(frozen=True)
class Charge:
    """What one parcel costs on one method to one zone."""

    chargeable_grams: int
    fee: Money
    transit_days_min: int
    transit_days_max: int


def size_of(parcel: Dimensions, measure: str) -> int:
    """The parcel's size by `measure` (longest side plus girth, or the sum of the sides)."""
    longest, *others = sorted((parcel.length_cm, parcel.width_cm, parcel.height_cm), reverse=True)
    return longest + (2 * sum(others) if measure == "girth" else sum(others))


def chargeable_grams(parcel: Dimensions, table: RateTable) -> int:
    """max(actual, volumetric) rounded up to the table's step."""
    volumetric = 0
    if table.volumetric_divisor:
        volume = parcel.length_cm * parcel.width_cm * parcel.height_cm
        volumetric = math.ceil(volume * 1000 / table.volumetric_divisor)
    weight = max(parcel.weight_grams, volumetric)
    return math.ceil(weight / table.step_grams) * table.step_grams


def check_limits(parcel: Dimensions, table: RateTable) -> None:
    """Refuse a parcel over the method's weight or size limits."""
    if parcel.weight_grams <= 0 or min(parcel.length_cm, parcel.width_cm, parcel.height_cm) <= 0:
        raise NotCarriedError("weight and sides must be positive")
    if parcel.weight_grams > table.max_grams:
        raise NotCarriedError(f"{table.method} carries at most {table.max_grams} g")
    if max(parcel.length_cm, parcel.width_cm, parcel.height_cm) > table.max_length_cm:
        raise NotCarriedError(f"{table.method} takes sides up to {table.max_length_cm} cm")
    if size_of(parcel, table.size_measure) > table.max_size_cm:
        raise NotCarriedError(
            f"{table.method} takes a size ({table.size_measure}) up to {table.max_size_cm} cm"
        )


def charge(parcel: Dimensions, table: RateTable, zone: int) -> Charge:
    """The fee of one parcel to `zone` (NotCarriedError when the method cannot carry it)."""
    rate = table.zone_rate(zone)
    if rate is None:
        raise NotCarriedError(f"{table.method} does not serve zone {zone}")
    check_limits(parcel, table)
    grams = chargeable_grams(parcel, table)
    extra_steps = max(0, math.ceil((grams - table.first_grams) / table.step_grams))
    amount = rate.first_price + rate.step_price * extra_steps
    fee = Money(amount, table.currency).rounded()
    return Charge(grams, fee, rate.transit_days_min, rate.transit_days_max)


def parcel_fee(parcel: Dimensions, table: RateTable, zone: int) -> Money:
    """The fee of one parcel to `zone`."""
    return charge(parcel, table, zone).fee
