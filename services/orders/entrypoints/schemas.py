"""HTTP request bodies of the orders API (marshmallow lives here, at the boundary)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates

MARKETPLACE_HOSTS = ("taobao.com", "tmall.com", "1688.com", "alibaba.com")
MAX_ITEMS = 50


def _price() -> fields.Decimal:
    return fields.Decimal(
        required=True,
        as_string=True,
        places=2,
        allow_nan=False,
        validate=validate.Range(min=0, max=1_000_000),
    )


class ItemRequest(Schema):
    url = fields.Url(required=True, schemes={"https", "http"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    options = fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=fields.String(validate=validate.Length(max=100)),
        load_default=dict,
    )
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=9999))
    unit_price_cny = _price()
    domestic_shipping_cny = _price()

    @validates("url")
    def marketplace(self, value: str, **_: Any) -> None:
        host = (urlsplit(value).hostname or "").lower()
        if not any(host == h or host.endswith("." + h) for h in MARKETPLACE_HOSTS):
            raise ValidationError("the URL must be a Taobao, Tmall, 1688 or Alibaba item page")


class PlaceOrderRequest(Schema):
    items = fields.List(
        fields.Nested(ItemRequest), required=True, validate=validate.Length(min=1, max=MAX_ITEMS)
    )
    destination_country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    shipping_method = fields.String(required=True, validate=validate.Length(min=1, max=40))


class InspectedItemRequest(Schema):
    item_id = fields.String(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    weight_grams = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=100_000)
    )


class InspectionRequest(Schema):
    items = fields.List(
        fields.Nested(InspectedItemRequest), required=True, validate=validate.Length(min=1)
    )


class ReceptionReportRequest(Schema):
    all_well = fields.Boolean(required=True)
    comment = fields.String(load_default="", validate=validate.Length(max=5000))
