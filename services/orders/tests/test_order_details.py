"""The order details document (R1-R5) is the aggregate's own fold plus what pages show: it
carries every state the fold needs, so its statuses are the order's whatever the history."""

from __future__ import annotations

from typing import Any

import pytest

from services.orders.adapters.projections import fold, shown_order
from services.orders.domain import events as ev
from services.orders.domain.order import Order
from services.orders.domain.status import ItemStatus, OrderStatus
from services.orders.tests.builders import NOW, ORDER_ID, history


def _document(events: list[object]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for event in events:
        fold(ORDER_ID, doc, event)
    return doc


def _exchanged(kind: str, accepted: bool) -> list[object]:
    return [
        *history(OrderStatus.INSPECTED),
        ev.ExchangeOpened(ORDER_ID, "itm-1", kind, NOW),
        ev.ExchangeAnswered(ORDER_ID, "itm-1", accepted, NOW),
    ]


HISTORIES = {
    **{status.value: history(status) for status in OrderStatus},
    "items changed": [
        *history(OrderStatus.APPLIED),
        *Order.replay(ORDER_ID, history(OrderStatus.APPLIED)).change_items({"itm-2": 0}, NOW),
    ],
    "exchange opened": [
        *history(OrderStatus.INSPECTED),
        ev.ExchangeOpened(ORDER_ID, "itm-2", "return", NOW),
    ],
    "exchange accepted": _exchanged("exchange", True),
    "exchange refused": _exchanged("exchange", False),
}


@pytest.mark.parametrize("events", HISTORIES.values(), ids=HISTORIES.keys())
def test_the_document_shows_the_order_the_aggregate_folds(events: list[object]) -> None:
    order = Order.replay(ORDER_ID, events)
    shown = shown_order(ORDER_ID, _document(events))
    assert (shown.status, shown.items) == (order.status, order.items)


@pytest.mark.rule("R20")
def test_R20_an_order_whose_last_item_is_unavailable_shows_cancelled() -> None:
    # No item left is no order left: the decision that empties it cancels it in the same
    # append (the aggregate's fold alone would call an empty order's items all progressed).
    events = history(OrderStatus.AWAITING_ARRIVAL)
    order = Order.replay(ORDER_ID, events)
    for item_id in ("itm-1", "itm-2"):
        for event in order.mark_unavailable(item_id, "sold out", NOW):
            order.apply(event)
            events.append(event)
    doc = _document(events)
    assert order.status is OrderStatus.CANCELLED
    assert (doc["status"], doc["cancel_reason"]) == ("cancelled", "nothing_purchasable")
    assert [i["status"] for i in doc["items"]] == [ItemStatus.CANCELLED] * 2
    assert doc["next_action"] is None
