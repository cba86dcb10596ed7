"""The billing read model: one row per billing with its amount, payments and status."""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg

from shared.events.store import RecordedEvent, Row


class BillingSummaries:
    """`billing_summaries`: what the order page shows of each billing (R4)."""

    name = "billing_summaries"
    tables: Sequence[str] = ("billing_summaries",)
    schema = """
    CREATE TABLE IF NOT EXISTS billing_summaries (
        billing_id    text PRIMARY KEY,
        order_id      text NOT NULL,
        customer_id   text NOT NULL,
        kind          text NOT NULL,
        revision      integer NOT NULL,
        amount        numeric NOT NULL,
        paid          numeric NOT NULL,
        currency      text NOT NULL,
        lines         jsonb NOT NULL,
        exchange_rate numeric,
        status        text NOT NULL,
        issued_at     timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS billing_summaries_order ON billing_summaries (order_id);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one billing event into its row."""
        data = event.data
        if event.type == "BillingIssued":
            conn.execute(
                "INSERT INTO billing_summaries (billing_id, order_id, customer_id, kind, revision,"
                " amount, paid, currency, lines, exchange_rate, status, issued_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, 0, %s, %s::jsonb, %s, 'open', %s) "
                "ON CONFLICT (billing_id) DO UPDATE SET revision = excluded.revision, "
                "amount = excluded.amount, lines = excluded.lines",
                (
                    data["billing_id"],
                    data["order_id"],
                    data["customer_id"],
                    data["kind"],
                    data["revision"],
                    data["amount"]["amount"],
                    data["amount"]["currency"],
                    json.dumps(data["lines"]),
                    data["exchange_rate"],
                    data["issued_at"],
                ),
            )
        elif event.type == "PaymentReceived":
            conn.execute(
                "UPDATE billing_summaries SET paid = paid + %s, "
                "status = CASE WHEN %s THEN 'paid' ELSE 'partially_paid' END "
                "WHERE billing_id = %s",
                (data["amount"]["amount"], data["billing_settled"], data["billing_id"]),
            )


def projections() -> list[BillingSummaries]:
    """Every projection of the billing service."""
    return [BillingSummaries()]
