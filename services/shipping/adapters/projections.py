"""The shipping read model: per order, its parcels, fee, payment and tracking."""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg

from shared.events.store import RecordedEvent, Row


class ShipmentSummaries:
    """`shipment_summaries`: shipping information of an order (R6) and staff queues."""

    name = "shipment_summaries"
    tables: Sequence[str] = ("shipment_summaries",)
    schema = """
    CREATE TABLE IF NOT EXISTS shipment_summaries (
        order_id    text PRIMARY KEY,
        customer_id text NOT NULL,
        method      text NOT NULL,
        status      text NOT NULL,
        parcels     jsonb NOT NULL DEFAULT '[]'::jsonb,
        fee         jsonb,
        tracking    jsonb NOT NULL DEFAULT '[]'::jsonb,
        shipped_at  timestamptz
    );
    CREATE INDEX IF NOT EXISTS shipment_summaries_status ON shipment_summaries (status);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one shipment event into its row."""
        data = event.data
        if event.type == "ShipmentOpened":
            conn.execute(
                "INSERT INTO shipment_summaries (order_id, customer_id, method, status) "
                "VALUES (%s, %s, %s, 'to_pack')",
                (data["order_id"], data["customer_id"], data["method"]),
            )
        elif event.type == "ShippingQuoted":
            conn.execute(
                "UPDATE shipment_summaries SET status = 'awaiting_payment', parcels = %s::jsonb, "
                "fee = %s::jsonb, method = %s WHERE order_id = %s",
                (
                    json.dumps(data["parcels"]),
                    json.dumps(data["fee"]),
                    data["method"],
                    data["order_id"],
                ),
            )
        elif event.type == "ShippingPaid":
            conn.execute(
                "UPDATE shipment_summaries SET status = 'to_ship' WHERE order_id = %s",
                (data["order_id"],),
            )
        elif event.type == "Shipped":
            conn.execute(
                "UPDATE shipment_summaries SET status = 'shipped', tracking = %s::jsonb, "
                "shipped_at = %s WHERE order_id = %s",
                (json.dumps(data["parcels"]), data["shipped_at"], data["order_id"]),
            )


def projections() -> list[ShipmentSummaries]:
    """Every projection of the shipping service."""
    return [ShipmentSummaries()]
