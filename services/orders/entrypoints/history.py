"""An order's history for staff (R27): every event of the order's stream, oldest first, with
when it was recorded and who caused it (the `actor` of its metadata: an account id, or a
service's or the scheduler's name; none for what another service's event caused)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from services.orders.handlers.common import ORDERS
from shared.domain_errors import NotFoundError
from shared.events.store import RecordedEvent
from shared.web.app import require_staff, service_context

history = Blueprint("order_history", __name__)


def history_entry(event: RecordedEvent) -> dict[str, Any]:
    """One event as the history shows it."""
    actor = event.metadata.get("actor")
    return {
        "version": event.version,
        "type": event.type,
        "recorded_at": event.recorded_at.isoformat(),
        "actor": str(actor) if actor else None,
        "data": dict(event.data),
    }


@history.get("/orders/<order_id>/history")
def order_history(order_id: str) -> ResponseReturnValue:
    """The order's events with their time and actor, to staff only (404 for no order)."""
    require_staff()
    events = service_context().store.read_stream(ORDERS.stream_id(order_id))
    if not events:
        raise NotFoundError(f"order {order_id} not found")
    return jsonify({"order_id": order_id, "events": [history_entry(e) for e in events]})
