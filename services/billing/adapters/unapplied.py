"""The staff queue of money received that paid no billing (diverted to a deposit, or held)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from shared.events.projections import values_of
from shared.events.store import RecordedEvent, Row


class UnappliedPayments:
    """`unapplied_payments`: money received that paid no billing, the staff queue: what went to
    a customer's deposit (voided or paid billing, overpayment) and what is held because
    nobody can be matched to it (until staff credit it)."""

    name = "unapplied_payments"
    tables: Sequence[str] = ("unapplied_payments",)
    schema = """
    CREATE TABLE IF NOT EXISTS unapplied_payments (
        payment_id  text PRIMARY KEY,
        billing_id  text,
        order_id    text,
        customer_id text,
        reference   text NOT NULL,
        method      text NOT NULL,
        amount      numeric NOT NULL,
        currency    text NOT NULL,
        reason      text NOT NULL,
        status      text NOT NULL,
        at          timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS unapplied_payments_status ON unapplied_payments (status, at);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Add diverted and held payments; a held one credited by staff is no longer held."""
        data = event.data
        if event.type == "PaymentDiverted":
            conn.execute(
                "INSERT INTO unapplied_payments VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, 'credited', %s)",
                values_of(
                    data,
                    "payment_id billing_id order_id customer_id billing_id method amount.amount "
                    "amount.currency reason at",
                ),
            )
        elif event.type == "PaymentHeld":
            conn.execute(
                "INSERT INTO unapplied_payments VALUES "
                "(%s, NULL, NULL, NULL, %s, %s, %s, %s, %s, 'held', %s)",
                values_of(data, "hold_id reference method amount.amount amount.currency reason at"),
            )
        elif event.type == "HeldPaymentCredited":
            conn.execute(
                "UPDATE unapplied_payments SET status = 'credited', customer_id = %s "
                "WHERE payment_id = %s",
                (data["customer_id"], data["hold_id"]),
            )
