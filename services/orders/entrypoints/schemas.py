"""HTTP request bodies of the orders API (marshmallow lives here, at the boundary)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from shared.web.address_schema import AddressSchema, text

MARKETPLACE_HOSTS = ("taobao.com", "tmall.com", "1688.com", "alibaba.com")
MARKETPLACE_URL_PATTERN = r"^https?://([a-z0-9-]+\.)*(taobao|tmall|1688|alibaba)\.com/[!-~]*$"
MAX_ITEMS = 50
SHIPPING_METHODS = ("EMS", "AIR", "SAL", "SEA", "COURIER")  # the shipping service's methods


def _price() -> fields.Decimal:
    return fields.Decimal(
        required=True,
        as_string=True,
        places=2,
        allow_nan=False,
        validate=validate.Range(min=0, max=1_000_000),
    )


class ItemRequest(Schema):
    # The pattern only tells clients (and the fuzzer) what `marketplace` below accepts.
    url = fields.Url(
        required=True,
        schemes={"https", "http"},
        metadata={"pattern": MARKETPLACE_URL_PATTERN},
    )
    title = text(300)
    options = fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=fields.String(validate=validate.Length(max=100)),
        load_default=dict,
        validate=validate.Length(max=10),
    )
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=9999))
    unit_price_cny = _price()
    domestic_shipping_cny = _price()

    @validates("url")
    def marketplace(self, value: str, **_: Any) -> None:
        host = (urlsplit(value).hostname or "").lower()
        if not any(host == h or host.endswith("." + h) for h in MARKETPLACE_HOSTS):
            raise ValidationError("the URL must be a Taobao, Tmall, 1688 or Alibaba item page")

    @post_load
    def secure_link(self, item: dict[str, Any], **_: Any) -> dict[str, Any]:
        """An http:// item link as the https:// page the marketplace serves: OrderPlaced
        carries https links only (an http one made the append fail with a 500)."""
        scheme, _, rest = item["url"].partition("://")
        return {**item, "url": f"https://{rest}"} if scheme.lower() == "http" else item


class PlaceOrderRequest(Schema):
    items = fields.List(
        fields.Nested(ItemRequest), required=True, validate=validate.Length(min=1, max=MAX_ITEMS)
    )
    address = fields.Nested(AddressSchema, required=True)
    shipping_method = fields.String(required=True, validate=validate.OneOf(SHIPPING_METHODS))
    note = text(2000, required=False)


class ItemChange(Schema):
    item_id = text(40)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=9999))


class ChangeItemsRequest(Schema):
    changes = fields.List(
        fields.Nested(ItemChange), required=True, validate=validate.Length(min=1, max=MAX_ITEMS)
    )


class TextRequest(Schema):
    text = text(2000)


class AnswerRequest(Schema):
    answer = text(2000)


class ReasonRequest(Schema):
    reason = text(500)


class ExchangeRequest(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("exchange", "return")))


class ExchangeAnswerRequest(Schema):
    accepted = fields.Boolean(required=True)
    local_cost_cny = fields.Decimal(
        load_default=None,
        allow_none=True,
        as_string=True,
        places=2,
        validate=validate.Range(min=0, max=100_000),
    )


class InspectionForm(Schema):
    checked_quantity = fields.Integer(required=True, validate=validate.Range(min=0, max=9999))
    type_matches = fields.Boolean(required=True)
    weight_grams = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=100_000)
    )


class ReceptionReportRequest(Schema):
    all_well = fields.Boolean(required=True)
    comment = text(5000, required=False)


class FeedbackRequest(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    text = text(2000, required=False)
