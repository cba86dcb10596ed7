"""The orders rules through the HTTP API of the real processes (database and broker real)."""

from __future__ import annotations

import pytest
import requests

from tests.support.images import html_posing_as_png, jpeg, png, truncated_png
from tests.support.journey import Journey, ok_json
from tests.support.system import System, poll


def _paid(system: System, customer: str) -> Journey:
    journey = Journey(system, customer)
    journey.place()
    journey.paid_first()
    return journey


@pytest.mark.rule("R1", "R2", "R3", "R5")
def test_R1_R5_the_order_details_show_address_items_and_the_one_next_action(
    system: System,
) -> None:
    journey = Journey(system, "cus-r1")
    journey.place()
    journey.billings(1)
    order = poll(journey.order, lambda o: o is not None and o["next_action"] is not None)
    assert order["next_action"] == "pay_first_billing"
    assert order["address"]["city"] == "Lyon" and order["shipping_method"] == "EMS"
    assert [
        (i["item_id"], i["status"], i["quantity"], i["unit_price"]["amount"])
        for i in order["items"]
    ] == [("itm-1", "pre_payment", 2, "45.50"), ("itm-2", "pre_payment", 3, "12.00")]
    assert order["items"][0]["url"].startswith("https://item.taobao.com/")
    second = Journey(system, "cus-r1")
    second.place()
    ongoing = poll(
        lambda: journey.get("orders", "/orders?tab=ongoing").json()["orders"],
        lambda orders: len(orders) == 2,
    )
    assert {o["order_id"] for o in ongoing} == {journey.order_id, second.order_id}


@pytest.mark.rule("R13")
def test_R13_staff_cannot_purchase_before_recording_the_sellers_confirmation(
    journey: Journey,
) -> None:
    condition = journey.post(
        "orders",
        f"/orders/{journey.order_id}/items/itm-1/purchase-condition",
        {"text": "Is the navy one in stock?"},
    )
    assert condition.status_code == 200, condition.text
    journey.paid_first()
    queue = poll(
        lambda: ok_json(journey.get("orders", "/queues/awaiting_seller", journey.staff)),
        lambda q: q is not None and any(i["order_id"] == journey.order_id for i in q["items"]),
    )
    assert {"order_id": journey.order_id, "item_id": "itm-1"}.items() <= next(
        i for i in queue["items"] if i["order_id"] == journey.order_id
    ).items()
    refused = journey.staff_item("itm-1", "purchased")
    assert refused.status_code == 409
    assert "seller's confirmation" in refused.json()["message"]
    answered = journey.staff_item("itm-1", "seller-confirmation", {"answer": "Navy in stock"})
    assert answered.status_code == 200
    assert journey.staff_item("itm-1", "purchased").status_code == 200


@pytest.mark.rule("R27")
def test_R27_purchased_items_wait_in_the_awaiting_arrival_queue_until_they_arrive(
    system: System,
) -> None:
    journey = _paid(system, "cus-arrival")

    def queued(name: str) -> dict[str, str] | None:
        queue = ok_json(journey.get("orders", f"/queues/{name}", journey.staff))
        if queue is None:
            return None
        assert queue["queue"] == name
        return {
            i["item_id"]: i["status"] for i in queue["items"] if i["order_id"] == journey.order_id
        }

    assert queued("awaiting_arrival") == {}
    assert journey.staff_item("itm-1", "purchased").status_code == 200
    waiting = poll(lambda: queued("awaiting_arrival"), lambda items: items)
    assert waiting == {"itm-1": "purchased"}  # itm-2 is not bought yet
    assert journey.staff_item("itm-1", "arrival").status_code == 200
    poll(lambda: queued("to_inspect"), lambda items: items == {"itm-1": "arrived"})
    assert queued("awaiting_arrival") == {}


@pytest.mark.rule("R18", "R26")
def test_R18_inspection_photos_are_judged_by_content_and_shown_to_owner_and_staff_only(
    system: System,
) -> None:
    journey = _paid(system, "cus-r18")
    for action in ("purchased", "arrival"):
        assert journey.staff_item("itm-1", action).status_code == 200
    for bad in (truncated_png(), html_posing_as_png(), b"GIF89a not really"):
        refused = journey.inspect_item("itm-1", [bad])
        assert refused.status_code == 400, refused.text
    assert journey.inspect_item("itm-1", [png(), jpeg()]).status_code == 200
    item = poll(journey.order, lambda o: o["items"][0]["status"] == "inspected")["items"][0]
    assert len(item["photo_ids"]) == 2
    url = system.url("orders", f"/orders/{journey.order_id}/photos/{item['photo_ids'][1]}")
    mine = requests.get(url, headers=journey.customer, timeout=10)
    assert mine.status_code == 200 and mine.headers["Content-Type"] == "image/jpeg"
    assert mine.content == jpeg() and mine.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(url, headers=journey.staff, timeout=10).status_code == 200
    assert requests.get(url, headers=system.token("cus-other"), timeout=10).status_code == 404
    assert requests.get(url, timeout=10).status_code == 401


