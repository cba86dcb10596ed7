"""The order application form as the orders API wants it: numbered item rows, options
written as `name: value` pairs, the address and the shipping method."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from services.gateway.entrypoints.pages.common import number
from services.gateway.entrypoints.pages.vocabulary import SHIPPING_METHOD_WORDS

MAX_ROWS = 50
ITEM_FIELDS = ("url", "title", "options", "quantity", "unit_price_cny", "domestic_shipping_cny")
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "phone")
SHIPPING_METHODS = tuple(SHIPPING_METHOD_WORDS.items())  # the one name of each (vocabulary)


def order_request(form: MultiDict[str, str]) -> tuple[dict[str, Any], int]:
    """The JSON body of a PlaceOrder request, and how many item rows the form had. Values
    are passed on as typed; the orders API judges them and says what is wrong."""
    items = []
    rows = 0
    for n in range(MAX_ROWS):
        row = {name: form.get(f"items-{n}-{name}", "").strip() for name in ITEM_FIELDS}
        if not any(f"items-{n}-{name}" in form for name in ITEM_FIELDS):
            break
        rows = n + 1
        if not any(row.values()):
            continue  # an empty row of the form
        items.append(
            {
                "url": row["url"],
                "title": row["title"],
                "options": options(row["options"]),
                "quantity": number(row["quantity"]),
                "unit_price_cny": row["unit_price_cny"],
                "domestic_shipping_cny": row["domestic_shipping_cny"] or "0",
            }
        )
    body = {
        "items": items,
        "address": {
            name: (
                form.get(f"address-{name}", "").strip().upper()
                if name == "country"
                else form.get(f"address-{name}", "").strip()
            )
            for name in ADDRESS_FIELDS
        },
        "shipping_method": form.get("shipping_method", ""),
        "note": form.get("note", "").strip(),
    }
    return body, max(rows, 1)


def options(text: str) -> dict[str, str]:
    """`colour: navy; size: L` (or one pair per line) as a dict."""
    pairs = {}
    for part in text.replace("\n", ";").split(";"):
        name, _, value = part.partition(":")
        if name.strip():
            pairs[name.strip()] = value.strip()
    return pairs
