"""The billing read side: queries of its read models, as functions of the store."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from shared.events.store import EventStore
from shared.personal.personal_data import PersonalData
from shared.personal.sealing import FORGOTTEN
from shared.web.app import as_texts, jsonable
from shared.web.paging import Paged, QueuePage, Search, paged_rows

REPORT_COLUMNS = (
    "report_id",
    "billing_id",
    "amount",
    "currency",
    "paid_on",
    "reported_at",
    "expected_confirmation",
)


def transfer_facts(
    store: EventStore, billing_ids: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, Decimal]]:
    """Per billing id, its transfer report still awaited (R9), if any; and what was paid
    beyond it and went to the deposit. One statement for both: an order's billings are
    polled all along its life, and this was two round trips of each poll."""
    # Diverted payments (more than was open) are credited with the billing as reference.
    rows = store.query(
        "SELECT 'report' AS fact, report_id, billing_id, amount, currency, paid_on, "
        "reported_at, expected_confirmation FROM payment_reports "
        "WHERE status = 'open' AND billing_id = ANY(%s) "
        "UNION ALL "
        "SELECT 'overpaid', NULL, reference, sum(amount), NULL, NULL, NULL, NULL "
        "FROM deposit_entries WHERE kind = 'overpayment' AND reference = ANY(%s) "
        "GROUP BY reference",
        (billing_ids, billing_ids),
    )
    reports = {
        r["billing_id"]: {column: r[column] for column in REPORT_COLUMNS}
        for r in rows
        if r["fact"] == "report"
    }
    excess = {r["billing_id"]: r["amount"] for r in rows if r["fact"] == "overpaid"}
    return reports, excess


def unapplied_payments(store: EventStore, page: QueuePage) -> Paged:
    """Payments credited to a deposit instead of a billing, held ones first, then newest."""
    return paged_rows(
        store,
        "SELECT payment_id, billing_id, order_id, customer_id, reference, method, amount, "
        "currency, reason, status, at FROM unapplied_payments",
        "true",
        "status = 'held' DESC, at DESC, payment_id",
        Search(("billing_id", "reference", "order_id"), "order_id", "customer_id"),
        page,
        shape=as_texts,
    )


def billings_of_order(store: EventStore, order_id: str) -> list[dict[str, Any]]:
    """An order's billings (1st, then 2nd) with amount, paid, status and payments (R4)."""
    return store.query(
        "SELECT * FROM billing_summaries WHERE order_id = %s ORDER BY kind", (order_id,)
    )


def billing(store: EventStore, billing_id: str) -> dict[str, Any] | None:
    """One billing's row, if there is one."""
    rows = store.query("SELECT * FROM billing_summaries WHERE billing_id = %s", (billing_id,))
    return rows[0] if rows else None


def balance(billing: dict[str, Any]) -> Decimal:
    """What is still to pay of a billing's row: nothing once voided (money for it goes to
    the deposit), never below zero."""
    if billing["status"] == "voided":
        return Decimal(0)
    left: Decimal = max(billing["amount"] - billing["paid"], Decimal(0))
    return left


def deposit(store: EventStore, customer_id: str) -> dict[str, Any]:
    """A customer's deposit balance and its latest 200 entries, newest first (R8)."""
    found = store.query(
        "SELECT balance, currency FROM deposits WHERE customer_id = %s", (customer_id,)
    )
    history = store.query(
        "SELECT entry_id, kind, amount, currency, reason, balance_after, at "
        "FROM deposit_entries WHERE customer_id = %s ORDER BY position DESC LIMIT 200",
        (customer_id,),
    )
    return {
        "customer_id": customer_id,
        "balance": str(found[0]["balance"]) if found else "0.00",
        "currency": found[0]["currency"] if found else None,
        "history": [jsonable(h) for h in history],
    }


def payment_reports(store: EventStore, page: QueuePage, personal: PersonalData) -> Paged:
    """Reported transfers awaiting confirmation, oldest first, with their order (R9).

    The payer's name is sealed (issue 21): a search for it opens the open reports' names, all
    in one keyring read (the queue holds the few reports awaiting a transfer), and searches
    the orders whose report it matched."""
    if page.text:
        rows = store.query(
            "SELECT r.payer_name, b.order_id FROM payment_reports r "
            "JOIN billing_summaries b USING (billing_id) WHERE r.status = 'open'",
            (),
        )
        names = personal.reveal([r["payer_name"] for r in rows])
        wanted = page.text.casefold()
        named = tuple(
            r["order_id"]
            for r, name in zip(rows, names, strict=True)
            if name != FORGOTTEN and wanted in name.casefold()
        )
        page = replace(page, orders=(*page.orders, *named))
    return paged_rows(
        store,
        "SELECT r.report_id, r.billing_id, b.order_id, r.payer_name, r.paid_on, r.amount, "
        "r.currency, r.expected_confirmation, r.reported_at FROM payment_reports r "
        "LEFT JOIN billing_summaries b USING (billing_id)",
        "r.status = 'open'",
        "r.reported_at, r.report_id",
        Search(("r.billing_id",), "b.order_id"),
        page,
        shape=as_texts,
    )


def unreported_transfers(store: EventStore, page: QueuePage) -> Paged:
    """Bank transfers that paid a billing nobody had reported, newest first (R9)."""
    return paged_rows(
        store,
        "SELECT u.payment_id, u.billing_id, b.order_id, u.amount, u.currency, u.received_at "
        "FROM unreported_transfers u LEFT JOIN billing_summaries b USING (billing_id)",
        "true",
        "u.received_at DESC, u.payment_id",
        Search(("u.billing_id",), "b.order_id"),
        page,
        shape=as_texts,
    )


def captures_in_review(store: EventStore, page: QueuePage) -> Paged:
    """Card captures staff must look at (amount mismatch, refund at PayPal), oldest first."""
    return paged_rows(
        store,
        "SELECT c.capture_id, c.billing_id, b.order_id, c.status, c.reason, c.amount, "
        "c.currency, c.noted_at FROM card_captures c "
        "LEFT JOIN billing_summaries b USING (billing_id)",
        "c.status = 'review'",
        "c.noted_at, c.capture_id",
        Search(("c.billing_id", "c.capture_id"), "b.order_id"),
        page,
        shape=as_texts,
    )
