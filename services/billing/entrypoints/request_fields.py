"""The fields billing's request bodies share: an amount of money and its currency."""

from __future__ import annotations

from marshmallow import fields, validate

from shared.money import MINOR_UNITS


def amount_field(low: int, high: int, *, low_inclusive: bool = True) -> fields.Decimal:
    """A required amount, sent as a string with at most two places, from `low` to `high`."""
    bounds = validate.Range(min=low, min_inclusive=low_inclusive, max=high)
    return fields.Decimal(required=True, as_string=True, allow_nan=False, places=2, validate=bounds)


def positive_amount_field(high: int) -> fields.Decimal:
    """A required amount above zero, up to `high`."""
    return amount_field(0, high, low_inclusive=False)


def currency_field() -> fields.String:
    """A required currency we know the minor units of."""
    return fields.String(required=True, validate=validate.OneOf(sorted(MINOR_UNITS)))
