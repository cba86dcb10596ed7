"""Card payments through PayPal, against the real processes and a local fake PayPal (R10, R11)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from deploy.paypal_standin import PayPalStandIn, capture_completed_event
from shared.money import Money
from tests.support.journey import Journey, ok_json
from tests.support.system import System, poll

WEBHOOK_ID = "WH-E2E-0001"


def _deliver(system: System, headers: dict[str, str], body: bytes) -> requests.Response:
    return requests.post(
        system.url("billing", "/webhooks/paypal"),
        data=body,
        headers={**headers, "Content-Type": "application/json"},
        timeout=10,
    )


@pytest.mark.rule("R8", "R10", "R11")
def test_R10_the_rest_after_the_deposit_is_paid_by_card_and_recorded_once(
    system: System, paypal: PayPalStandIn
) -> None:
    journey = Journey(system, "cus-card")
    journey.give_deposit("5.00", "welcome")
    journey.place()
    [first] = journey.billings(1)
    bid = first["billing_id"]
    checkout = journey.card_checkout(bid)  # the deposit pays first, by itself (R8)
    # 14.33 left; 3.9 % fee = 0.55887 -> 0.56; the customer sees the total before paying.
    assert (checkout["amount"], checkout["fee"], checkout["total"]) == ("14.33", "0.56", "14.89")
    assert checkout["approval_url"].startswith(paypal.base_url)
    assert journey.card_checkout(bid)["paypal_order_id"] == checkout["paypal_order_id"]
    event = capture_completed_event(
        checkout["paypal_order_id"], bid, Money(Decimal("14.89"), "EUR")
    )
    headers, body = paypal.signed_webhook(event, WEBHOOK_ID)
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: _deliver(system, headers, body), range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert sum(a.json()["recorded"] for a in answers) == 1
    billing = poll(lambda: journey.billings(1)[0], lambda b: b["status"] == "paid")
    assert [(p["method"], p["amount"]) for p in billing["payments"]] == [
        ("deposit", "5.00"),
        ("card", "14.33"),
    ]
    journey.wait_status("purchasing")


@pytest.mark.rule("R11")
def test_R11_forged_paypal_notices_are_refused_and_odd_captures_go_to_review(
    system: System, journey: Journey, paypal: PayPalStandIn
) -> None:
    [first] = journey.billings(1)
    bid = first["billing_id"]
    checkout = journey.card_checkout(bid)
    event = capture_completed_event(
        checkout["paypal_order_id"], bid, Money(Decimal(checkout["total"]), "EUR")
    )
    headers, body = paypal.signed_webhook(event, WEBHOOK_ID)
    tampered = body.replace(checkout["total"].encode(), b"1.00")
    assert _deliver(system, headers, tampered).status_code == 401
    wrong_id_headers, wrong_id_body = paypal.signed_webhook(event, "WH-SOMEONE-ELSE")
    assert _deliver(system, wrong_id_headers, wrong_id_body).status_code == 401
    short = capture_completed_event(checkout["paypal_order_id"], bid, Money(Decimal("1.00"), "EUR"))
    assert _deliver(system, *paypal.signed_webhook(short, WEBHOOK_ID)).status_code == 200
    review = poll(
        lambda: ok_json(journey.get("billing", "/queues/captures-in-review", journey.staff)),
        lambda q: any(c["billing_id"] == bid for c in q["captures"]),
    )
    in_review = next(c for c in review["captures"] if c["billing_id"] == bid)
    assert in_review["amount"] == "1.00" and in_review["order_id"] == journey.order_id
    assert journey.billings(1)[0]["status"] == "open"
