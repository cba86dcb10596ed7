"""The orders read model: one row per order, what the order pages and lists show."""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg

from services.orders.domain import events as ev
from services.orders.handlers import CODEC
from shared.events.store import RecordedEvent, Row


class OrderSummaries:
    """`order_summaries`: status, billings and tracking per order."""

    name = "order_summaries"
    tables: Sequence[str] = ("order_summaries",)
    schema = """
    CREATE TABLE IF NOT EXISTS order_summaries (
        order_id            text PRIMARY KEY,
        customer_id         text NOT NULL,
        status              text NOT NULL,
        items               jsonb NOT NULL,
        destination_country text NOT NULL,
        shipping_method     text NOT NULL,
        first_billing       jsonb,
        second_billing      jsonb,
        tracking_numbers    jsonb NOT NULL DEFAULT '[]'::jsonb,
        placed_at           timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL,
        version             integer NOT NULL
    );
    CREATE INDEX IF NOT EXISTS order_summaries_customer ON order_summaries (customer_id, placed_at);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one order event into its row."""
        if not CODEC.knows(event.type):
            return
        e = CODEC.decode(event)
        at = event.recorded_at
        if isinstance(e, ev.OrderPlaced):
            conn.execute(
                "INSERT INTO order_summaries (order_id, customer_id, status, items, "
                "destination_country, shipping_method, placed_at, updated_at, version) "
                "VALUES (%s, %s, 'applied', %s::jsonb, %s, %s, %s, %s, %s)",
                (
                    e.order_id,
                    e.customer_id,
                    json.dumps(event.data["items"]),
                    e.destination_country,
                    e.shipping_method,
                    e.placed_at,
                    at,
                    event.version,
                ),
            )
            return
        sets, params = _changes(e, event)
        sets.append("updated_at = %s")
        sets.append("version = %s")
        conn.execute(
            f"UPDATE order_summaries SET {', '.join(sets)} WHERE order_id = %s",
            (*params, at, event.version, event.data["order_id"]),
            prepare=True,
        )


def _changes(e: object, event: RecordedEvent) -> tuple[list[str], list[object]]:
    def billing() -> str:
        return json.dumps({"billing_id": event.data["billing_id"], "amount": event.data["amount"]})

    match e:
        case ev.FirstBillingIssued():
            return ["first_billing = %s::jsonb"], [billing()]
        case ev.FirstBillingPaid():
            return [
                "status = 'purchasing'",
                "first_billing = first_billing || '{\"paid\": true}'",
            ], []
        case ev.ItemsInspected():
            return ["status = 'inspected'"], []
        case ev.SecondBillingIssued():
            return ["status = 'awaiting_second_payment'", "second_billing = %s::jsonb"], [billing()]
        case ev.SecondBillingPaid():
            return ["second_billing = second_billing || '{\"paid\": true}'"], []
        case ev.OrderShipped():
            return ["status = 'shipped'", "tracking_numbers = %s::jsonb"], [
                json.dumps(e.tracking_numbers)
            ]
        case ev.OrderCompleted():
            return ["status = 'completed'"], []
        case ev.OrderCancelled():
            return ["status = 'cancelled'"], []
    return [], []


def projections() -> list[OrderSummaries]:
    """Every projection of the orders service."""
    return [OrderSummaries()]
