"""A refused form in words beside each field: the orders API's real marshmallow refusals
turned into sentences a customer understands, each on its form field."""

from __future__ import annotations

from typing import Any

import marshmallow

from services.gateway.entrypoints.pages.form_errors import (
    ESTIMATE_FORM,
    ITEM_CHANGES_FORM,
    MESSAGE_FORM,
    ORDER_FORM,
    form_errors,
)
from services.orders.entrypoints.schemas import ChangeItemsRequest, PlaceOrderRequest

GOOD_ITEM = {
    "url": "https://item.taobao.com/item.htm?id=1",
    "title": "Tote",
    "quantity": 2,
    "unit_price_cny": "45.50",
    "domestic_shipping_cny": "0",
}
GOOD_ADDRESS = {
    "name": "A",
    "line1": "1 rue",
    "city": "Lyon",
    "postal_code": "69003",
    "country": "FR",
}


def _refusal(schema: marshmallow.Schema, body: dict[str, Any]) -> Any:
    """What the service answers as `message` (shared/web/errors.py): marshmallow's map."""
    try:
        schema.load(body)
    except marshmallow.ValidationError as exc:
        return exc.messages
    raise AssertionError("the body was accepted")


def test_a_bad_quantity_and_address_read_as_sentences_beside_their_fields() -> None:
    body = {
        "items": [{**GOOD_ITEM, "quantity": "two"}],
        "address": {**GOOD_ADDRESS, "city": "", "country": "France"},
        "shipping_method": "EMS",
    }
    errors = form_errors(_refusal(PlaceOrderRequest(), body), ORDER_FORM)
    assert errors.of("items-0-quantity") == "Quantity of item 1 must be a whole number, like 2."
    assert errors.of("address-city") == "The city is needed, up to 100 characters."
    assert errors.of("address-country") == (
        "The country is not written as expected: a two-letter code, like FR or DE."
    )
    assert errors.general == []
    for said in errors.sentences:  # no field path, no marshmallow wording
        assert ":" not in said.split(" expected")[0] and "Not a valid" not in said


def test_the_second_item_and_a_foreign_shop_are_named_in_words() -> None:
    body = {
        "items": [GOOD_ITEM, {**GOOD_ITEM, "url": "https://www.amazon.com/dp/B0"}],
        "address": GOOD_ADDRESS,
        "shipping_method": "ROCKET",
    }
    errors = form_errors(_refusal(PlaceOrderRequest(), body), ORDER_FORM)
    assert errors.of("items-1-url") == (
        "The item URL of item 2 must be a Taobao, Tmall, 1688 or Alibaba item page."
    )
    assert errors.of("shipping_method") == "The shipping method must be one of the methods listed."
    assert errors.of("items-0-url") == ""


def test_an_order_without_items_says_to_add_one() -> None:
    body = {"items": [], "address": GOOD_ADDRESS, "shipping_method": "EMS"}
    errors = form_errors(_refusal(PlaceOrderRequest(), body), ORDER_FORM)
    assert errors.of("items-0-url") == "Your order needs at least one item, with its URL."


def test_an_item_change_names_the_changed_items_field() -> None:
    message = _refusal(ChangeItemsRequest(), {"changes": [{"item_id": "itm-2", "quantity": -1}]})
    errors = form_errors(message, ITEM_CHANGES_FORM, {0: "itm-2"})
    assert errors.of("quantity-itm-2") == "The quantity must be from 0 to 9999."


def test_a_refused_attachment_is_said_beside_the_attachment_field() -> None:
    said = "attachment 2 (setup.exe) is not an accepted kind (JPEG, PNG, GIF, WebP or PDF)"
    errors = form_errors(said, MESSAGE_FORM)
    assert errors.of("attachments") == (
        "Attachment 2 (setup.exe) is not an accepted kind (JPEG, PNG, GIF, WebP or PDF)."
    )
    assert errors.general == []


def test_a_rule_refusal_about_no_field_is_one_sentence_above_the_form() -> None:
    errors = form_errors("order ord-1 is purchasing: it can no longer be cancelled", {})
    assert errors.general == ["Order ord-1 is purchasing: it can no longer be cancelled."]
    assert not errors.fields
    dated = form_errors("the transfer date cannot be in the future", {})
    assert dated.of("paid_on") == "The transfer date cannot be in the future."


def test_the_estimator_says_what_a_country_is() -> None:
    errors = form_errors({"country": ["Length must be 2."]}, ESTIMATE_FORM)
    assert (
        errors.of("country") == "The destination country must be a two-letter code, like FR or DE."
    )
