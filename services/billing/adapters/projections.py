"""The billing read models: billing status per order (R4) and each customer's deposit with its
history (R8)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

import psycopg

from shared.events.store import RecordedEvent, Row


class BillingSummaries:
    """`billing_summaries`: amount, paid, balance, status and payments of each billing (R4)."""

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
        payments      jsonb NOT NULL DEFAULT '[]'::jsonb,
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
                "amount = excluded.amount, lines = excluded.lines, issued_at = excluded.issued_at",
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
            payment = {
                "payment_id": data["payment_id"],
                "method": data["method"],
                "amount": data["amount"]["amount"],
                "received_at": data["received_at"],
            }
            conn.execute(
                "UPDATE billing_summaries SET paid = paid + %s, "
                "status = CASE WHEN %s THEN 'paid' ELSE 'partially_paid' END, "
                "payments = payments || %s::jsonb WHERE billing_id = %s",
                (
                    data["amount"]["amount"],
                    data["billing_settled"],
                    json.dumps([payment]),
                    data["billing_id"],
                ),
            )
        elif event.type == "BillingVoided":
            conn.execute(
                "UPDATE billing_summaries SET status = 'voided' WHERE billing_id = %s",
                (data["billing_id"],),
            )


class Deposits:
    """`deposits` (balance per customer) and `deposit_entries` (the history customers see)."""

    name = "deposits"
    tables: Sequence[str] = ("deposits", "deposit_entries")
    schema = """
    CREATE TABLE IF NOT EXISTS deposits (
        customer_id text PRIMARY KEY,
        balance     numeric NOT NULL,
        currency    text NOT NULL,
        updated_at  timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS deposit_entries (
        entry_id      text PRIMARY KEY,
        customer_id   text NOT NULL,
        kind          text NOT NULL,
        amount        numeric NOT NULL,
        currency      text NOT NULL,
        reason        text NOT NULL,
        reference     text NOT NULL,
        balance_after numeric NOT NULL,
        at            timestamptz NOT NULL,
        position      bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS deposit_entries_customer ON deposit_entries (customer_id, position);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one deposit entry into the balance and the history."""
        if event.type not in ("DepositCredited", "DepositDebited"):
            return
        data = event.data
        amount = Decimal(data["amount"]["amount"])
        signed = amount if event.type == "DepositCredited" else -amount
        row = conn.execute(
            "INSERT INTO deposits (customer_id, balance, currency, updated_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (customer_id) DO UPDATE SET "
            "balance = deposits.balance + excluded.balance, updated_at = excluded.updated_at "
            "RETURNING balance",
            (data["customer_id"], signed, data["amount"]["currency"], data["at"]),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO deposit_entries (entry_id, customer_id, kind, amount, currency, reason, "
            "reference, balance_after, at, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                data["entry_id"],
                data["customer_id"],
                data["kind"],
                signed,
                data["amount"]["currency"],
                data["reason"],
                data["reference"],
                row["balance"],
                data["at"],
                event.position,
            ),
        )


def projections() -> list[BillingSummaries | Deposits]:
    """Every projection of the billing service."""
    return [BillingSummaries(), Deposits()]
