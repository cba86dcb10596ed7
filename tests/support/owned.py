"""The objects one customer owns, for the access matrices: an order paid, inspected (with a
photo), with a message carrying a file, a billing and an inquiry; and the ids of each."""

from __future__ import annotations

import requests

from tests.support.images import png
from tests.support.journey import Journey, ok_json
from tests.support.system import System, poll


def owned_objects(system: System, customer_id: str) -> dict[str, str]:
    """Customer A's order (inspected, with photos), billing, message file and inquiry."""
    journey = Journey(system, customer_id)
    journey.place()
    journey.pay("first")
    journey.inspect()
    order = poll(journey.order, lambda o: o["items"][0]["photo_ids"])
    message = requests.post(
        system.url("messaging", f"/orders/{journey.order_id}/messages"),
        data={"text": "hello"},
        headers=journey.customer,
        files=[("attachments", ("a.png", png(), "image/png"))],
        timeout=30,
    )
    assert message.status_code == 201, message.text
    listed = poll(
        lambda: ok_json(journey.get("messaging", f"/orders/{journey.order_id}/messages")),
        lambda m: m is not None and m["messages"],
    )
    inquiry = journey.post("messaging", "/inquiries", {"text": "a question"})
    poll(journey.shipment, lambda s: s is not None)
    return {
        "order_id": journey.order_id,
        "item_id": "itm-1",
        "photo_id": order["items"][0]["photo_ids"][0],
        "billing_id": f"{journey.order_id}-1",
        "customer_id": journey.customer_id,
        "attachment_id": listed["messages"][0]["attachment_ids"][0],
        "inquiry_id": inquiry.json()["inquiry_id"],
        "name": "to_purchase",
        "queue": "to-pack",
        "method": "EMS",
        "version": "1",
        "hold_id": "hold-none",  # a held payment (none held: staff get 400 or 404)
        "report_id": "rep-none",  # a transfer report (none pending: the owner gets 409)
    }
