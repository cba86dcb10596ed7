"""The shipping read side: queries of `shipment_summaries`, as functions of the store."""

from __future__ import annotations

from typing import Any

from shared.events.store import EventStore
from shared.web.paging import Paged, QueuePage, Search, paged_rows

QUEUES = {"to-pack": "to_pack", "awaiting-payment": "awaiting_payment", "to-ship": "to_ship"}
_QUEUE_COLUMNS = (
    "order_id, customer_id, method, status, destination_country, opened_at, fee, quoted_at, "
    "paid_at, parcels, tracking"
)


def shipment(store: EventStore, order_id: str) -> dict[str, Any] | None:
    """An order's shipping information (R6) with its tracking numbers, if it has any."""
    rows = store.query("SELECT * FROM shipment_summaries WHERE order_id = %s", (order_id,))
    if not rows:
        return None
    return {**rows[0], "tracking_numbers": [p["tracking_number"] for p in rows[0]["tracking"]]}


def by_tracking(store: EventStore, page: QueuePage) -> Paged:
    """The orders whose tracking numbers hold the searched text, newest first (R27)."""
    return paged_rows(
        store,
        "SELECT order_id, status FROM shipment_summaries",
        "true",
        "opened_at DESC, order_id",
        Search(("tracking",)),
        page,
    )


def queue(store: EventStore, name: str, page: QueuePage) -> Paged:
    """A staff queue (`QUEUES`: to pack, awaiting the 2nd payment, to ship), oldest first."""
    return paged_rows(
        store,
        f"SELECT {_QUEUE_COLUMNS} FROM shipment_summaries",
        "status = %s",
        "opened_at, order_id",
        Search(("order_id", "tracking"), "order_id", "customer_id"),
        page,
        (QUEUES[name],),
    )
