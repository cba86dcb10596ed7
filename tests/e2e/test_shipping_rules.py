"""The shipping rules through the HTTP API of the real processes (database and broker real)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.journey import Journey, ok_json
from tests.support.system import System, poll

PARCEL = {"weight_grams": 1200, "length_cm": 30, "width_cm": 20, "height_cm": 10}
METHODS = {"EMS", "AIR", "SAL", "SEA", "COURIER"}


def _estimate(system: System, **query: Any) -> requests.Response:
    return requests.get(system.url("shipping", "/estimate"), params=query, timeout=10)


def _packed(journey: Journey) -> dict[str, Any]:
    journey.place()
    journey.pay("first")
    journey.inspect()
    packed: dict[str, Any] = journey.pack().json()
    return packed


def _queue(journey: Journey, name: str) -> set[str]:
    response = journey.get("shipping", f"/queues/{name}", journey.staff)
    assert response.status_code == 200, response.text
    return {s["order_id"] for s in response.json()["shipments"]}


@pytest.mark.rule("R22")
def test_R22_anyone_gets_an_approximate_fee_for_every_method_that_can_carry_it(
    system: System,
) -> None:
    response = _estimate(system, country="FR", **PARCEL)
    assert response.status_code == 200, response.text
    offers = {o["method"]: o for o in response.json()["offers"]}
    assert set(offers) == METHODS and response.json()["zone"] == 3
    assert offers["EMS"]["fee"] == {"amount": "27.00", "currency": "EUR"}
    assert offers["EMS"]["chargeable_weight_grams"] == 1500  # 30x20x10 / 6000 = 1 kg < 1.2 kg
    assert offers["SEA"]["transit_days"] == {"min": 40, "max": 70}
    posted = requests.post(
        system.url("shipping", "/estimate"), json={"country": "fr", **PARCEL}, timeout=10
    )
    assert posted.status_code == 200 and posted.json() == response.json()
    to_japan = _estimate(system, country="JP", **PARCEL).json()["offers"]
    assert "SEA" not in {o["method"] for o in to_japan}  # sea mail does not serve Asia
    public = requests.get(system.url("shipping", "/methods"), timeout=10)
    assert {m["method"] for m in public.json()["methods"]} == METHODS


@pytest.mark.rule("R22")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"country": "FR", **PARCEL, "weight_grams": -5}, "weight must be a positive"),
        ({"country": "FR", **PARCEL, "weight_grams": 0}, "weight must be a positive"),
        ({"country": "FR", **PARCEL, "length_cm": 0}, "every side must be a positive"),
        ({"country": "ZZ", **PARCEL}, "do not ship to 'ZZ'"),
        ({"country": "FR", **PARCEL, "weight_grams": 90_000}, "no method can carry"),
        ({"country": "FR", **PARCEL, "length_cm": 400}, "no method can carry"),
        ({"country": "FR", "weight_grams": 500}, "length_cm"),
        ({"country": "FR", **PARCEL, "weight_grams": "heavy"}, "weight_grams"),
    ],
    ids=["negative", "zero", "flat", "unknown-country", "too-heavy", "too-long", "missing", "nan"],
)
def test_R22_impossible_input_gets_a_clear_error(
    system: System, query: dict[str, Any], message: str
) -> None:
    response = _estimate(system, **query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == "validation_error"
    assert message in str(body["message"])


@pytest.mark.rule("R6", "R21")
def test_R6_R21_two_parcels_quoted_paid_and_shipped_with_two_tracking_numbers(
    system: System,
) -> None:
    journey = Journey(system, "cus-ship1")
    stranger = system.token("cus-ship-mallory")
    journey.place()
    journey.pay("first")
    journey.inspect()
    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_pack")
    assert journey.order_id in _queue(journey, "to-pack")
    assert journey.get("shipping", "/queues/to-pack").status_code == 403
    # The customer asked for air mail instead of EMS: staff change it before packing.
    changed = journey.post(
        "shipping", f"/shipments/{journey.order_id}/method", {"method": "AIR"}, journey.staff
    )
    assert changed.status_code == 200 and changed.json()["method"] == "AIR", changed.text
    quote = journey.pack().json()
    assert quote["method"] == "AIR" and len(quote["parcels"]) == 2
    # AIR to zone 3: 900 g (30x20x10 -> 1000 g) = 12.00 + 3.20; 1100 g (1250 g -> 1500) = 18.40
    assert quote["fee"] == {"amount": "33.60", "currency": "EUR"}
    poll(journey.shipment, lambda s: s is not None and s["status"] == "awaiting_payment")
    assert journey.order_id in _queue(journey, "awaiting-payment")
    journey.billings(2)
    # Before paying, the customer prefers surface mail: the quote is dropped, the parcels are
    # quoted again, and the unpaid 2nd billing follows at once (a new revision).
    late = journey.post(
        "shipping", f"/shipments/{journey.order_id}/method", {"method": "SAL"}, journey.staff
    )
    assert late.status_code == 200, late.text
    quote = journey.pack().json()
    assert quote["method"] == "SAL" and quote["fee"]["amount"] != "33.60"
    revised = poll(
        lambda: next(b for b in journey.billings(2) if b["kind"] == "second"),
        lambda b: b["revision"] == 2,
    )
    assert revised["amount"] == quote["fee"]["amount"]

    refused = journey.ship(["EE300000000CN", "EE300000001CN"])
    assert refused.status_code == 409 and "not paid" in refused.json()["message"]

    second = journey.pay("second")
    assert second["amount"] == quote["fee"]["amount"]

    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_ship")
    assert journey.order_id in _queue(journey, "to-ship")
    paid_late = journey.post(
        "shipping", f"/shipments/{journey.order_id}/method", {"method": "EMS"}, journey.staff
    )
    tracking = ["EE300000010CN", "EE300000011CN"]
    shipped = requests.post(
        system.url("shipping", f"/shipments/{journey.order_id}/ship"),
        json={
            "parcels": [
                {"parcel_id": p, "carrier": "Japan Post", "tracking_number": t}
                for p, t in zip(journey.parcels, tracking, strict=True)
            ]
        },
        headers={**journey.staff, "Idempotency-Key": f"ship-{journey.order_id}"},
        timeout=10,
    )
    assert shipped.status_code == 200, shipped.text
    order = journey.wait_status("shipped")
    assert sorted(order["tracking_numbers"]) == tracking

    mine = poll(
        lambda: ok_json(journey.get("shipping", f"/shipments/{journey.order_id}")),
        lambda s: s is not None and s["status"] == "shipped",
    )
    assert mine["tracking_numbers"] == tracking and mine["shipped_at"]
    assert [p["tracking_url"] for p in mine["tracking"]] == [
        f"https://t.17track.net/en#nums={t}" for t in tracking
    ]
    assert mine["method"] == "SAL" and mine["fee"]["amount"] == quote["fee"]["amount"]
    assert paid_late.status_code == 409
    assert [c["parcel_id"] for c in mine["charges"]] == journey.parcels
    assert journey.get("shipping", f"/shipments/{journey.order_id}", stranger).status_code == 404
    assert journey.order_id not in _queue(journey, "to-ship")


def _put_rates(journey: Journey, body: dict[str, Any], key: str) -> requests.Response:
    return requests.put(
        journey.system.url("shipping", "/methods/EMS/rates"),
        json=body,
        headers={**journey.staff, "Idempotency-Key": key},
        timeout=10,
    )


@pytest.mark.rule("R21")
def test_R21_a_rate_change_prices_new_quotes_while_an_old_quote_keeps_its_version(
    system: System,
) -> None:
    first = Journey(system, "cus-ship2")
    old_quote = _packed(first)
    methods = requests.get(system.url("shipping", "/methods"), timeout=10).json()["methods"]
    ems = next(m for m in methods if m["method"] == "EMS")
    assert old_quote["rate_version"] == ems["rate_version"]

    dearer = {k: v for k, v in ems.items() if k not in ("method", "rate_version")}
    dearer["zones"] = [{**z, "first_price": "30.00", "step_price": "6.00"} for z in ems["zones"]]
    assert _put_rates(first, {**dearer, "zones": []}, "bad-rates").status_code == 400
    customer = requests.put(
        system.url("shipping", "/methods/EMS/rates"),
        json=dearer,
        headers=first.customer,
        timeout=10,
    )
    assert customer.status_code == 403
    changed = _put_rates(first, dearer, "ems-rates-2")
    again = _put_rates(first, dearer, "ems-rates-2")
    assert changed.status_code == 200, changed.text
    assert again.json() == changed.json() and again.headers["Idempotent-Replayed"] == "true"
    new_version = changed.json()["rate_version"]
    assert new_version == ems["rate_version"] + 1

    second = Journey(system, "cus-ship3")
    new_quote = _packed(second)
    assert new_quote["rate_version"] == new_version
    # 30.00 + 6.00 (1000 g) and 30.00 + 2 x 6.00 (1250 g -> 1500 g)
    assert new_quote["fee"] == {"amount": "78.00", "currency": "EUR"}
    billed = next(b for b in second.billings(2) if b["kind"] == "second")
    assert billed["amount"] == "78.00"

    old = poll(first.shipment, lambda s: s is not None and s["status"] == "awaiting_payment")
    assert old["rate_version"] == old_quote["rate_version"] and old["fee"] == old_quote["fee"]
    then = requests.get(
        system.url("shipping", f"/methods/EMS/rates/{old['rate_version']}"), timeout=10
    )
    assert then.status_code == 200 and then.json()["zones"] == ems["zones"]
