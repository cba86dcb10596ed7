"""The orders read models: the order details document (R1-R5), the item rows behind the staff
work queues, and the public feedback list (R28)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg

from services.orders.domain import events as ev
from services.orders.domain.events import OrderedItem
from services.orders.domain.item import Item
from services.orders.domain.order import AUTO_CANCEL_AFTER, AUTO_COMPLETE_AFTER, Order
from services.orders.domain.status import ItemStatus, OrderStatus
from shared.events.codec import EventCodec, from_json, to_json
from shared.events.contracts import CONTRACTS
from shared.events.store import RecordedEvent, Row
from shared.money import Money

_CODEC = EventCodec(ev.EVENT_TYPES, CONTRACTS)

DETAILS_SCHEMA = """
CREATE TABLE IF NOT EXISTS order_details (
    order_id    text PRIMARY KEY,
    customer_id text NOT NULL,
    status      text NOT NULL,
    placed_at   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    doc         jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS order_details_customer ON order_details (customer_id, placed_at);
CREATE TABLE IF NOT EXISTS order_items (
    order_id       text NOT NULL,
    item_id        text NOT NULL,
    status         text NOT NULL,
    awaits_seller  boolean NOT NULL,
    problem        text,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (order_id, item_id)
);
CREATE INDEX IF NOT EXISTS order_items_status ON order_items (status, updated_at);
"""


def next_action(doc: dict[str, Any]) -> str | None:
    """The one thing the customer must do now, if any (R2)."""
    status = doc["status"]
    first, second = doc.get("first_billing"), doc.get("second_billing")
    if status == "applied" and first and not first.get("paid"):
        return "pay_first_billing"
    if status == "awaiting_second_payment" and second and not second.get("paid"):
        return "pay_second_billing"
    if status == "inspected" and not doc.get("photos_checked_at"):
        # Done once the customer confirmed the photos (R18); then nothing until the 2nd billing.
        return "check_inspection_photos"
    if status == "shipped" and not doc.get("reception_problem"):
        return "send_reception_report"
    return None


def _after(moment: datetime, delay: timedelta) -> str:
    """`moment` plus `delay`, in ISO 8601 with its offset (as events store moments)."""
    return (moment + delay).isoformat()


def shown_order(order_id: str, doc: dict[str, Any]) -> Order:
    """The order as its document shows it: what the aggregate's fold reads and changes (its
    status and items), so that the next event is folded by `Order.apply` itself."""
    if not doc:
        return Order(order_id)
    items = {
        i["item_id"]: Item(
            from_json(OrderedItem, i),
            ItemStatus(i["status"]),
            i["condition"],
            i["seller_answer"],
            i.get("checked_quantity"),
            i["photo_ids"],
            i.get("weight_grams"),
            i.get("exchange_kind"),
        )
        for i in doc["items"]
    }
    return Order(order_id, doc["customer_id"], OrderStatus(doc["status"]), items)


def _item_doc(item: Item) -> dict[str, Any]:
    """An item as the document shows it: what was ordered, then what staff recorded."""
    shown = {
        **to_json(item.ordered),
        "status": item.status.value,
        "photo_ids": item.photo_ids,
        "condition": item.condition,
        "seller_answer": item.seller_answer,
    }
    if item.checked_quantity is not None:  # inspected (R18)
        shown.update(checked_quantity=item.checked_quantity, weight_grams=item.weight_grams)
    if item.exchange_kind is not None:  # an exchange or return was opened (R19)
        shown["exchange_kind"] = item.exchange_kind
    return shown


def _show(doc: dict[str, Any], event: object) -> None:
    """Fold what only the page shows (dates, deadlines, bills, address, feedback) into `doc`;
    the order's and items' statuses are the aggregate's (see `OrderDetails.apply`)."""
    match event:
        case ev.OrderPlaced():
            doc.update(
                order_id=event.order_id,
                customer_id=event.customer_id,
                destination_country=event.destination_country,
                shipping_method=event.shipping_method,
                placed_at=event.placed_at.isoformat(),
                tracking_numbers=[],
                feedback=None,
                photos_checked_at=None,  # when the customer confirmed the inspection photos (R18)
                # The deadlines the scheduler holds for the order (R16, R24), while they apply.
                auto_cancel_at=None,
                auto_complete_at=None,
            )
        case ev.DeliveryDetailsGiven():
            doc.update(address=to_json(event.address), note=event.note)
        case ev.ItemInspected():
            doc["photos_checked_at"] = None  # new photos are to be checked again (R18)
        case ev.FirstBillingIssued():
            if "first_billing" not in doc:
                # The estimate starts the 7 days; a recalculation (R17) does not move them.
                doc["auto_cancel_at"] = _after(event.issued_at, AUTO_CANCEL_AFTER)
            doc["first_billing"] = _bill(event.billing_id, event.amount)
        case ev.FirstBillingPaid():
            doc["auto_cancel_at"] = None
            doc["first_billing"] = dict(doc.get("first_billing") or {}, paid=True)
        case ev.SecondBillingIssued():
            doc["second_billing"] = _bill(event.billing_id, event.amount)
        case ev.SecondBillingPaid():
            doc["second_billing"] = dict(doc.get("second_billing") or {}, paid=True)
        case ev.OrderShipped():
            doc.update(
                tracking_numbers=event.tracking_numbers,
                shipped_at=event.shipped_at.isoformat(),
                auto_complete_at=_after(event.shipped_at, AUTO_COMPLETE_AFTER),
            )
        case ev.ReceptionReported():
            doc["reception_problem"] = None if event.all_well else event.comment
        case ev.OrderCompleted():
            doc.update(
                completed_at=event.completed_at.isoformat(),
                auto_cancel_at=None,
                auto_complete_at=None,
            )
        case ev.OrderCancelled():
            doc.update(
                cancelled_at=event.cancelled_at.isoformat(),
                cancel_reason=event.reason,
                auto_cancel_at=None,
                auto_complete_at=None,
            )
        case ev.InspectionPhotosChecked():
            doc["photos_checked_at"] = event.at.isoformat()
        case ev.FeedbackLeft():
            doc["feedback"] = {
                "rating": event.rating,
                "text": event.text,
                "at": event.at.isoformat(),
            }


