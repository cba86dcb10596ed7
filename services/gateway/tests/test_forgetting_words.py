"""The legal hold in a customer's words (issue 21): each held order named once, with why it
holds and what settles it; nothing open, nothing held."""

from __future__ import annotations

from services.gateway.domain.forgetting import (
    legal_holds,
    placeholder_email,
    shown_email,
)
from services.gateway.entrypoints.pages.vocabulary import STATUS_WORDS

OPEN_ORDER = {"order_id": "ord-1", "status": "awaiting_arrival", "placed_at": "2026-12-01"}
UNPAID = {
    "billing_id": "bil-1",
    "order_id": "ord-1",
    "kind": "first",
    "owed": {"amount": "12.3", "currency": "EUR"},
    "reason": "unpaid",
}
REFUND = {
    "billing_id": "bil-9",
    "order_id": "ord-9",
    "kind": "second",
    "owed": {"amount": "5", "currency": "EUR"},
    "reason": "refund pending",
}


def test_nothing_open_holds_nobody() -> None:
    assert legal_holds([], [], STATUS_WORDS) == []


def test_each_held_order_says_why_and_what_settles_it_once() -> None:
    holds = legal_holds([OPEN_ORDER], [UNPAID, REFUND], STATUS_WORDS)
    assert [h.order_id for h in holds] == ["ord-1", "ord-9"]
    assert holds[0].sentence == (
        "Order ord-1 still has 12.30 EUR to pay (1st billing), which settles once it is paid "
        "or the order is cancelled; it is still in progress (awaiting arrival) until it is "
        "completed or cancelled."
    )
    assert holds[1].sentence == (
        "Order ord-9 still has 5.00 EUR to be refunded to you (2nd billing), which settles "
        "once the refund is paid out."
    )


def test_a_deposit_balance_holds_with_its_own_sentence() -> None:
    deposit = {"billing_id": None, "order_id": None, "kind": "deposit", "reason": "deposit balance"}
    holds = legal_holds([], [{**deposit, "owed": {"amount": "7.5", "currency": "EUR"}}], {})
    assert [(h.order_id, h.sentence) for h in holds] == [
        (
            "",
            "Your deposit still holds 7.50 EUR, which settles once it is paid back to you or "
            "used on an order.",
        )
    ]


def test_a_forgotten_account_shows_as_forgotten_customer() -> None:
    assert shown_email(placeholder_email("cus-1")) == "forgotten customer"
    assert shown_email("ana@example.com") == "ana@example.com"
