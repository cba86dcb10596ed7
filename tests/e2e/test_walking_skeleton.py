"""Orders through their whole life, over HTTP, across the four real service processes."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import psycopg
import pytest
import requests

from tests.support.journey import ORDER, Journey
from tests.support.rebuild import assert_rebuild_equals_live, lags
from tests.support.system import SERVICES, System, poll

# R24's proof moves the orders worker's clock a month ahead, which would fire the deadlines
# of every order in a shared system: a system of its own.
pytestmark = pytest.mark.own_system


def test_an_order_goes_from_application_to_completion_across_the_services(
    system: System,
) -> None:
    journey = Journey(system, "cus-alice")
    stranger = system.token("cus-mallory")
    journey.place()
    [first] = journey.billings(1)
    assert first["kind"] == "first" and first["currency"] == "EUR"
    # goods 127.00 CNY, domestic 14.00, fee max(6.35, 10) -> at 0.128: 16.26 + 1.79 + 1.28
    assert first["amount"] == "19.33"
    assert (
        journey.get("billing", f"/orders/{journey.order_id}/billings", stranger).status_code == 404
    )

    journey.pay("first")
    journey.inspect()
    quote = journey.pack().json()
    refused = journey.ship(["EE000000000CN", "EE000000001CN"])
    assert refused.status_code == 409 and "not paid" in refused.json()["message"]

    second = journey.pay("second")
    assert second["amount"] == quote["fee"]["amount"]
    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_ship")
    tracking = ["EE123456780CN", "EE123456781CN"]
    assert journey.ship(tracking).status_code == 200
    order = journey.wait_status("shipped")
    assert sorted(order["tracking_numbers"]) == tracking

    reported = journey.post(
        "orders", f"/orders/{journey.order_id}/reception-report", {"all_well": True}
    )
    assert reported.status_code == 200, reported.text
    journey.wait_status("completed")
    conversation = journey.conversation(lambda c: c["closes_at"] is not None)
    assert conversation["order_outcome"] == "completed" and conversation["accepts_messages"]
    assert journey.get("orders", f"/orders/{journey.order_id}", stranger).status_code == 404


@pytest.mark.rule("R24")
def test_R24_a_shipped_order_without_reception_report_completes_after_30_days(
    system: System,
) -> None:
    journey = Journey(system, "cus-carol")
    journey.to_shipped(["EE200000000CN", "EE200000001CN"])
    # Time travel: the orders worker restarted with its clock 31 days ahead fires the deadline.
    system.kill("orders-worker")
    system.env["CNNECT_CLOCK_OFFSET_S"] = str(31 * 24 * 3600)
    try:
        system.start("orders-worker")
        journey.wait_status("completed")
    finally:
        system.kill("orders-worker")
        system.env.pop("CNNECT_CLOCK_OFFSET_S")
        system.start("orders-worker")


@pytest.mark.rule("R15")
def test_R15_an_unpaid_order_can_be_cancelled_and_messaging_learns_it(journey: Journey) -> None:
    journey.billings(1)
    cancelled = journey.post("orders", f"/orders/{journey.order_id}/cancel", {})
    assert cancelled.status_code == 200, cancelled.text
    journey.wait_status("cancelled")
    again = journey.post("orders", f"/orders/{journey.order_id}/cancel", {})
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"
    journey.conversation(lambda c: c["order_outcome"] == "cancelled")


def test_every_projection_rebuilt_from_zero_equals_the_live_one(system: System) -> None:
    for service in SERVICES:
        assert_rebuild_equals_live(system, service)


def test_every_service_reports_ready_with_database_and_broker(system: System) -> None:
    for service in SERVICES:
        response = requests.get(system.url(service, "/readyz"), timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
        assert requests.get(system.url(service, "/openapi.json"), timeout=10).json()["paths"]
        lags = requests.get(system.url(service, "/projections"), timeout=10).json()["lag"]
        assert lags and all(isinstance(lag, int) for lag in lags.values())


def test_a_request_without_a_valid_identity_is_refused(system: System) -> None:
    response = requests.get(
        system.url("orders", "/orders"), headers={"Authorization": "Bearer forged"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_a_bad_order_application_is_refused_and_stores_nothing(system: System) -> None:
    journey = Journey(system, "cus-bob")
    item: dict[str, Any] = {**ORDER["items"][0]}
    bad = {**ORDER, "items": [{**item, "url": "https://evil.example.com/x", "quantity": 0}]}
    response = journey.post("orders", "/orders", bad)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "message"}
    assert journey.get("orders", "/orders").json()["orders"] == []


def test_a_repeated_idempotency_key_places_one_order(system: System) -> None:
    journey = Journey(system, "cus-erin")
    headers = {**journey.customer, "Idempotency-Key": "order-form-1"}
    url = system.url("orders", "/orders")
    first = requests.post(url, json=ORDER, headers=headers, timeout=10)
    again = requests.post(url, json=ORDER, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    poll(partial(lags, system, "orders"), lambda found: set(found.values()) == {0})
    assert len(journey.get("orders", "/orders").json()["orders"]) == 1
    other = Journey(system, "cus-frank")
    theirs = requests.post(
        url, json=ORDER, headers={**other.customer, "Idempotency-Key": "order-form-1"}, timeout=10
    )
    assert theirs.status_code == 201 and theirs.json()["order_id"] != first.json()["order_id"]


def test_concurrent_repeats_of_one_idempotency_key_cause_one_order(system: System) -> None:
    journey = Journey(system, "cus-gina")
    headers = {**journey.customer, "Idempotency-Key": "double-click"}
    url = system.url("orders", "/orders")
    with ThreadPoolExecutor(5) as pool:
        answers = list(
            pool.map(
                lambda _: requests.post(url, json=ORDER, headers=headers, timeout=30), range(5)
            )
        )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["order_id"] for a in answers}) == 1
    other_body = {**ORDER, "shipping_method": "SAL"}
    reused = requests.post(url, json=other_body, headers=headers, timeout=10)
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    poll(partial(lags, system, "orders"), lambda found: set(found.values()) == {0})
    assert len(journey.get("orders", "/orders").json()["orders"]) == 1


def _reservation(system: System, scope: str, key: str, effect_committed: bool) -> None:
    """The row a request leaves when its process dies mid-way (a minute ago)."""
    with psycopg.connect(system.database_url("orders"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO idempotent_requests (scope, key, fingerprint, status, body, "
            "created_at, effect_committed) VALUES (%s, %s, %s, 0, '{}', "
            "now() - interval '1 minute', %s)",
            (scope, key, hashlib.sha256(json.dumps(ORDER).encode()).hexdigest(), effect_committed),
        )


def _place_with_key(system: System, journey: Journey, key: str) -> requests.Response:
    """The customer's order placed again under `key`."""
    return requests.post(
        system.url("orders", "/orders"),
        data=json.dumps(ORDER),
        headers={**journey.customer, "Idempotency-Key": key, "Content-Type": "application/json"},
        timeout=30,
    )


def test_a_key_whose_process_died_before_any_effect_runs_again_after_the_lease(
    system: System,
) -> None:
    journey = Journey(system, "cus-hana")
    _reservation(system, "customer:cus-hana:POST:/orders", "died-early", False)
    answer = _place_with_key(system, journey, "died-early")
    assert answer.status_code == 201, answer.text
    with psycopg.connect(system.database_url("orders")) as conn:
        row = conn.execute(
            "SELECT status, effect_committed FROM idempotent_requests WHERE key = 'died-early'"
        ).fetchone()
    assert row == (201, True)  # marked in the transaction that placed the order


def test_a_key_whose_process_died_after_its_effect_is_never_run_twice(system: System) -> None:
    journey = Journey(system, "cus-ines")
    _reservation(system, "customer:cus-ines:POST:/orders", "died-late", True)
    answer = _place_with_key(system, journey, "died-late")
    assert answer.status_code == 409 and answer.json()["error"] == "answer_lost"
    assert journey.get("orders", "/orders").json()["orders"] == []
