"""The billing rules through the HTTP API of the real processes (database and broker real)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.bank_notices import bank_headers, bank_notice
from tests.support.journey import Journey, ok_json
from tests.support.system import BANK_SECRET, OLD_BANK_SECRET, System, poll


def _notice(
    system: System,
    billing_id: str,
    amount: str,
    transaction_id: str,
    secret: str = BANK_SECRET,
    age_s: int = 0,
    tamper: bool = False,
) -> requests.Response:
    body = bank_notice(billing_id, amount, transaction_id)
    headers = bank_headers(body, secret, skew_s=-age_s)
    if tamper:
        body = body.replace(amount.encode(), b"9" + amount.encode()[1:])
    return requests.post(
        system.url("billing", "/webhooks/bank"), data=body, headers=headers, timeout=10
    )


@pytest.mark.rule("R4", "R8", "R10")
def test_R8_the_deposit_pays_first_and_the_page_shows_the_rest_by_bank_or_card(
    system: System,
) -> None:
    journey = Journey(system, "cus-b8")
    journey.give_deposit("10.00")
    journey.place()
    [first] = journey.billings(1)
    page = journey.get("billing", f"/billings/{first['billing_id']}/payment-page").json()
    assert (page["open"], page["deposit"]["applies"], page["rest"]) == ("19.33", "10.00", "9.33")
    # 3.9 % card fee on 9.33 = 0.36387 -> 0.36 (half-up to the cent)
    assert (page["card"]["fee"], page["card"]["total"]) == ("0.36", "9.69")
    paid = journey.post("billing", f"/billings/{first['billing_id']}/deposit-payments", {})
    assert paid.status_code == 201 and paid.json()["applied"] == "10.00"
    billing = poll(lambda: journey.billings(1)[0], lambda b: b["status"] == "partially_paid")
    assert (billing["paid"], billing["balance"]) == ("10.00", "9.33")
    again = journey.post("billing", f"/billings/{first['billing_id']}/deposit-payments", {})
    assert again.status_code == 409 and again.json()["error"] == "insufficient_deposit"
    deposit = poll(journey.deposit, lambda d: d["balance"] == "0.00")
    assert [e["kind"] for e in deposit["history"]] == ["payment", "adjustment"]


@pytest.mark.rule("R9", "R11")
def test_R9_a_reported_transfer_is_recorded_once_by_the_bank_and_the_excess_kept(
    system: System, journey: Journey
) -> None:
    [first] = journey.billings(1)
    bid = first["billing_id"]
    report = journey.post(
        "billing",
        f"/billings/{bid}/payment-reports",
        {"payer_name": "A Martin", "paid_on": "2026-11-26", "amount": "20.00", "currency": "EUR"},
    )
    assert report.status_code == 201, report.text
    assert report.json()["expected_confirmation"]
    queue = poll(
        lambda: ok_json(journey.get("billing", "/queues/payment-reports", journey.staff)),
        lambda q: any(r["billing_id"] == bid for r in q["reports"]),
    )
    assert queue["queue"] == "payment_reports"
    # Each row names its order, so the console links it without decoding the billing id.
    assert next(r for r in queue["reports"] if r["billing_id"] == bid)["order_id"] == (
        journey.order_id
    )
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: _notice(system, bid, "20.00", "TX-9001"), range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert sum(a.json()["recorded"] for a in answers) == 1
    billing = poll(lambda: journey.billings(1)[0], lambda b: b["status"] == "paid")
    assert len(billing["payments"]) == 1 and billing["payments"][0]["method"] == "bank_transfer"
    deposit = poll(journey.deposit, lambda d: d["balance"] == "0.67")
    assert deposit["history"][0]["kind"] == "overpayment"
    journey.wait_status("purchasing")
    poll(
        lambda: journey.get("billing", "/queues/payment-reports", journey.staff).json(),
        lambda q: all(r["billing_id"] != bid for r in q["reports"]),
    )


@pytest.mark.rule("R11")
def test_R11_forged_or_stale_bank_notices_are_refused_with_nothing_recorded(
    system: System, journey: Journey
) -> None:
    [first] = journey.billings(1)
    bid = first["billing_id"]
    for forged in (
        _notice(system, bid, "19.33", "TX-1", tamper=True),
        _notice(system, bid, "19.33", "TX-2", secret="not-the-bank"),
        _notice(system, bid, "19.33", "TX-3", age_s=301),
    ):
        assert forged.status_code == 401 and forged.json()["error"] == "invalid_signature"
    rotated = _notice(system, bid, "19.33", "TX-4", secret=OLD_BANK_SECRET)
    assert rotated.status_code == 200 and rotated.json()["recorded"] is True
    billing = poll(lambda: journey.billings(1)[0], lambda b: b["status"] == "paid")
    assert [p["amount"] for p in billing["payments"]] == ["19.33"]
