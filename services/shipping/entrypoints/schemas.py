"""Request schemas of the shipping API (marshmallow stays at the HTTP boundary)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.money import MINOR_UNITS

METHOD = r"^[A-Z][A-Z0-9_]{1,19}$"


def _dimension(maximum: int) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=maximum))


def _count(minimum: int = 1) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=minimum))


class ParcelRequest(Schema):
    weight_grams = _dimension(100_000)
    length_cm = _dimension(300)
    width_cm = _dimension(300)
    height_cm = _dimension(300)
    items = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list)


class PackRequest(Schema):
    parcels = fields.List(
        fields.Nested(ParcelRequest), required=True, validate=validate.Length(min=1, max=20)
    )


class TrackingRequest(Schema):
    parcel_id = fields.String(required=True)
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=40))
    tracking_number = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,60}$"))


class ShipRequest(Schema):
    parcels = fields.List(
        fields.Nested(TrackingRequest), required=True, validate=validate.Length(min=1)
    )


class MethodRequest(Schema):
    method = fields.String(required=True, validate=validate.Regexp(METHOD))


class EstimateRequest(Schema):
    """Weight and sides may be any integer here: the domain explains what is impossible."""

    country = fields.String(required=True, validate=validate.Length(equal=2))
    weight_grams = fields.Integer(required=True)
    length_cm = fields.Integer(required=True)
    width_cm = fields.Integer(required=True)
    height_cm = fields.Integer(required=True)


class ZoneRequest(Schema):
    zone = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=9))
    first_price = fields.Decimal(required=True, validate=validate.Range(min=0))
    step_price = fields.Decimal(required=True, validate=validate.Range(min=0))
    transit_days_min = _count()
    transit_days_max = _count()


class RateTableRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    currency = fields.String(required=True, validate=validate.OneOf(sorted(MINOR_UNITS)))
    first_grams = _count()
    step_grams = _count()
    max_grams = _count()
    max_length_cm = _count()
    max_size_cm = _count()
    size_measure = fields.String(required=True, validate=validate.OneOf(("girth", "sum")))
    volumetric_divisor = _count(0)
    zones = fields.List(
        fields.Nested(ZoneRequest), required=True, validate=validate.Length(min=1, max=9)
    )
