"""One order's whole life over the gateway, as its customer and the staff live it. Each step
waits until the read models show the previous one (polling, counted as "poll" requests)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.system.actors import Customers, Person, Staff
from bench.system.client import Answer, Http, StepFailed
from bench.system.providers import bank_notice, paypal_capture
from deploy.paypal_standin import PayPalStandIn
from tests.support.images import png
from tests.support.journey import ORDER, PARCELS

DEPOSIT = "5.00"  # what staff credit before the order; it pays part of the 1st billing
ITEMS = ("itm-1", "itm-2")
NEW_QUANTITY = 3  # itm-1 goes from 2 to 3 before payment; itm-2 has 3 already
ORDER_PATH = "/api/orders/orders/<order>"
BILLINGS_PATH = "/api/billing/orders/<order>/billings"
SHIPMENT_PATH = "/api/shipping/shipments/<order>"


@dataclass
class World:
    """What every lifecycle shares: the gateway, the people, the payment providers."""

    http: Http
    customers: Customers
    staff: Staff
    paypal: PayPalStandIn
    bank_secret: str
    poll_interval_s: float
    poll_timeout_s: float
    photo: bytes = b""

    def __post_init__(self) -> None:
        self.photo = self.photo or png(64, 48)


class Life:
    """The steps of order number `n`, for one customer."""

    def __init__(self, world: World, n: int, customer: Person) -> None:
        self.world = world
        self.n = n
        self.customer = customer
        self.ids: dict[str, str] = {}

    async def act(
        self, who: Person, method: str, template: str, body: Any = None, **kw: Any
    ) -> Any:
        """A step someone takes (a write, with an Idempotency-Key as our pages send)."""
        headers = {**who.headers, "Idempotency-Key": uuid.uuid4().hex}
        answer = await self.world.http.request(
            method, template, self.ids, headers=headers, json_body=body, **kw
        )
        return answer.body

    async def wait_for(self, template: str, check: Callable[[Any], bool], what: str) -> Any:
        """GET `template` as the customer until `check` holds (404: not projected yet)."""
        deadline = time.monotonic() + self.world.poll_timeout_s
        while True:
            answer: Answer = await self.world.http.request(
                "GET",
                template,
                self.ids,
                kind="poll",
                tolerate=(404,),
                headers=self.customer.headers,
            )
            try:
                if answer.status == 200 and check(answer.body):
                    return answer.body
            except (KeyError, TypeError, IndexError, StopIteration):
                pass
            if time.monotonic() > deadline:
                raise StepFailed(f"order {self.n}: no {what} after {self.world.poll_timeout_s}s")
            await asyncio.sleep(self.world.poll_interval_s)

    async def wait_status(self, status: str) -> Any:
        """Until the order's details show `status`."""
        return await self.wait_for(ORDER_PATH, lambda o: o["status"] == status, status)

    async def run(self) -> None:
        """Place, change, pay, buy, inspect, pack, pay again, ship, receive."""
        await self.place_and_change()
        await self.pay_first()
        await self.buy_and_inspect()
        await self.pack_and_pay_second()
        await self.ship_and_receive()

    async def place_and_change(self) -> None:
        """Staff credit the deposit; the customer orders, then changes a quantity."""
        staff, customer = self.world.staff.next(), self.customer
        self.ids["customer"] = customer.subject
        adjustment = {"amount": DEPOSIT, "currency": "EUR", "reason": "benchmark credit"}
        await self.act(
            staff, "POST", "/api/billing/customers/<customer>/deposit/adjustments", adjustment
        )
        placed = await self.act(customer, "POST", "/api/orders/orders", ORDER, expect=(201,))
        self.ids["order"] = placed["order_id"]
        await self.wait_status("applied")
        change = {"changes": [{"item_id": "itm-1", "quantity": NEW_QUANTITY}]}
        await self.act(customer, "POST", f"{ORDER_PATH}/item-changes", change)

    async def pay_first(self) -> None:
        """The revised 1st billing: the deposit first, the rest by card or bank transfer."""
        billings = await self.wait_for(
            BILLINGS_PATH, lambda b: _billing(b, "first")["revision"] == 2, "revised 1st billing"
        )
        first = _billing(billings, "first")
        self.ids["billing"] = first["billing_id"]
        paid = await self.act(
            self.customer, "POST", "/api/billing/billings/<billing>/deposit-payments", {}
        )
        rest = paid["open"]
        if self.n % 2 == 0:
            await self.pay_by_card(first["billing_id"])
        else:
            await self.bank_transfer(first["billing_id"], rest, first["currency"])
        await self.wait_status("purchasing")

    async def pay_by_card(self, billing_id: str) -> None:
        """PayPal checkout, then PayPal's signed capture notice to the gateway."""
        urls = {
            "return_url": "https://cnnect.example/paid",
            "cancel_url": "https://cnnect.example/no",
        }
        checkout = await self.act(
            self.customer,
            "POST",
            "/api/billing/billings/<billing>/card-payments",
            urls,
            expect=(201,),
        )
        await paypal_capture(self.world.http, self.world.paypal, checkout, billing_id)

    async def bank_transfer(self, billing_id: str, amount: str, currency: str) -> None:
        """The bank's notice of the customer's transfer."""
        await bank_notice(self.world.http, self.world.bank_secret, billing_id, amount, currency)

    async def buy_and_inspect(self) -> None:
        """Staff buy every item, record its arrival, and inspect it with a photo."""
        staff = self.world.staff.next()
        for item in ITEMS:
            self.ids["item"] = item
            await self.act(staff, "POST", f"{ORDER_PATH}/items/<item>/purchased", {})
        await self.wait_status("awaiting_arrival")
        for item in ITEMS:
            self.ids["item"] = item
            await self.act(staff, "POST", f"{ORDER_PATH}/items/<item>/arrival", {})
        await self.wait_for(
            ORDER_PATH, lambda o: all(i["status"] == "arrived" for i in o["items"]), "arrivals"
        )
        for item in ITEMS:
            self.ids["item"] = item
            form = aiohttp.FormData()
            form.add_field("checked_quantity", str(NEW_QUANTITY))
            form.add_field("type_matches", "true")
            form.add_field("weight_grams", "800")
            form.add_field(
                "photos", self.world.photo, filename="photo.png", content_type="image/png"
            )
            await self.act(staff, "POST", f"{ORDER_PATH}/items/<item>/inspection", data=form)

    async def pack_and_pay_second(self) -> None:
        """Staff pack (the fee is quoted); the customer pays the 2nd billing."""
        await self.wait_for(SHIPMENT_PATH, lambda s: s["status"] == "to_pack", "shipment to pack")
        packed = await self.act(
            self.world.staff.next(),
            "POST",
            f"{SHIPMENT_PATH}/parcels",
            {"parcels": PARCELS},
            expect=(201,),
        )
        self.ids["parcels"] = ",".join(packed["parcels"])
        billings = await self.wait_for(
            BILLINGS_PATH, lambda b: _billing(b, "second") is not None, "2nd billing"
        )
        second = _billing(billings, "second")
        self.ids["billing"] = second["billing_id"]
        if (self.n // 2) % 2 == 0:
            await self.bank_transfer(second["billing_id"], second["balance"], second["currency"])
            return
        top_up = {"amount": second["balance"], "currency": second["currency"], "reason": "top-up"}
        await self.act(
            self.world.staff.next(),
            "POST",
            "/api/billing/customers/<customer>/deposit/adjustments",
            top_up,
        )
        await self.act(
            self.customer, "POST", "/api/billing/billings/<billing>/deposit-payments", {}
        )

    async def ship_and_receive(self) -> None:
        """Staff ship with tracking numbers; the customer reports all well."""
        await self.wait_for(SHIPMENT_PATH, lambda s: s["status"] == "to_ship", "paid shipment")
        tracking = [
            {"parcel_id": p, "carrier": "EMS", "tracking_number": f"EE{self.n:07d}{k}CN"}
            for k, p in enumerate(self.ids["parcels"].split(","))
        ]
        await self.act(
            self.world.staff.next(), "POST", f"{SHIPMENT_PATH}/ship", {"parcels": tracking}
        )
        await self.wait_status("shipped")
        await self.act(self.customer, "POST", f"{ORDER_PATH}/reception-report", {"all_well": True})
        await self.wait_status("completed")


def _billing(answer: Any, kind: str) -> Any:
    """The billing of `kind` in a GET .../billings answer (StopIteration when missing)."""
    return next(b for b in answer["billings"] if b["kind"] == kind)


async def lifecycle(world: World, n: int) -> None:
    """Order number `n`, from its customer's sign-up or return to the end of its life."""
    customer = await world.customers.take(n)
    try:
        await Life(world, n, customer).run()
    finally:
        world.customers.give_back(customer)
