"""Billing's money paths through the real processes (issue 14): an unavailable item refunded
once (R20), a change after a partial payment revising the bill (R17, R8), and money for a
voided or unknown billing recorded, credited or held, and shown to staff."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from tests.support.bank_notices import send_bank_notice
from tests.support.journey import ORDER, Journey, ok_json
from tests.support.rebuild import assert_rebuild_equals_live
from tests.support.system import System, poll

# One item of 173.00 + 14.80 CNY: a 1st billing of 25.31 EUR whose item is worth 24.04 EUR.
ONE_ITEM: dict[str, Any] = {
    **ORDER,
    "items": [
        {
            "url": "https://item.taobao.com/item.htm?id=7001",
            "title": "Leather satchel",
            "quantity": 1,
            "unit_price_cny": "173.00",
            "domestic_shipping_cny": "14.80",
        }
    ],
}


def _drop_the_mugs(journey: Journey) -> dict[str, Any]:
    """The customer removes the mugs (itm-2) from the order: the 1st billing once revised."""
    change = journey.post(
        "orders",
        f"/orders/{journey.order_id}/item-changes",
        {"changes": [{"item_id": "itm-2", "quantity": 0}]},
    )
    assert change.status_code == 200, change.text
    revised: dict[str, Any] = poll(lambda: journey.billings(1)[0], lambda b: b["revision"] == 2)
    return revised


@pytest.fixture(scope="module")
def unapplied_here() -> set[str]:
    """The customers whose payments this module's tests leave unapplied (the queue of a shared
    system holds other modules' too)."""
    return set()


def _unapplied(journey: Journey) -> list[dict[str, Any]]:
    queue = ok_json(journey.get("billing", "/queues/unapplied-payments", journey.staff))
    rows: list[dict[str, Any]] = queue["payments"]
    return rows


@pytest.mark.rule("R20")
def test_R20_an_unavailable_last_item_is_refunded_once_not_twice(system: System) -> None:
    journey = Journey(system, "cus-mp20")
    journey.place(ONE_ITEM)
    [first] = journey.billings(1)
    assert first["amount"] == "25.31"
    journey.paid_first()
    answer = journey.staff_item("itm-1", "unavailable", {"reason": "seller closed"})
    assert answer.status_code == 200, answer.text
    journey.wait_status("cancelled")
    # The cancel's refund is the last entry: once it is there, both refunds were made.
    deposit = poll(
        journey.deposit,
        lambda d: any("cancelled" in e["reason"] for e in d["history"]),
    )
    refunds = sorted(Decimal(e["amount"]) for e in deposit["history"] if e["kind"] == "refund")
    assert refunds == [Decimal("1.27"), Decimal("24.04")]
    assert deposit["balance"] == "25.31"  # what was paid, not 49.35


@pytest.mark.rule("R17", "R8")
def test_R17_a_change_after_a_short_transfer_revises_the_bill_and_returns_the_excess(
    system: System, journey: Journey
) -> None:
    [first] = journey.billings(1)
    bid = first["billing_id"]
    assert first["amount"] == "19.33"
    short = send_bank_notice(system, bid, "15.00", f"TX-{journey.order_id}")
    assert short.status_code == 200 and short.json()["settled"] is False
    # The tote alone: 11.65 + 1.02 + 1.28 (10 CNY minimum fee) = 13.95; 15.00 paid covers it.
    billing = _drop_the_mugs(journey)
    assert (billing["amount"], billing["paid"], billing["balance"], billing["status"]) == (
        "13.95",
        "13.95",
        "0.00",
        "paid",
    )
    deposit = poll(journey.deposit, lambda d: d["balance"] == "1.05")
    assert deposit["history"][0]["kind"] == "refund"
    journey.wait_status("purchasing")  # orders learnt the revised bill is paid


@pytest.mark.rule("R17", "R8")
def test_R17_a_change_after_a_partial_deposit_payment_leaves_only_the_rest_to_pay(
    system: System,
) -> None:
    journey = Journey(system, "cus-mp17b")
    journey.give_deposit("10.00")
    journey.place()
    [first] = journey.billings(1)
    paid = journey.post("billing", f"/billings/{first['billing_id']}/deposit-payments", {})
    assert paid.status_code == 201 and paid.json()["applied"] == "10.00"
    billing = _drop_the_mugs(journey)
    assert (billing["amount"], billing["paid"], billing["balance"], billing["status"]) == (
        "13.95",
        "10.00",
        "3.95",
        "partially_paid",
    )


def test_a_bank_notice_for_a_cancelled_order_is_credited_and_shown_to_staff(
    system: System, journey: Journey, unapplied_here: set[str]
) -> None:
    unapplied_here.add(journey.customer_id)
    [first] = journey.billings(1)
    bid = first["billing_id"]
    assert journey.post("orders", f"/orders/{journey.order_id}/cancel", {}).status_code == 200
    poll(lambda: journey.billings(1)[0], lambda b: b["status"] == "voided")
    answer = send_bank_notice(system, bid, "19.33", f"TX-{journey.order_id}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["to_deposit"] == "19.33"
    poll(journey.deposit, lambda d: d["balance"] == "19.33")
    rows = poll(lambda: _unapplied(journey), lambda rows: any(r["billing_id"] == bid for r in rows))
    row = next(r for r in rows if r["billing_id"] == bid)
    assert (row["status"], row["amount"], row["customer_id"]) == (
        "credited",
        "19.33",
        journey.customer_id,
    )


def test_a_bank_notice_nobody_can_be_matched_to_is_held_until_staff_credit_it(
    system: System, unapplied_here: set[str]
) -> None:
    journey = Journey(system, "cus-mp6b")
    unapplied_here.add(journey.customer_id)
    reference = f"unknown-{time.time_ns()}"
    answer = send_bank_notice(system, reference, "42.00", f"TX-{reference}")
    assert answer.status_code == 202, answer.text
    hold_id = answer.json()["hold_id"]
    rows = poll(
        lambda: _unapplied(journey), lambda rows: any(r["payment_id"] == hold_id for r in rows)
    )
    assert next(r for r in rows if r["payment_id"] == hold_id)["status"] == "held"
    credit = journey.post(
        "billing",
        f"/held-payments/{hold_id}/credits",
        {"customer_id": journey.customer_id},
        journey.staff,
    )
    assert credit.status_code == 201, credit.text
    poll(journey.deposit, lambda d: d["balance"] == "42.00")
    again = journey.post(
        "billing", f"/held-payments/{hold_id}/credits", {"customer_id": "cus-x"}, journey.staff
    )
    assert again.status_code == 409


def test_the_billing_read_models_rebuilt_from_zero_equal_the_live_ones(
    system: System, unapplied_here: set[str]
) -> None:
    # Run last in this module: the refunds, revisions, diverted and held payments above are
    # in the histories rebuilt.
    live = assert_rebuild_equals_live(system, "billing")
    unapplied = next(s for s in live if "unapplied_payments" in s)["unapplied_payments"]
    here = [row for row in unapplied if any(customer in row for customer in unapplied_here)]
    assert len(here) == 2 and all("credited" in row for row in here)
