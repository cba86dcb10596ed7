"""The shipping read side (cosmicpython's views.py): every query of the `shipment_summaries`
read model, as plain functions of the store returning rows. The endpoints only check and
answer."""

from __future__ import annotations

from typing import Any

from shared.events.store import EventStore
from shared.web.app import jsonable
from shared.web.paging import QueuePage, Search, paged_rows

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


def by_tracking(store: EventStore, page: QueuePage) -> tuple[list[dict[str, Any]], int]:
    """One page of the orders whose tracking numbers hold the searched text, newest first,
    and how many there are (staff search, R27)."""
    rows, total = paged_rows(
        store,
        "SELECT order_id, status FROM shipment_summaries",
        "true",
        "opened_at DESC, order_id",
        Search(("tracking",)),
        page,
    )
    return [jsonable(r) for r in rows], total


def queue(store: EventStore, name: str, page: QueuePage) -> tuple[list[dict[str, Any]], int]:
    """One page of a staff queue (`QUEUES`: to pack, awaiting the 2nd payment, to ship),
    oldest first, and how many shipments it holds."""
    rows, total = paged_rows(
        store,
        f"SELECT {_QUEUE_COLUMNS} FROM shipment_summaries",
        "status = %s",
        "opened_at, order_id",
        Search(("order_id", "tracking"), "order_id", "customer_id"),
        page,
        (QUEUES[name],),
    )
    return [jsonable(r) for r in rows], total
