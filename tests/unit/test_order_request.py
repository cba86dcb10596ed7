"""What the orders API accepts in an order request, the OrderPlaced contract accepts too: an
accepted request whose event the store then refuses is a 500."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from services.orders.entrypoints.schemas import PlaceOrderRequest
from shared.events.contracts.schemas import OrderedItemSchema
from tests.support.journey import ORDER


def _item_event(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": "itm-1",
        "url": item["url"],
        "title": item["title"],
        "options": item["options"],
        "quantity": item["quantity"],
        "unit_price": {"amount": str(item["unit_price_cny"]), "currency": "CNY"},
        "domestic_shipping": {"amount": str(item["domestic_shipping_cny"]), "currency": "CNY"},
    }


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("http://item.taobao.com/item.htm?id=1", "https://item.taobao.com/item.htm?id=1"),
        ("HTTP://detail.1688.com/offer/5.html", "https://detail.1688.com/offer/5.html"),
        ("https://item.tmall.com/item.htm?id=2", "https://item.tmall.com/item.htm?id=2"),
    ],
)
def test_an_item_link_is_kept_as_the_https_page_the_event_contract_takes(
    sent: str, kept: str
) -> None:
    body = {**ORDER, "items": [{**ORDER["items"][0], "url": sent}]}
    [item] = PlaceOrderRequest().load(body)["items"]
    assert item["url"] == kept
    OrderedItemSchema().load(_item_event(item))  # the contract takes it (it refused http)


def test_a_link_elsewhere_is_still_refused() -> None:
    body = {**ORDER, "items": [{**ORDER["items"][0], "url": "http://evil.example/taobao.com/"}]}
    with pytest.raises(ValidationError, match="Taobao"):
        PlaceOrderRequest().load(body)
