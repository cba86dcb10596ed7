"""The orders service on its database after issue 21: a customer's address, texts and photos
are stored sealed, answered plain to those who may see them, "forgotten customer" (and 410 for
a photo) once the customer is forgotten, and staff learn which orders of a customer are open."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.orders.adapters.photos import Photo
from services.orders.bootstrap import DEFINITION
from services.orders.domain import events as ev
from services.orders.handlers import commands
from shared.events.consumer import EventConsumer
from shared.events.projections import ProjectionRunner
from shared.events.store import Transaction
from shared.personal.sealing import FORGOTTEN
from shared.runtime import Context
from shared.web.identity import Identity, issue_token
from tests.support.images import png
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, orders_context, place_order

STAFF = "staff-1"


@dataclass
class Orders:
    """The wired orders service, its consumer and its API, and a customer of its own (the
    keyring is shared by every test of the run: a forgotten customer must be this test's)."""

    context: Context
    consumer: EventConsumer
    client: FlaskClient
    customer: str

    def get(self, path: str, subject: str | None = None, role: str = "customer") -> Any:
        token = issue_token(
            self.context.settings.identity_secret, Identity(subject or self.customer, role)
        )
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"})

    def project(self) -> None:
        for projection in DEFINITION.projections():
            ProjectionRunner(self.context.store, projection).catch_up()

    def inspected(self) -> tuple[str, str]:
        """An order paid, bought and inspected with one photo: its id and the photo's."""
        order_id = place_order(self.context, self.customer, items=1)
        billing = f"{order_id}-1"
        deliver(self.consumer, message("BillingIssued", "billing", order_id, billing_id=billing))
        paid = message("PaymentReceived", "billing", order_id, kind="first", billing_id=billing)
        deliver(self.consumer, paid)
        commands.mark_purchased(self.context, order_id, "itm-1", STAFF)
        commands.record_arrival(self.context, order_id, "itm-1", STAFF)
        photo = Photo("image/png", png())
        inspection = commands.InspectItem(order_id, "itm-1", 2, True, [photo], 300)
        commands.inspect_item(self.context, inspection, STAFF)
        self.project()
        return order_id, photo.photo_id


@pytest.fixture
def orders(infra: Infra) -> Iterator[Orders]:
    with orders_context(infra) as context:
        client = DEFINITION.create_app(context).test_client()
        yield Orders(context, consumer(context), client, f"cus-{uuid.uuid4().hex[:12]}")


def test_the_address_is_stored_sealed_and_the_customer_reads_it_plain(orders: Orders) -> None:
    order_id = place_order(orders.context, orders.customer)
    orders.project()
    stored = orders.context.store.query(
        "SELECT (SELECT string_agg(data::text, ' ') FROM events) AS events, "
        "(SELECT string_agg(doc::text, ' ') FROM order_details) AS docs",
        (),
    )[0]
    assert "1 rue" not in stored["events"] and "1 rue" not in stored["docs"]
    answer = orders.get(f"/orders/{order_id}")
    assert answer.status_code == 200
    assert answer.get_json()["address"]["line1"] == "1 rue"
    assert answer.get_json()["address"]["country"] == "FR"

    orders.context.personal.forget(orders.customer)
    address = orders.get(f"/orders/{order_id}").get_json()["address"]
    assert address["line1"] == FORGOTTEN and address["city"] == FORGOTTEN
    assert address["country"] == "FR"


def test_an_inspection_photo_is_stored_sealed_and_gone_once_its_customer_is_forgotten(
    orders: Orders,
) -> None:
    order_id, photo_id = orders.inspected()
    [row] = orders.context.store.query(
        "SELECT content FROM inspection_photos WHERE photo_id = %s", (photo_id,)
    )
    assert not bytes(row["content"]).startswith(png()[:8])
    answer = orders.get(f"/orders/{order_id}/photos/{photo_id}")
    assert answer.status_code == 200 and answer.data == png()

    orders.context.personal.forget(orders.customer)
    answer = orders.get(f"/orders/{order_id}/photos/{photo_id}", STAFF, "staff")
    assert answer.status_code == 410
    assert "forgotten" in answer.get_json()["error"]


def test_feedback_of_a_forgotten_customer_leaves_the_public_list(orders: Orders) -> None:
    other = f"cus-{uuid.uuid4().hex[:12]}"
    orders.project()  # (the tables exist)
    seal = orders.context.personal.seal
    rows = [("ord-a", orders.customer, "Great service"), ("ord-b", other, "Fast parcel")]
    sealed = [(order_id, seal(customer, text)) for order_id, customer, text in rows]

    def insert(tx: Transaction) -> None:
        for row in sealed:
            tx.conn.execute("INSERT INTO public_feedback VALUES (%s, 5, %s, now())", row)

    orders.context.store.transact(insert)
    texts = [f["text"] for f in orders.get("/feedback").get_json()["feedback"]]
    assert sorted(texts) == ["Fast parcel", "Great service"]

    orders.context.personal.forget(orders.customer)
    texts = [f["text"] for f in orders.get("/feedback").get_json()["feedback"]]
    assert texts == ["Fast parcel"]


def test_staff_see_a_customers_orders_that_are_not_completed_nor_cancelled(
    orders: Orders,
) -> None:
    open_order, _ = orders.inspected()
    cancelled = place_order(orders.context, orders.customer)
    commands.cancel_order(orders.context, cancelled, orders.customer, orders.customer)
    orders.project()

    answer = orders.get(f"/customers/{orders.customer}/open-orders", STAFF, "staff")
    assert answer.status_code == 200
    [shown] = answer.get_json()["orders"]
    assert shown["order_id"] == open_order and shown["status"] == "inspected"
    assert shown["placed_at"]
    nobody = orders.get("/customers/cus-nobody/open-orders", STAFF, "staff").get_json()
    assert nobody == {"orders": []}
    assert orders.get(f"/customers/{orders.customer}/open-orders").status_code == 403


@pytest.mark.rule("R27")
def test_R27_staff_still_find_orders_by_part_of_the_sealed_delivery_name(orders: Orders) -> None:
    named = place_order(orders.context, orders.customer)
    other = place_order(orders.context, f"cus-{uuid.uuid4().hex[:12]}")
    tokyo = ev.DeliveryAddress("佐藤 花子", "1-2-3 Shibuya", "Tokyo", "150-0002", "JP")
    sato = place_order(orders.context, orders.customer, items=1, quantity=1, address=tokyo)
    orders.project()

    found = orders.get("/orders/owners?q=佐藤", STAFF, "staff").get_json()["orders"]
    assert [(o["order_id"], o["name"]) for o in found] == [(sato, "佐藤 花子")]
    estimates = orders.get("/queues/estimates?q=%E4%BD%90%E8%97%A4", STAFF, "staff").get_json()
    assert [o["order_id"] for o in estimates["orders"]] == [sato]
    by_id = orders.get(f"/orders/owners?q={named}", STAFF, "staff").get_json()["orders"]
    assert [o["order_id"] for o in by_id] == [named] and other != named

    orders.context.personal.forget(orders.customer)
    assert orders.get("/orders/owners?q=佐藤", STAFF, "staff").get_json()["orders"] == []
