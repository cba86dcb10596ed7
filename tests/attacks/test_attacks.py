"""Attacks on the running system that need more than generated input: forged and replayed
webhooks through the gateway, an Idempotency-Key reused by another customer, and requests the
HTTP server refuses before any app sees them. Each is refused with nothing stored: every
service's event count is compared before and after.

Proven elsewhere and not repeated here:
- bank notices with a tampered body, a wrong secret or a timestamp 301 s old are refused and
  a rotated secret still works (tests/e2e/test_billing_rules.py, test_R11_forged_or_stale_...);
  five concurrent copies of one notice record one payment (test_R9_a_reported_transfer_...);
- PayPal notices with a tampered body or signed for another webhook id are refused, sent to
  billing directly (tests/e2e/test_card_payments.py, test_R11_forged_paypal_notices_...); five
  concurrent deliveries record one capture (test_R10_the_rest_after_the_deposit_...);
- who may call what, route by route, for every caller: tests/e2e/test_access_matrix.py and
  tests/e2e/test_gateway_access_matrix.py.
Uploads are attacked in test_upload_attacks.py, text fields in test_injection_attacks.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from deploy.paypal_standin import DEFAULT_WEBHOOK_ID, PayPalStandIn, capture_completed_event
from shared.money import Money
from tests.support.bank_notices import bank_headers, bank_notice
from tests.support.journey import ORDER, Journey, ok_json
from tests.support.stored import nothing_stored
from tests.support.system import SERVICES, System, poll


def _through_gateway(
    system: System, provider: str, body: bytes, headers: dict[str, str]
) -> requests.Response:
    return requests.post(
        system.url("gateway", f"/webhooks/{provider}"), data=body, headers=headers, timeout=10
    )


def _first_billing(system: System, customer: str) -> tuple[Journey, dict[str, Any]]:
    journey = Journey(system, customer)
    journey.place()
    [first] = journey.billings(1)
    return journey, first


@pytest.mark.rule("R11")
def test_R11_forged_stale_and_replayed_bank_notices_through_the_gateway_record_one_payment(
    system: System,
) -> None:
    journey, first = _first_billing(system, "cus-attack-bank")
    body = bank_notice(first["billing_id"], first["amount"], "TX-ATTACK-1")
    other = bank_notice(first["billing_id"], "0.01", "TX-ATTACK-2")
    with nothing_stored(system):
        for headers, sent in (
            (bank_headers(body, secret="not-the-banks-secret"), body),
            (bank_headers(other), body),  # a genuine signature of another notice
            (bank_headers(body, skew_s=-600), body),  # captured ten minutes ago
            (bank_headers(body, skew_s=600), body),  # dated ahead to outlive the window
            ({"Content-Type": "application/json"}, body),
        ):
            refused = _through_gateway(system, "bank", sent, headers)
            assert refused.status_code == 401, refused.text
            assert refused.json()["error"] == "invalid_signature"
    genuine = bank_headers(body)
    recorded = _through_gateway(system, "bank", body, genuine)
    assert recorded.status_code == 200 and recorded.json()["recorded"] is True
    poll(lambda: journey.billings(1)[0], lambda b: b["status"] == "paid")
    with nothing_stored(system):
        # The same delivery again, then the bank's own retry (signed anew): recorded once.
        for headers in (genuine, bank_headers(body)):
            again = _through_gateway(system, "bank", body, headers)
            assert again.status_code == 200 and again.json() == {
                "recorded": False,
                "duplicate": True,
            }
    payments = journey.billings(1)[0]["payments"]
    assert [(p["method"], p["amount"]) for p in payments] == [("bank_transfer", first["amount"])]


@pytest.mark.rule("R11")
def test_R11_forged_paypal_notices_through_the_gateway_store_nothing_and_a_replay_records_once(
    system: System, paypal: PayPalStandIn
) -> None:
    journey, first = _first_billing(system, "cus-attack-paypal")
    checkout = journey.card_checkout(first["billing_id"])
    total = Money(Decimal(checkout["total"]), "EUR")
    event = capture_completed_event(checkout["paypal_order_id"], first["billing_id"], total)
    forger = PayPalStandIn(fresh_key=True)  # its own key; never started: it only signs
    forged = [
        # Signed by another key, pointing at PayPal's real certificate.
        forger.signed_webhook(event, DEFAULT_WEBHOOK_ID, cert_url=paypal.cert_url),
        # PayPal's signature, but a certificate from a host that is not PayPal's.
        paypal.signed_webhook(event, DEFAULT_WEBHOOK_ID, cert_url="https://evil.example/c.pem"),
        # A genuine delivery captured an hour ago.
        paypal.signed_webhook(
            event, DEFAULT_WEBHOOK_ID, transmission_time=datetime.now(UTC) - timedelta(hours=1)
        ),
    ]
    with nothing_stored(system):
        for headers, body in forged:
            refused = _through_gateway(system, "paypal", body, headers)
            assert refused.status_code == 401, refused.text
    headers, body = paypal.signed_webhook(event, DEFAULT_WEBHOOK_ID)
    recorded = _through_gateway(system, "paypal", body, headers)
    assert recorded.status_code == 200 and recorded.json() == {"recorded": True}
    poll(lambda: journey.billings(1)[0], lambda b: b["status"] == "paid")
    with nothing_stored(system):
        replayed = _through_gateway(system, "paypal", body, headers)
        assert replayed.status_code == 200 and replayed.json() == {"recorded": False}


def test_a_webhook_for_an_unknown_provider_is_not_passed_on(system: System) -> None:
    with nothing_stored(system):
        answer = _through_gateway(system, "stripe", b"{}", {"Content-Type": "application/json"})
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


def test_an_idempotency_key_reused_by_another_customer_is_their_own_request(
    system: System,
) -> None:
    key = {"Idempotency-Key": "order-2026-11-27-0001"}
    alice, bob = Journey(system, "cus-attack-alice"), Journey(system, "cus-attack-bob")
    url = system.url("orders", "/orders")

    def place(journey: Journey) -> requests.Response:
        headers = {**journey.customer, **key}
        return requests.post(url, json=ORDER, headers=headers, timeout=10)

    first = place(alice)
    assert first.status_code == 201, first.text
    theirs = place(bob)  # the same key and the same body: still Bob's own, new order
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["order_id"] != first.json()["order_id"]
    again = place(alice)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    bob.order_id = theirs.json()["order_id"]
    assert poll(bob.order, lambda o: o is not None)["customer_id"] == bob.customer_id
    assert ok_json(alice.get("orders", f"/orders/{bob.order_id}")) is None  # 404 to Alice


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_requests_the_http_server_refuses_itself_answer_the_error_body(
    system: System, service: str
) -> None:
    with nothing_stored(system):
        too_long = requests.get(system.url(service, "/healthz?q=" + "x" * 10_000), timeout=10)
        unreadable = requests.get(
            system.url(service, "/healthz"), headers={"X-Odd": "a\x01b"}, timeout=10
        )
    assert too_long.status_code == 414
    assert too_long.json()["error"] == "uri_too_long"
    assert unreadable.status_code == 400
    assert unreadable.headers["Content-Type"] == "application/json"
    assert set(unreadable.json()) == {"error", "message"}
