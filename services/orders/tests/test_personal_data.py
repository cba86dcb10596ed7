"""What a customer gives the orders service is stored sealed under their key, shown plain to
those who may see it, and "forgotten customer" once they are forgotten (issue 21)."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from services.orders.bootstrap import DEFINITION as ORDERS
from services.orders.domain import events as ev
from services.orders.handlers import ORDERS as ORDER_STREAMS
from services.orders.handlers import commands
from services.orders.personal import PERSONAL_DATA
from shared.personal.sealing import FORGOTTEN, is_sealed, sealed_owner
from shared.runtime import Context
from shared.web.identity import Identity, issue_token
from tests.support.in_process import Consumer, in_memory
from tests.support.orders_context import message, place_order

CUSTOMER, STAFF = "cus-0001", "staff-1"  # (the contract examples' customer)
ADDRESS = ev.DeliveryAddress(
    "Alice Martin", "12 rue des Lilas", "Lyon", "69003", "FR", "Bât. B", "+33 6 12 34 56 78"
)
PLAINTEXTS = ("Alice Martin", "12 rue des Lilas", "69003", "Bât. B", "+33 6 12 34", "ring twice")


def _place(context: Context) -> str:
    return place_order(context, CUSTOMER, items=1, quantity=1, address=ADDRESS, note="ring twice")


def _stored(context: Context, order_id: str) -> str:
    """Every event of the order's stream as stored, in one text."""
    stream = context.store.read_stream(ORDER_STREAMS.stream_id(order_id))
    return json.dumps([dict(e.data) for e in stream], ensure_ascii=False)


def _history(client: FlaskClient, context: Context, order_id: str) -> dict[str, Any]:
    token = issue_token(context.settings.identity_secret, Identity(STAFF, "staff"))
    answer = client.get(f"/orders/{order_id}/history", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {e["type"]: e["data"] for e in answer.get_json()["events"]}


def test_the_delivery_address_and_note_are_stored_sealed_and_shown_plain_until_forgotten() -> None:
    context = in_memory(ORDERS)
    order_id = _place(context)
    stored = _stored(context, order_id)
    assert not [text for text in PLAINTEXTS if text in stored]
    assert '"country": "FR"' in stored  # the country names no one: it stays plain

    client = ORDERS.create_app(context).test_client()
    details = _history(client, context, order_id)["DeliveryDetailsGiven"]
    assert details["address"]["name"] == "Alice Martin"
    assert details["address"]["phone"] == "+33 6 12 34 56 78"
    assert details["note"] == "ring twice"

    context.personal.forget(CUSTOMER)
    details = _history(client, context, order_id)["DeliveryDetailsGiven"]
    assert details["address"]["name"] == FORGOTTEN and details["note"] == FORGOTTEN
    assert details["address"]["country"] == "FR"


def test_texts_on_an_order_are_sealed_under_the_orders_customer_even_when_staff_write() -> None:
    context = in_memory(ORDERS)
    order_id = _place(context)
    commands.set_purchase_condition(context, order_id, "itm-1", " the blue one ", None, STAFF)
    commands.record_seller_confirmation(context, order_id, "itm-1", "blue in stock", STAFF)
    stream = context.store.read_stream(ORDER_STREAMS.stream_id(order_id))
    condition = next(e for e in stream if e.type == "PurchaseConditionSet").data["text"]
    answer = next(e for e in stream if e.type == "SellerConfirmationRecorded").data["answer"]
    assert is_sealed(condition) and sealed_owner(condition) == CUSTOMER
    assert is_sealed(answer) and sealed_owner(answer) == CUSTOMER
    # Trimmed before sealing, as the domain trims it.
    assert context.personal.reveal_text(condition) == "the blue one"


def test_a_purchase_condition_from_a_message_is_kept_as_it_came_sealed() -> None:
    context = in_memory(ORDERS)
    order_id = _place(context)
    sealed = context.personal.seal(CUSTOMER, "only if it is the 2024 model")
    body = message("PurchaseConditionRequested", "messaging", order_id, text=sealed)
    assert Consumer(context, ORDERS).deliver(body)
    stream = context.store.read_stream(ORDER_STREAMS.stream_id(order_id))
    assert next(e for e in stream if e.type == "PurchaseConditionSet").data["text"] == sealed


def test_a_forgotten_customer_is_forgotten_by_the_orders_consumer_at_once() -> None:
    context = in_memory(ORDERS)
    body = message("CustomerForgotten", "messaging", "", customer_id=CUSTOMER)
    payload = json.loads(body)
    payload["data"].pop("order_id", None)
    payload["ordering_key"] = CUSTOMER
    assert Consumer(context, ORDERS).deliver(json.dumps(payload).encode())


def test_every_sealed_field_of_the_orders_events_is_declared() -> None:
    declared = {(f.event_type, path) for f in PERSONAL_DATA.events for path in f.paths}
    assert ("DeliveryDetailsGiven", "address.name") in declared
    assert ("DeliveryDetailsGiven", "address.country") not in declared
    for event_type, path in declared:
        assert event_type in {t.__name__ for t in ev.EVENT_TYPES}, event_type
        assert path.split(".")[0] in getattr(ev, event_type).__dataclass_fields__, path
