"""`make demo-data`: a few hundred orders in every state, made through the gateway's real
APIs as customers and staff make them, to try the staff console on (R27) and for its tests.

Usage: python -m deploy.demo_data [--orders 350] [--gateway http://127.0.0.1:8100]
       [--staff-email E --staff-password P]   (a staff account; create-user makes one)

Customers sign up, each order is placed by its customer; staff pay, buy, receive, inspect,
pack and ship through the same API the console uses. The orders are spread evenly over the
states of STATES (in that order), and the counts per state are printed at the end."""

from __future__ import annotations

import argparse
import io
import itertools
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyotp
import requests
from PIL import Image

from shared.observability.ports import LOCAL_GATEWAY_URL

T = TypeVar("T")
# Where each demo order is left, in the order work flows.
STATES = (
    "applied",
    "purchasing",
    "inspected",
    "awaiting_second_payment",
    "shipped",
    "completed",
    "cancelled",
)
NAMES = (
    "Alice Martin",
    "王芳",
    "佐藤 花子",
    "Lukas Becker",
    "María García",
    "李伟",
    "Tanaka Ken",
    "Chloé Dubois",
    "陳 美玲",
    "Oliver Smith",
)
COUNTRIES = ("FR", "DE", "ES", "GB", "JP", "US")
PASSWORD = "demo data password 1"
PARCEL = {"weight_grams": 900, "length_cm": 30, "width_cm": 20, "height_cm": 10}


class DemoError(RuntimeError):
    """A step the services refused, or a state never reached."""


def wait_for(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 120) -> T:
    """`read()` until `done` holds (the services apply events a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"gave up waiting: last seen {value!r}"[:300])
        time.sleep(0.2)


@dataclass
class Caller:
    """A signed-in browser session at the gateway: its cookie and CSRF token."""

    gateway: str
    session: requests.Session
    csrf: str

    @classmethod
    def signed(cls, gateway: str, action: str, email: str, password: str, code: str = "") -> Caller:
        """Sign up or sign in (`action`) at the gateway; staff also give the `code` of their
        second factor (R26)."""
        session = requests.Session()
        body = {"email": email, "password": password, **({"code": code} if code else {})}
        answer = session.post(f"{gateway}/auth/{action}", json=body, timeout=30)
        if answer.status_code not in (200, 201):
            raise DemoError(f"{action} {email}: {answer.status_code} {answer.text[:200]}")
        return cls(gateway, session, answer.json()["csrf_token"])

    def get(self, path: str) -> Any:
        """The JSON of a GET through the gateway's API (None if not there yet)."""
        answer = self.session.get(f"{self.gateway}/api/{path}", timeout=30)
        return answer.json() if answer.status_code == 200 else None

    def post(self, path: str, body: Any = None, **files: Any) -> Any:
        """A change through the gateway's API; a refusal stops the demo."""
        headers = {"X-CSRF-Token": self.csrf}
        if files:
            answer = self.session.post(
                f"{self.gateway}/api/{path}",
                data=body,
                files=files["files"],
                headers=headers,
                timeout=60,
            )
        else:
            answer = self.session.post(
                f"{self.gateway}/api/{path}", json=body or {}, headers=headers, timeout=30
            )
        if answer.status_code not in (200, 201):
            raise DemoError(f"POST {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()


@dataclass
class DemoOrder:
    """One demo order: whose, its id, and the state it is to be left in."""

    customer: Caller
    name: str
    target: str
    order_id: str = ""
    parcels: list[str] = field(default_factory=list)

    def past(self, state: str) -> bool:
        """The order goes at least as far as `state` (cancelled orders stop at once)."""
        return self.target != "cancelled" and STATES.index(self.target) >= STATES.index(state)


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def _order_body(order: DemoOrder, n: int) -> dict[str, Any]:
    return {
        "items": [
            {
                "url": f"https://item.taobao.com/item.htm?id={6600 + n}",
                "title": f"Demo item {n} 帆布包",
                "quantity": 1,
                "unit_price_cny": f"{20 + n % 50}.50",
                "domestic_shipping_cny": "8.00",
            }
        ],
        "address": {
            "name": order.name,
            "line1": f"{n} demo street",
            "city": "Lyon",
            "postal_code": "69003",
            "country": COUNTRIES[n % len(COUNTRIES)],
        },
        "shipping_method": "EMS",
    }


def _status(staff: Caller, order: DemoOrder, status: str) -> None:
    wait_for(
        lambda: staff.get(f"orders/orders/{order.order_id}"),
        lambda doc: doc is not None and doc["status"] == status,
    )


def pay(staff: Caller, order: DemoOrder, kind: str) -> None:
    """Staff record the whole `kind` billing of `order` as paid (a confirmed transfer)."""
    count = 1 if kind == "first" else 2
    found = wait_for(
        lambda: staff.get(f"billing/orders/{order.order_id}/billings"),
        lambda b: b is not None and len(b["billings"]) >= count,
    )
    billing = next(b for b in found["billings"] if b["kind"] == kind)
    staff.post(
        f"billing/billings/{billing['billing_id']}/payments",
        {"amount": billing["amount"], "currency": billing["currency"]},
    )


def _inspect(staff: Caller, order: DemoOrder) -> None:
    _status(staff, order, "purchasing")
    base = f"orders/orders/{order.order_id}/items/itm-1"
    staff.post(f"{base}/purchased")
    staff.post(f"{base}/arrival")
    staff.post(
        f"{base}/inspection",
        {"checked_quantity": "1", "type_matches": "true", "weight_grams": "800"},
        files=[("photos", ("photo.png", _photo(), "image/png"))],
    )


def _pack(staff: Caller, order: DemoOrder) -> None:
    wait_for(
        lambda: staff.get(f"shipping/shipments/{order.order_id}"),
        lambda s: s is not None and s["status"] == "to_pack",
    )
    packed = staff.post(f"shipping/shipments/{order.order_id}/parcels", {"parcels": [PARCEL]})
    order.parcels = packed["parcels"]


def _ship(staff: Caller, order: DemoOrder) -> None:
    wait_for(
        lambda: staff.get(f"shipping/shipments/{order.order_id}"),
        lambda s: s is not None and s["status"] == "to_ship",
    )
    tracking = f"EE{uuid.uuid4().int % 10**9:09d}CN"
    staff.post(
        f"shipping/shipments/{order.order_id}/ship",
        {
            "parcels": [
                {"parcel_id": p, "carrier": "EMS", "tracking_number": tracking}
                for p in order.parcels
            ]
        },
    )
    _status(staff, order, "shipped")


def _complete(order: DemoOrder) -> None:
    order.customer.post(f"orders/orders/{order.order_id}/reception-report", {"all_well": True})


def _stage(workers: int, orders: list[DemoOrder], step: Callable[[DemoOrder], None]) -> None:
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(step, orders))


