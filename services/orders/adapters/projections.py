"""The orders read models: the order details document (R1-R5), the item rows behind the staff
work queues, and the public feedback list (R28)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg

from services.orders.domain.order import AUTO_CANCEL_AFTER, AUTO_COMPLETE_AFTER
from shared.events.store import RecordedEvent, Row

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

ITEM_STATUS_OF = {
    "ItemPurchased": "purchased",
    "ItemUnavailable": "cancelled",
    "ItemArrived": "arrived",
    "ItemInspected": "inspected",
    "ExchangeOpened": "exchange_or_return",
}


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


def _after(moment: str, delay: timedelta) -> str:
    """`moment` (ISO 8601, as events store it) plus `delay`, in ISO 8601 with its offset."""
    return (datetime.fromisoformat(moment) + delay).isoformat()


def _fold(doc: dict[str, Any], event: RecordedEvent) -> None:
    data = event.data
    items = {i["item_id"]: i for i in doc.get("items", [])}
    t = event.type
    if t == "OrderPlaced":
        doc.update(
            order_id=data["order_id"],
            customer_id=data["customer_id"],
            status="applied",
            destination_country=data["destination_country"],
            shipping_method=data["shipping_method"],
            placed_at=data["placed_at"],
            tracking_numbers=[],
            feedback=None,
            photos_checked_at=None,  # when the customer confirmed the inspection photos (R18)
            # The deadlines the scheduler holds for the order (R16, R24), while they apply.
            auto_cancel_at=None,
            auto_complete_at=None,
        )
        doc["items"] = [
            dict(i, status="pre_payment", photo_ids=[], condition=None, seller_answer=None)
            for i in data["items"]
        ]
        return
    if t == "DeliveryDetailsGiven":
        doc.update(address=data["address"], note=data["note"])
    elif t == "OrderItemsChanged":
        kept = {i["item_id"]: i for i in data["items"]}
        for item_id, item in items.items():
            if item_id in kept:
                item["quantity"] = kept[item_id]["quantity"]
            else:
                item["status"] = "cancelled"
    elif t == "PurchaseConditionSet":
        items[data["item_id"]]["condition"] = data["text"]
    elif t == "SellerConfirmationRecorded":
        items[data["item_id"]]["seller_answer"] = data["answer"]
    elif t in ITEM_STATUS_OF:
        items[data["item_id"]]["status"] = ITEM_STATUS_OF[t]
        if t == "ExchangeOpened":
            items[data["item_id"]]["exchange_kind"] = data["kind"]
        if t == "ItemInspected":
            items[data["item_id"]].update(
                photo_ids=data["photo_ids"],
                checked_quantity=data["checked_quantity"],
                weight_grams=data["weight_grams"],
            )
            doc["photos_checked_at"] = None  # new photos are to be checked again (R18)
        _progress(doc)
    elif t == "ExchangeAnswered":
        item = items[data["item_id"]]
        if not data["accepted"]:
            item["status"] = "inspected"
        elif item.get("exchange_kind") == "exchange":
            item["status"] = "purchased"
            doc["status"] = "awaiting_arrival"
    elif t == "FirstBillingIssued":
        if "first_billing" not in doc:
            # The estimate starts the 7 days; a recalculation (R17) does not move them.
            doc["auto_cancel_at"] = _after(data["issued_at"], AUTO_CANCEL_AFTER)
        doc["first_billing"] = {
            "billing_id": data["billing_id"],
            "amount": data["amount"],
            "paid": False,
        }
    elif t == "FirstBillingPaid":
        doc["status"] = "purchasing"
        doc["auto_cancel_at"] = None
        doc["first_billing"] = dict(doc.get("first_billing") or {}, paid=True)
        for item in items.values():
            if item["status"] == "pre_payment":
                item["status"] = "purchasing"
    elif t == "ItemsInspected":
        doc["status"] = "inspected"
    elif t == "SecondBillingIssued":
        doc["status"] = "awaiting_second_payment"
        doc["second_billing"] = {
            "billing_id": data["billing_id"],
            "amount": data["amount"],
            "paid": False,
        }
    elif t == "SecondBillingPaid":
        doc["second_billing"] = dict(doc.get("second_billing") or {}, paid=True)
    elif t == "OrderShipped":
        doc.update(
            status="shipped",
            tracking_numbers=data["tracking_numbers"],
            shipped_at=data["shipped_at"],
            auto_complete_at=_after(data["shipped_at"], AUTO_COMPLETE_AFTER),
        )
        for item in items.values():
            if item["status"] == "inspected":
                item["status"] = "shipped"
    elif t == "ReceptionReported":
        doc["reception_problem"] = None if data["all_well"] else data["comment"]
    elif t == "OrderCompleted":
        doc.update(
            status="completed",
            completed_at=data["completed_at"],
            auto_cancel_at=None,
            auto_complete_at=None,
        )
    elif t == "OrderCancelled":
        doc.update(
            status="cancelled",
            cancelled_at=data["cancelled_at"],
            cancel_reason=data["reason"],
            auto_cancel_at=None,
            auto_complete_at=None,
        )
    elif t == "InspectionPhotosChecked":
        doc["photos_checked_at"] = data["at"]
    elif t == "FeedbackLeft":
        doc["feedback"] = {"rating": data["rating"], "text": data["text"], "at": data["at"]}


def _progress(doc: dict[str, Any]) -> None:
    # Between payment and inspection the order's status follows its items.
    if doc["status"] not in ("purchasing", "awaiting_arrival"):
        return
    remaining = [i for i in doc["items"] if i["status"] != "cancelled"]
    progressed = all(i["status"] in ("purchased", "arrived", "inspected") for i in remaining)
    doc["status"] = "awaiting_arrival" if remaining and progressed else "purchasing"


class OrderDetails:
    """`order_details` (one document per order) and `order_items` (staff queues)."""

    name = "order_details"
    tables: Sequence[str] = ("order_details", "order_items")
    schema = DETAILS_SCHEMA

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one order event into the order's document and item rows."""
        if not event.stream_id.startswith("order-"):
            return
        order_id = event.stream_id.removeprefix("order-")
        row = conn.execute(
            "SELECT doc FROM order_details WHERE order_id = %s", (order_id,), prepare=True
        ).fetchone()
        doc: dict[str, Any] = row["doc"] if row else {}
        _fold(doc, event)
        if not doc:
            return
        doc["next_action"] = next_action(doc)
        # The stream version the page shows: a page that just changed the order waits for it.
        doc["version"] = event.version
        conn.execute(
            "INSERT INTO order_details (order_id, customer_id, status, placed_at, updated_at, doc)"
            " VALUES (%s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT (order_id) DO UPDATE SET "
            "status = excluded.status, updated_at = excluded.updated_at, doc = excluded.doc",
            (
                order_id,
                doc["customer_id"],
                doc["status"],
                doc["placed_at"],
                event.recorded_at,
                json.dumps(doc),
            ),
            prepare=True,
        )
        problem = doc.get("reception_problem")
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO order_items (order_id, item_id, status, awaits_seller, problem, "
                "updated_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (order_id, item_id) "
                "DO UPDATE SET status = excluded.status, awaits_seller = excluded.awaits_seller,"
                " problem = excluded.problem, updated_at = excluded.updated_at",
                [
                    (
                        order_id,
                        i["item_id"],
                        i["status"],
                        i["condition"] is not None and i["seller_answer"] is None,
                        problem,
                        event.recorded_at,
                    )
                    for i in doc["items"]
                ],
            )


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