@pytest.mark.rule("R19")
def test_R19_a_return_accepted_by_the_seller_cancels_the_item(system: System) -> None:
    journey = _paid(system, "cus-r19")
    journey.inspect_all_after_payment()
    journey.wait_status("inspected")
    opened = journey.staff_item("itm-2", "exchange", {"kind": "return"})
    assert opened.status_code == 200, opened.text
    problems = poll(
        lambda: ok_json(journey.get("orders", "/queues/problems", journey.staff)),
        lambda q: q is not None and any(i["order_id"] == journey.order_id for i in q["items"]),
    )
    assert problems["queue"] == "problems"
    answered = journey.staff_item(
        "itm-2", "exchange-answer", {"accepted": True, "local_cost_cny": "15.00"}
    )
    assert answered.status_code == 200, answered.text
    order = poll(journey.order, lambda o: o["items"][1]["status"] == "cancelled")
    assert order["status"] == "inspected"


@pytest.mark.rule("R20", "R25")
def test_R20_when_no_item_can_be_purchased_the_order_is_cancelled(system: System) -> None:
    journey = _paid(system, "cus-r20")
    for item_id in ("itm-1", "itm-2"):
        response = journey.staff_item(item_id, "unavailable", {"reason": "sold out"})
        assert response.status_code == 200, response.text
    order = journey.wait_status("cancelled")
    assert order["cancel_reason"] == "nothing_purchasable"
    assert {i["status"] for i in order["items"]} == {"cancelled"}
    cancelled = journey.get("orders", "/orders?tab=cancelled").json()["orders"]
    assert [o["order_id"] for o in cancelled] == [journey.order_id]


@pytest.mark.rule("R23", "R28")
def test_R23_R28_a_problem_report_keeps_the_order_open_feedback_after_completion(
    system: System,
) -> None:
    journey = Journey(system, "cus-r23")
    journey.to_shipped(["EE300000000CN", "EE300000001CN"])
    problem = journey.post(
        "orders",
        f"/orders/{journey.order_id}/reception-report",
        {"all_well": False, "comment": "the mug arrived broken"},
    )
    assert problem.status_code == 200
    order = poll(journey.order, lambda o: o.get("reception_problem") is not None)
    assert order["status"] == "shipped"
    early = journey.post("orders", f"/orders/{journey.order_id}/feedback", {"rating": 5})
    assert early.status_code == 409
    assert (
        journey.post(
            "orders", f"/orders/{journey.order_id}/reception-report", {"all_well": True}
        ).status_code
        == 200
    )
    journey.wait_status("completed")
    left = journey.post(
        "orders", f"/orders/{journey.order_id}/feedback", {"rating": 4, "text": "Careful packing"}
    )
    assert left.status_code == 201, left.text
    public = poll(
        lambda: requests.get(system.url("orders", "/feedback"), timeout=10).json(),
        lambda f: any(x["text"] == "Careful packing" for x in f["feedback"]),
    )
    entry = next(x for x in public["feedback"] if x["text"] == "Careful packing")
    assert set(entry) == {"rating", "text", "left_at"}  # nobody's identity


def test_staff_only_operations_are_forbidden_to_customers(system: System) -> None:
    journey = _paid(system, "cus-nostaff")
    response = journey.post("orders", f"/orders/{journey.order_id}/items/itm-1/purchased", {})
    assert response.status_code == 403
    assert journey.get("orders", "/queues/to_purchase").status_code == 403


@pytest.mark.rule("R25")
def test_R25_staff_cancel_a_paid_order_that_cannot_be_bought(system: System) -> None:
    journey = _paid(system, "cus-r25")
    response = journey.post("orders", f"/orders/{journey.order_id}/cancel", {}, journey.staff)
    assert response.status_code == 200, response.text
    assert journey.wait_status("cancelled")["cancel_reason"] == "staff"
    others = Journey(system, "cus-r25-other")
    assert others.post("orders", f"/orders/{journey.order_id}/cancel", {}).status_code == 404