def fold(order_id: str, doc: dict[str, Any], event: object) -> Order:
    """Fold one order event into the order's document: the order's and items' statuses by the
    aggregate's own fold (`Order.apply`, the one state machine), then what only pages show.
    The order as folded (its status None, and the document empty, before OrderPlaced)."""
    order = shown_order(order_id, doc)
    order.apply(event)
    if order.status is not None:
        _show(doc, event)
        doc.update(status=order.status.value, items=[_item_doc(i) for i in order.items.values()])
        doc["next_action"] = next_action(doc)
    return order


def _bill(billing_id: str, amount: Money) -> dict[str, Any]:
    return {"billing_id": billing_id, "amount": to_json(amount), "paid": False}


class OrderDetails:
    """`order_details` (one document per order) and `order_items` (staff queues)."""

    name = "order_details"
    tables: Sequence[str] = ("order_details", "order_items")
    schema = DETAILS_SCHEMA

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one order event into the order's document and item rows."""
        self.apply_batch(conn, [event])

    def apply_batch(self, conn: psycopg.Connection[Row], events: Sequence[RecordedEvent]) -> None:
        """Fold a batch of events: the documents of its orders read in one statement, folded
        here event by event, and both tables written in one more."""
        orders = [e for e in events if e.stream_id.startswith("order-")]
        if not orders:
            return
        ids = list(dict.fromkeys(e.stream_id.removeprefix("order-") for e in orders))
        rows = conn.execute(
            "SELECT order_id, doc FROM order_details WHERE order_id = ANY(%s)", (ids,), prepare=True
        ).fetchall()
        docs: dict[str, dict[str, Any]] = {row["order_id"]: row["doc"] for row in rows}
        written: dict[str, datetime] = {}  # order: when its last event shown was recorded
        items: dict[tuple[str, str], tuple[Any, ...]] = {}  # (order, item): its last row
        for event in orders:
            order_id = event.stream_id.removeprefix("order-")
            doc = docs.setdefault(order_id, {})
            order = fold(order_id, doc, _CODEC.decode(event))
            if order.status is None:
                continue
            # The stream version the page shows: a page that just changed the order waits for it.
            doc["version"] = event.version
            written[order_id] = event.recorded_at
            problem = doc.get("reception_problem")
            for i in order.items.values():
                items[(order_id, i.item_id)] = (
                    i.status.value,
                    i.awaits_seller_confirmation,
                    problem,
                    event.recorded_at,
                )
        if not written:
            return
        shown = [docs[order_id] for order_id in written]
        conn.execute(
            _WRITE_DETAILS,
            {
                "order_ids": list(written),
                "customer_ids": [doc["customer_id"] for doc in shown],
                "statuses": [doc["status"] for doc in shown],
                "placed_ats": [doc["placed_at"] for doc in shown],
                "updated_ats": list(written.values()),
                "docs": [json.dumps(doc) for doc in shown],
                "item_orders": [key[0] for key in items],
                "item_ids": [key[1] for key in items],
                "item_statuses": [row[0] for row in items.values()],
                "awaits": [row[1] for row in items.values()],
                "problems": [row[2] for row in items.values()],
                "item_updated_ats": [row[3] for row in items.values()],
            },
            prepare=True,
        )


# Both tables in one statement, one row per order and per item: what the batch's last event
# of each left (a row can be written only once per statement, so the batch folds first).
_WRITE_DETAILS = """
WITH details AS (
    INSERT INTO order_details (order_id, customer_id, status, placed_at, updated_at, doc)
    SELECT * FROM unnest(%(order_ids)s::text[], %(customer_ids)s::text[], %(statuses)s::text[],
                         %(placed_ats)s::timestamptz[], %(updated_ats)s::timestamptz[],
                         %(docs)s::jsonb[])
    ON CONFLICT (order_id) DO UPDATE SET
        status = excluded.status, updated_at = excluded.updated_at, doc = excluded.doc
)
INSERT INTO order_items (order_id, item_id, status, awaits_seller, problem, updated_at)
SELECT * FROM unnest(%(item_orders)s::text[], %(item_ids)s::text[], %(item_statuses)s::text[],
                     %(awaits)s::boolean[], %(problems)s::text[],
                     %(item_updated_ats)s::timestamptz[])
ON CONFLICT (order_id, item_id) DO UPDATE SET
    status = excluded.status, awaits_seller = excluded.awaits_seller,
    problem = excluded.problem, updated_at = excluded.updated_at
"""


class PublicFeedback:
    """`public_feedback`: recent feedback, without who left it (R28)."""

    name = "public_feedback"
    tables: Sequence[str] = ("public_feedback",)
    schema = """
    CREATE TABLE IF NOT EXISTS public_feedback (
        order_id text PRIMARY KEY,
        rating   integer NOT NULL,
        text     text NOT NULL,
        left_at  timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS public_feedback_recent ON public_feedback (left_at DESC);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Add feedback as it is left."""
        if event.type == "FeedbackLeft":
            data = event.data
            conn.execute(
                "INSERT INTO public_feedback (order_id, rating, text, left_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (data["order_id"], data["rating"], data["text"], data["at"]),
            )


def projections() -> list[OrderDetails | PublicFeedback]:
    """Every projection of the orders service."""
    return [OrderDetails(), PublicFeedback()]
