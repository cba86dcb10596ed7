"""One order through its whole life, over HTTP, across the four real service processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.infra import Infra
from tests.support.system import System, poll, running_system


@pytest.fixture(scope="module")
def system(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    log_dir = tmp_path_factory.mktemp("system-logs")
    with running_system(infra, log_dir) as running:
        yield running


def _get(system: System, service: str, path: str, who: dict[str, str]) -> requests.Response:
    return requests.get(system.url(service, path), headers=who, timeout=10)


def _post(
    system: System, service: str, path: str, who: dict[str, str], body: dict[str, Any]
) -> requests.Response:
    return requests.post(system.url(service, path), json=body, headers=who, timeout=10)


ORDER: dict[str, Any] = {
    "items": [
        {
            "url": "https://item.taobao.com/item.htm?id=6620",
            "title": "Canvas tote bag",
            "options": {"colour": "navy"},
            "quantity": 2,
            "unit_price_cny": "45.50",
            "domestic_shipping_cny": "8.00",
        },
        {
            "url": "https://detail.1688.com/offer/5521.html",
            "title": "Enamel mug",
            "quantity": 3,
            "unit_price_cny": "12.00",
            "domestic_shipping_cny": "6.00",
        },
    ],
    "destination_country": "FR",
    "shipping_method": "EMS",
}


def _json(response: requests.Response) -> Any:
    return response.json() if response.status_code == 200 else None


def test_an_order_goes_from_application_to_completion_across_the_services(
    system: System,
) -> None:
    customer = system.token("cus-alice")
    stranger = system.token("cus-mallory")
    staff = system.token("staff-wei", "staff")

    placed = _post(system, "orders", "/orders", customer, ORDER)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]

    # billing consumed OrderPlaced and issued the 1st billing (goods)
    billings = poll(
        lambda: _json(_get(system, "billing", f"/orders/{order_id}/billings", customer)),
        lambda b: b is not None,
    )["billings"]
    [first] = billings
    assert first["kind"] == "first" and first["currency"] == "EUR"
    # goods 127.00 CNY, domestic 14.00, fee max(6.35, 10) = 10 -> at 0.128: 16.26 + 1.79 + 1.28
    assert first["amount"] == "19.33"
    assert _get(system, "billing", f"/orders/{order_id}/billings", stranger).status_code == 404

    paid = _post(
        system,
        "billing",
        f"/billings/{first['billing_id']}/payments",
        staff,
        {"amount": first["amount"], "currency": "EUR"},
    )
    assert paid.status_code == 201 and paid.json()["settled"] is True

    poll(
        lambda: _json(_get(system, "orders", f"/orders/{order_id}", customer)),
        lambda o: o and o["status"] == "purchasing",
    )
    inspected = _post(
        system,
        "orders",
        f"/orders/{order_id}/inspection",
        staff,
        {
            "items": [
                {"item_id": "itm-1", "quantity": 2, "weight_grams": 800},
                {"item_id": "itm-2", "quantity": 3, "weight_grams": 900},
            ]
        },
    )
    assert inspected.status_code == 200, inspected.text

    # shipping consumed ItemsInspected: ready to pack
    poll(
        lambda: _json(_get(system, "shipping", f"/shipments/{order_id}", staff)),
        lambda s: s and s["status"] == "to_pack",
    )
    quoted = _post(
        system,
        "shipping",
        f"/shipments/{order_id}/parcels",
        staff,
        {
            "parcels": [
                {"weight_grams": 900, "length_cm": 30, "width_cm": 20, "height_cm": 10},
                {"weight_grams": 1100, "length_cm": 25, "width_cm": 20, "height_cm": 15},
            ]
        },
    )
    assert quoted.status_code == 201, quoted.text
    parcels = quoted.json()["parcels"]
    refused = _post(
        system,
        "shipping",
        f"/shipments/{order_id}/ship",
        staff,
        {
            "parcels": [
                {"parcel_id": p, "carrier": "EMS", "tracking_number": f"EE00000000{n}CN"}
                for n, p in enumerate(parcels)
            ]
        },
    )
    assert refused.status_code == 409 and "not paid" in refused.json()["message"]

    # billing consumed ShippingQuoted: the 2nd billing (international shipping)
    billings = poll(
        lambda: _json(_get(system, "billing", f"/orders/{order_id}/billings", customer)),
        lambda b: b and len(b["billings"]) == 2,
    )["billings"]
    second = next(b for b in billings if b["kind"] == "second")
    assert second["amount"] == quoted.json()["fee"]["amount"]
    paid = _post(
        system,
        "billing",
        f"/billings/{second['billing_id']}/payments",
        staff,
        {"amount": second["amount"], "currency": "EUR"},
    )
    assert paid.status_code == 201, paid.text

    poll(
        lambda: _json(_get(system, "shipping", f"/shipments/{order_id}", staff)),
        lambda s: s and s["status"] == "to_ship",
    )
    tracking = [f"EE12345678{n}CN" for n in range(len(parcels))]
    shipped = _post(
        system,
        "shipping",
        f"/shipments/{order_id}/ship",
        staff,
        {
            "parcels": [
                {"parcel_id": p, "carrier": "EMS", "tracking_number": t}
                for p, t in zip(parcels, tracking, strict=True)
            ]
        },
    )
    assert shipped.status_code == 200, shipped.text

    order = poll(
        lambda: _json(_get(system, "orders", f"/orders/{order_id}", customer)),
        lambda o: o and o["status"] == "shipped",
    )
    assert sorted(order["tracking_numbers"]) == sorted(tracking)

    reported = _post(
        system, "orders", f"/orders/{order_id}/reception-report", customer, {"all_well": True}
    )
    assert reported.status_code == 200, reported.text
    poll(
        lambda: _json(_get(system, "orders", f"/orders/{order_id}", customer)),
        lambda o: o and o["status"] == "completed",
    )
    conversation = poll(
        lambda: _json(_get(system, "messaging", f"/orders/{order_id}/conversation", customer)),
        lambda c: c and c["closes_at"] is not None,
    )
    assert conversation["order_outcome"] == "completed" and conversation["accepts_messages"]
    assert _get(system, "orders", f"/orders/{order_id}", stranger).status_code == 404


def test_every_service_reports_ready_with_database_and_broker(system: System) -> None:
    for service in ("orders", "billing", "messaging", "shipping"):
        response = requests.get(system.url(service, "/readyz"), timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_a_request_without_a_valid_identity_is_refused(system: System) -> None:
    response = requests.get(
        system.url("orders", "/orders"), headers={"Authorization": "Bearer forged"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_a_bad_order_application_is_refused_and_stores_nothing(system: System) -> None:
    customer = system.token("cus-bob")
    item: dict[str, Any] = {**ORDER["items"][0]}
    bad = {**ORDER, "items": [{**item, "url": "https://evil.example.com/x", "quantity": 0}]}
    response = _post(system, "orders", "/orders", customer, bad)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "message"}
    assert _get(system, "orders", "/orders", customer).json()["orders"] == []
