"""marshmallow building blocks shared by the contracts (money travels as strings)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from shared.money import MINOR_UNITS
from shared.personal.sealing import TEXT_PREFIX, SealError, is_sealed, sealed_owner


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


def personal_text(max_length: int, min_length: int = 0, **kwargs: Any) -> fields.String:
    """A customer's free text: sealed under their key (shared/personal), or plain in events
    from before sealing. The length limits are the plain text's; a sealed text is checked for
    its form and for the length such a plain text seals to."""
    return fields.String(validate=_PersonalLength(min_length, max_length), **kwargs)


class _PersonalLength(validate.Validator):
    def __init__(self, min_length: int, max_length: int) -> None:
        self.plain = validate.Length(min=min_length, max=max_length)
        # Nonce and tag, four UTF-8 bytes a character, base64, the prefix and an id.
        self.sealed_max = (12 + 16 + 4 * max_length) * 4 // 3 + 4 + len(TEXT_PREFIX) + 101

    def __call__(self, value: str) -> str:
        if not is_sealed(value):
            return self.plain(value)
        try:
            sealed_owner(value)
        except SealError as exc:
            raise ValidationError("not a sealed text") from exc
        if len(value) > self.sealed_max:
            raise ValidationError(f"longer than a sealed text of {self.plain.max} characters")
        return value
