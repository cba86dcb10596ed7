"""marshmallow building blocks shared by the contracts (money travels as strings)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from shared.money import MINOR_UNITS


class MoneySchema(Schema):
    """An exact amount with its currency: {"amount": "12.30", "currency": "CNY"}."""

    amount = fields.Decimal(required=True, as_string=True, allow_nan=False)
    currency = fields.String(required=True, validate=validate.OneOf(sorted(MINOR_UNITS)))


def money(**kwargs: Any) -> fields.Nested:
    """A required money field."""
    return fields.Nested(MoneySchema, required=True, **kwargs)


def identifier() -> fields.String:
    """A required non-empty id."""
    return fields.String(required=True, validate=validate.Length(min=1, max=100))


def timestamp() -> fields.AwareDateTime:
    """A required timestamp with its offset."""
    return fields.AwareDateTime(required=True)