def spread(count: int) -> dict[str, int]:
    """`count` orders spread evenly over STATES (the first states get the remainder)."""
    return {
        state: count // len(STATES) + (n < count % len(STATES)) for n, state in enumerate(STATES)
    }


def seed(
    gateway: str, staff: Caller, per_state: dict[str, int], workers: int = 8
) -> list[DemoOrder]:
    """`per_state[state]` orders left in each state; the orders made."""
    count = sum(per_state.values())
    run = uuid.uuid4().hex[:6]
    customers = [
        (NAMES[n % len(NAMES)], f"demo-{run}-{n}@example.com") for n in range(max(1, count // 4))
    ]
    with ThreadPoolExecutor(workers) as pool:
        callers = list(
            pool.map(lambda c: Caller.signed(gateway, "signup", c[1], PASSWORD), customers)
        )
    targets = [state for state in STATES for _ in range(per_state.get(state, 0))]
    cycle = itertools.cycle(zip(callers, customers, strict=True))
    orders = [
        DemoOrder(caller, name, target)
        for target, (caller, (name, _)) in zip(targets, cycle, strict=False)
    ]

    def place(numbered: tuple[int, DemoOrder]) -> None:
        n, order = numbered
        order.order_id = order.customer.post("orders/orders", _order_body(order, n))["order_id"]

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(place, enumerate(orders)))
    _stage(workers, [o for o in orders if o.target == "cancelled"], _cancel)
    _stage(workers, [o for o in orders if o.past("purchasing")], lambda o: pay(staff, o, "first"))
    _stage(workers, [o for o in orders if o.past("inspected")], lambda o: _inspect(staff, o))
    _stage(
        workers, [o for o in orders if o.past("awaiting_second_payment")], lambda o: _pack(staff, o)
    )
    _stage(workers, [o for o in orders if o.past("shipped")], lambda o: pay(staff, o, "second"))
    _stage(workers, [o for o in orders if o.past("shipped")], lambda o: _ship(staff, o))
    _stage(workers, [o for o in orders if o.past("completed")], _complete)
    # Each order settled in its state before the counts are trusted.
    _stage(workers, orders, lambda o: _status(staff, o, o.target))
    return orders


def _cancel(order: DemoOrder) -> None:
    order.customer.post(f"orders/orders/{order.order_id}/cancel")


def main(argv: list[str] | None = None) -> int:
    """Seed the running system and print how many orders are in each state."""
    parser = argparse.ArgumentParser(prog="demo-data")
    parser.add_argument("--orders", type=int, default=350)
    parser.add_argument("--gateway", default=LOCAL_GATEWAY_URL)
    parser.add_argument("--staff-email", default="demo-staff@cnnect.example")
    parser.add_argument("--staff-password", default="demo staff password 1")
    parser.add_argument(
        "--staff-totp-secret",
        default="",
        help="the staff account's second factor secret (create-user --enrol-second-factor)",
    )
    parser.add_argument("--person-email", default="", help="the staff account a person uses")
    args = parser.parse_args(argv)
    code = pyotp.TOTP(args.staff_totp_secret).now() if args.staff_totp_secret else ""
    staff = Caller.signed(args.gateway, "signin", args.staff_email, args.staff_password, code)
    started = time.monotonic()
    orders = seed(args.gateway.rstrip("/"), staff, spread(args.orders))
    counts = Counter(o.target for o in orders)
    print(f"{len(orders)} orders in {time.monotonic() - started:.0f} s:")
    for state in STATES:
        print(f"  {state:<24} {counts[state]}")
    person = args.person_email or args.staff_email
    print(f"Staff console: {args.gateway}/staff (sign in as {person})")
    print(
        "Staff sign in with a second factor: the first sign-in shows a QR code to scan with an "
        "authenticator app, then asks for its code."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
