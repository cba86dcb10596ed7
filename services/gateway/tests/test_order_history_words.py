"""The staff order page's history in words (R27): who did it, and what."""

from __future__ import annotations

import pytest

from services.gateway.entrypoints.pages.order_history import (
    AUTOMATIC,
    CUSTOMER,
    what_happened,
    who_did,
)

NAMES = {"staff-1a2b": "Wei Zhang", "staff-3c4d": "lin@cnnect.example"}


@pytest.mark.rule("R27")
@pytest.mark.parametrize(
    ("actor", "who"),
    [
        ("cus-9f", CUSTOMER),
        ("staff-1a2b", "Wei Zhang"),
        ("staff-3c4d", "lin@cnnect.example"),  # no display name: the e-mail
        ("scheduler", AUTOMATIC),
        ("billing", AUTOMATIC),
        (None, AUTOMATIC),  # what another service's event caused
        ("staff-gone", "staff-gone"),  # an id the accounts do not know: as it is
    ],
)
def test_each_actor_is_named_as_staff_say_it(actor: str | None, who: str) -> None:
    assert who_did(actor, "cus-9f", NAMES) == who


@pytest.mark.rule("R27")
def test_what_happened_uses_the_live_feeds_sentences_and_adds_the_orders_own() -> None:
    placed = {"items": [{"title": "Mug"}], "destination_country": "SE", "shipping_method": "EMS"}
    assert what_happened("OrderPlaced", placed) == "1 item (Mug) to SE by EMS"
    assert what_happened("ItemPurchased", {"item_id": "itm-2"}) == "itm-2"
    amount = {"amount": {"amount": "19.3", "currency": "EUR"}}
    assert what_happened("FirstBillingIssued", amount) == "19.30 EUR"
    assert what_happened("FirstBillingPaid", {}) == ""
    assert what_happened("SomethingNew", {"x": 1}) == ""
    assert what_happened("ItemInspected", {"item_id": None, "checked_quantity": 2}) == (
        "an item, 2 checked"
    )
