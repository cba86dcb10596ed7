"""A delivery address as the HTTP boundaries accept it: the orders API checks an order's
address with it and the gateway a saved one, so a saved address is always one an order takes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


def text(maximum: int, required: bool = True) -> fields.String:
    """A text field of at most `maximum` characters; a required one may not be empty."""
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=maximum))
    return fields.String(load_default="", validate=validate.Length(max=maximum))


class AddressSchema(Schema):
    """Name, street lines, city, postal code, country (ISO 3166 alpha-2) and phone."""

    name = text(100)
    line1 = text(200)
    line2 = text(200, required=False)
    city = text(100)
    postal_code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9 -]{2,12}$"))
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    phone = fields.String(load_default="", validate=validate.Regexp(r"^[0-9 +()-]{0,25}$"))
