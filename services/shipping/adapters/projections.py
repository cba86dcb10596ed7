"""The shipping read model: per order, its parcels, method, fee, payment and tracking."""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg

from shared.events.projections import values_of
from shared.events.store import RecordedEvent, Row


class ShipmentSummaries:
    """`shipment_summaries`: shipping information of an order (R6) and staff queues."""

    name = "shipment_summaries"
    tables: Sequence[str] = ("shipment_summaries",)
    schema = """
    CREATE TABLE IF NOT EXISTS shipment_summaries (
        order_id            text PRIMARY KEY,
        customer_id         text NOT NULL,
        method              text NOT NULL,
        status              text NOT NULL,
        destination_country text,
        opened_at           timestamptz,
        parcels             jsonb NOT NULL DEFAULT '[]'::jsonb,
        charges             jsonb NOT NULL DEFAULT '[]'::jsonb,
        quote_id            text,
        rate_version        integer,
        zone                integer,
        transit_days        jsonb,
        fee                 jsonb,
        quoted_at           timestamptz,
        paid_at             timestamptz,
        tracking            jsonb NOT NULL DEFAULT '[]'::jsonb,
        shipped_at          timestamptz
    );
    ALTER TABLE shipment_summaries
        ADD COLUMN IF NOT EXISTS destination_country text,
        ADD COLUMN IF NOT EXISTS opened_at timestamptz,
        ADD COLUMN IF NOT EXISTS charges jsonb NOT NULL DEFAULT '[]'::jsonb,
        ADD COLUMN IF NOT EXISTS quote_id text,
        ADD COLUMN IF NOT EXISTS rate_version integer,
        ADD COLUMN IF NOT EXISTS zone integer,
        ADD COLUMN IF NOT EXISTS transit_days jsonb,
        ADD COLUMN IF NOT EXISTS quoted_at timestamptz,
        ADD COLUMN IF NOT EXISTS paid_at timestamptz;
    CREATE INDEX IF NOT EXISTS shipment_summaries_status ON shipment_summaries (status);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one shipment event into its row."""
        data = event.data
        if event.type == "ShipmentOpened":
            conn.execute(
                "INSERT INTO shipment_summaries (order_id, customer_id, method, status, "
                "destination_country, opened_at) VALUES (%s, %s, %s, 'to_pack', %s, %s)",
                values_of(data, "order_id customer_id method destination_country opened_at"),
            )
        elif event.type == "MethodChanged":
            conn.execute(
                "UPDATE shipment_summaries SET method = %s, status = 'to_pack' WHERE order_id = %s",
                (data["method"], data["order_id"]),
            )
        elif event.type == "QuoteCalculated":
            transit = {"min": data["transit_days_min"], "max": data["transit_days_max"]}
            conn.execute(
                "UPDATE shipment_summaries SET charges = %s::jsonb, rate_version = %s, zone = %s, "
                "transit_days = %s::jsonb WHERE order_id = %s",
                (
                    json.dumps(data["charges"]),
                    data["rate_version"],
                    data["zone"],
                    json.dumps(transit),
                    data["order_id"],
                ),
            )
        elif event.type == "ShippingQuoted":
            conn.execute(
                "UPDATE shipment_summaries SET status = 'awaiting_payment', parcels = %s::jsonb, "
                "fee = %s::jsonb, method = %s, quote_id = %s, quoted_at = %s WHERE order_id = %s",
                (
                    json.dumps(data["parcels"]),
                    json.dumps(data["fee"]),
                    data["method"],
                    data["quote_id"],
                    data["quoted_at"],
                    data["order_id"],
                ),
            )
        elif event.type == "ShippingPaid":
            conn.execute(
                "UPDATE shipment_summaries SET status = 'to_ship', paid_at = %s "
                "WHERE order_id = %s",
                (data["paid_at"], data["order_id"]),
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
