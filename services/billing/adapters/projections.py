"""The billing read models: billing status per order (R4) and each customer's deposit with its
history (R8)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import psycopg

from services.billing.adapters.unapplied import UnappliedPayments
from services.billing.domain.billing import REPORT_MATCHING_METHODS, ends_pending_report
from shared.events.projections import Projection, values_of
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
    ALTER TABLE billing_summaries ADD COLUMN IF NOT EXISTS refunded numeric NOT NULL DEFAULT 0;
    ALTER TABLE billing_summaries ADD COLUMN IF NOT EXISTS rate_date date;
    ALTER TABLE billing_summaries ADD COLUMN IF NOT EXISTS service_fee jsonb;
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one billing event into its row."""
        data = event.data
        if event.type == "BillingIssued":
            conn.execute(
                # A revision carries what is paid of it (R17): paid and status follow it.
                "INSERT INTO billing_summaries (billing_id, order_id, customer_id, kind, revision,"
                " amount, paid, currency, lines, exchange_rate, status, issued_at, rate_date,"
                " service_fee) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s::jsonb) "
                "ON CONFLICT (billing_id) DO UPDATE SET revision = excluded.revision, "
                "amount = excluded.amount, lines = excluded.lines, issued_at = excluded.issued_at,"
                " exchange_rate = excluded.exchange_rate, rate_date = excluded.rate_date,"
                " service_fee = excluded.service_fee,"
                " paid = excluded.paid, status = CASE WHEN billing_summaries.status = 'voided' "
                "THEN 'voided' ELSE excluded.status END",
                (
                    *values_of(
                        data,
                        "billing_id order_id customer_id kind revision amount.amount paid.amount "
                        "amount.currency",
                    ),
                    json.dumps(data["lines"]),
                    data["exchange_rate"],
                    _status(data),
                    data["issued_at"],
                    data["rate_date"],  # (R4: the rate's date and the fee rule, v3)
                    json.dumps(data["service_fee"]) if data["service_fee"] else None,
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
        elif event.type == "BillingRefunded":
            # (an excess refund's lower `paid` came with the revision before it)
            conn.execute(
                "UPDATE billing_summaries SET refunded = refunded + %s WHERE billing_id = %s",
                (data["amount"]["amount"], data["billing_id"]),
            )


def _status(issued: Mapping[str, Any]) -> str:
    """The status a billing revision starts with."""
    if issued["settled"]:
        return "paid"
    return "partially_paid" if Decimal(issued["paid"]["amount"]) > 0 else "open"


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
                *values_of(data, "entry_id customer_id kind"),
                signed,
                *values_of(data, "amount.currency reason reference"),
                row["balance"],
                data["at"],
                event.position,
            ),
        )


class PaymentReports:
    """`payment_reports`: transfers customers reported, the staff queue to confirm (R9)."""

    name = "payment_reports"
    tables: Sequence[str] = ("payment_reports",)
    schema = """
    CREATE TABLE IF NOT EXISTS payment_reports (
        report_id             text PRIMARY KEY,
        billing_id            text NOT NULL,
        payer_name            text NOT NULL,
        paid_on               date NOT NULL,
        amount                numeric NOT NULL,
        currency              text NOT NULL,
        reported_at           timestamptz NOT NULL,
        expected_confirmation date NOT NULL,
        status                text NOT NULL
    );
    CREATE INDEX IF NOT EXISTS payment_reports_open ON payment_reports (status, reported_at);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Add reports; close them when their billing is settled or voided."""
        data = event.data
        if event.type == "PaymentReported":
            conn.execute(
                "INSERT INTO payment_reports (report_id, billing_id, payer_name, paid_on, amount,"
                " currency, reported_at, expected_confirmation, status) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'open')",
                values_of(
                    data,
                    "report_id billing_id payer_name paid_on amount.amount amount.currency "
                    "reported_at expected_confirmation",
                ),
            )
        elif event.type == "PaymentReportWithdrawn":
            conn.execute(
                "UPDATE payment_reports SET status = 'withdrawn' WHERE report_id = %s",
                (data["report_id"],),
            )
        elif event.type == "PaymentReceived" and data["method"] in REPORT_MATCHING_METHODS:
            # The reported transfer arrived (the bank's notice or staff): matched, even short.
            conn.execute(
                "UPDATE payment_reports SET status = 'matched' "
                "WHERE billing_id = %s AND status = 'open'",
                (data["billing_id"],),
            )
        elif (event.type == "PaymentReceived" and data["billing_settled"]) or (
            event.type == "BillingVoided"
        ):
            status = "confirmed" if event.type == "PaymentReceived" else "voided"
            conn.execute(
                "UPDATE payment_reports SET status = %s WHERE billing_id = %s AND status = 'open'",
                (status, data["billing_id"]),
            )


class UnreportedTransfers:
    """`unreported_transfers`: bank transfers that paid a billing with no pending report, for
    staff to look at (R9); `awaited_transfers` is the pending report of each billing."""

    name = "unreported_transfers"
    tables: Sequence[str] = ("unreported_transfers", "awaited_transfers")
    schema = """
    CREATE TABLE IF NOT EXISTS unreported_transfers (
        payment_id  text PRIMARY KEY,
        billing_id  text NOT NULL,
        amount      numeric NOT NULL,
        currency    text NOT NULL,
        received_at timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS awaited_transfers (billing_id text PRIMARY KEY);
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Follow each billing's pending report as the billing aggregate does."""
        data = event.data
        if event.type == "PaymentReported":
            conn.execute(
                "INSERT INTO awaited_transfers VALUES (%s) ON CONFLICT DO NOTHING",
                (data["billing_id"],),
            )
        elif event.type in ("PaymentReportWithdrawn", "BillingVoided"):
            conn.execute(
                "DELETE FROM awaited_transfers WHERE billing_id = %s", (data["billing_id"],)
            )
        elif event.type == "PaymentReceived" and ends_pending_report(
            data["method"], data["billing_settled"]
        ):
            awaited = conn.execute(
                "DELETE FROM awaited_transfers WHERE billing_id = %s RETURNING billing_id",
                (data["billing_id"],),
            ).fetchone()
            if awaited is None and data["method"] == "bank_transfer":
                conn.execute(
                    "INSERT INTO unreported_transfers VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    values_of(
                        data, "payment_id billing_id amount.amount amount.currency received_at"
                    ),
                )


class CardCaptures:
    """`card_captures`: capture notices that paid nothing, the staff review queue."""

    name = "card_captures"
    tables: Sequence[str] = ("card_captures",)
    schema = """
    CREATE TABLE IF NOT EXISTS card_captures (
        capture_id text NOT NULL,
        status     text NOT NULL,
        billing_id text NOT NULL,
        reason     text NOT NULL,
        amount     numeric NOT NULL,
        currency   text NOT NULL,
        noted_at   timestamptz NOT NULL,
        PRIMARY KEY (capture_id, status)
    );
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Keep every noted capture."""
        if event.type == "CardCaptureNoted":
            data = event.data
            conn.execute(
                "INSERT INTO card_captures (capture_id, status, billing_id, reason, amount, "
                "currency, noted_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                values_of(
                    data, "capture_id status billing_id reason amount.amount amount.currency at"
                ),
            )


def projections() -> list[Projection]:
    """Every projection of the billing service."""
    return [
        BillingSummaries(),
        Deposits(),
        PaymentReports(),
        CardCaptures(),
        UnappliedPayments(),
        UnreportedTransfers(),
    ]
