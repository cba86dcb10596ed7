"""One order driven over HTTP through the real services, step by step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.support.images import png
from tests.support.system import SIGN_UP_PASSWORD, System, poll, sign_up

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
    "address": {
        "name": "Alice Martin",
        "line1": "12 rue des Lilas",
        "city": "Lyon",
        "postal_code": "69003",
        "country": "FR",
    },
    "shipping_method": "EMS",
}
PARCELS = [
    {"weight_grams": 900, "length_cm": 30, "width_cm": 20, "height_cm": 10},
    {"weight_grams": 1100, "length_cm": 25, "width_cm": 20, "height_cm": 15},
]


def _form_item(item: dict[str, Any]) -> dict[str, str]:
    """An item of ORDER as the order form's fields hold it: text, its options written out."""
    fields = {name: str(value) for name, value in item.items() if name != "options"}
    if "options" in item:
        fields["options"] = "; ".join(f"{k}: {v}" for k, v in item["options"].items())
    return fields


# ORDER as a customer types it into the order form (tests/support/pages.py: fill_order_form).
FORM_ITEMS = [_form_item(item) for item in ORDER["items"]]
FORM_ADDRESS: dict[str, str] = dict(ORDER["address"])


def ok_json(response: requests.Response) -> Any:
    """The JSON of a 200 answer, else None (for polling)."""
    return response.json() if response.status_code == 200 else None


def gateway_page(system: System, session: requests.Session, path: str) -> str:
    """The gateway's page at `path` as `session` sees it, which must answer 200."""
    answer = session.get(system.url("gateway", path), timeout=30)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    return answer.text


@dataclass
class Journey:
    """A customer's order and the staff who operate it."""

    system: System
    customer_id: str
    order_id: str = ""
    parcels: list[str] = field(default_factory=list)

    @classmethod
    def signed_up(
        cls, system: System, email: str, password: str = SIGN_UP_PASSWORD
    ) -> tuple[requests.Session, Journey]:
        """A customer signed up at the gateway: their browser's session, and their journey."""
        browser, account = sign_up(system, email, password)
        return browser, cls(system, account["account_id"])

    @property
    def customer(self) -> dict[str, str]:
        return self.system.token(self.customer_id)

    @property
    def staff(self) -> dict[str, str]:
        return self.system.token("staff-wei", "staff")

    def get(self, service: str, path: str, who: dict[str, str] | None = None) -> requests.Response:
        return requests.get(
            self.system.url(service, path), headers=who or self.customer, timeout=10
        )

    def post(
        self, service: str, path: str, body: dict[str, Any], who: dict[str, str] | None = None
    ) -> requests.Response:
        return requests.post(
            self.system.url(service, path), json=body, headers=who or self.customer, timeout=10
        )

    def order(self) -> Any:
        return ok_json(self.get("orders", f"/orders/{self.order_id}"))

    def wait_status(self, status: str) -> Any:
        return poll(self.order, lambda o: o is not None and o["status"] == status)

    def conversation(self, until: Callable[[Any], Any] = lambda _: True) -> Any:
        """The order's conversation at messaging, once it exists and `until` holds for it."""
        return poll(
            lambda: ok_json(self.get("messaging", f"/orders/{self.order_id}/conversation")),
            lambda c: c is not None and until(c),
        )

    def billings(self, count: int) -> list[dict[str, Any]]:
        result = poll(
            lambda: ok_json(self.get("billing", f"/orders/{self.order_id}/billings")),
            lambda b: b is not None and len(b["billings"]) == count,
        )
        billings: list[dict[str, Any]] = result["billings"]
        return billings

    def deposit(self) -> dict[str, Any]:
        """The customer's deposit: `balance` and `history`, newest first."""
        deposit: dict[str, Any] = self.get("billing", "/deposit").json()
        return deposit

    def give_deposit(self, amount: str, reason: str = "welcome credit") -> None:
        """Staff credit the customer's deposit with `amount` EUR."""
        response = self.post(
            "billing",
            f"/customers/{self.customer_id}/deposit/adjustments",
            {"amount": amount, "currency": "EUR", "reason": reason},
            self.staff,
        )
        assert response.status_code == 201, response.text

    def card_checkout(self, billing_id: str) -> dict[str, Any]:
        """The customer starts paying `billing_id` by card: billing's answer (PayPal's order,
        its approval link, the amount, the card fee and the total)."""
        back = {
            "return_url": "https://cnnect.example/paid",
            "cancel_url": "https://cnnect.example/no",
        }
        response = self.post("billing", f"/billings/{billing_id}/card-payments", back)
        assert response.status_code == 201, response.text
        checkout: dict[str, Any] = response.json()
        return checkout

    def place(self, body: dict[str, Any] | None = None) -> requests.Response:
        response = self.post("orders", "/orders", body or ORDER)
        assert response.status_code == 201, response.text
        self.order_id = response.json()["order_id"]
        return response

    def pay(self, kind: str) -> dict[str, Any]:
        billing = next(b for b in self.billings(1 if kind == "first" else 2) if b["kind"] == kind)
        paid = self.post(
            "billing",
            f"/billings/{billing['billing_id']}/payments",
            {"amount": billing["amount"], "currency": billing["currency"]},
            self.staff,
        )
        assert paid.status_code == 201, paid.text
        return billing

    def paid_first(self) -> dict[str, Any]:
        """Pay the first billing in full, as staff, and wait until the order is purchased."""
        billing = self.pay("first")
        self.wait_status("purchasing")
        return billing

    def staff_item(
        self, item_id: str, action: str, body: dict[str, Any] | None = None
    ) -> requests.Response:
        return self.post(
            "orders", f"/orders/{self.order_id}/items/{item_id}/{action}", body or {}, self.staff
        )

    def inspect_item(
        self, item_id: str, photos: list[bytes] | None = None, quantity: int = 2
    ) -> requests.Response:
        files = [
            ("photos", (f"photo{n}.png", data, "image/png"))
            for n, data in enumerate(photos or [png()])
        ]
        return requests.post(
            self.system.url("orders", f"/orders/{self.order_id}/items/{item_id}/inspection"),
            data={"checked_quantity": str(quantity), "type_matches": "true", "weight_grams": "800"},
            files=files,
            headers=self.staff,
            timeout=30,
        )

    def inspect(self) -> None:
        """Purchase, receive and inspect (with a photo) every item."""
        self.wait_status("purchasing")
        self.inspect_all_after_payment()

    def inspect_all_after_payment(self) -> None:
        """Purchase, receive and inspect every item of a paid order."""
        for item_id in ("itm-1", "itm-2"):
            for action in ("purchased", "arrival"):
                response = self.staff_item(item_id, action)
                assert response.status_code == 200, response.text
            response = self.inspect_item(item_id)
            assert response.status_code == 200, response.text

    def report_problem(self, comment: str, photo: bytes) -> None:
        """The customer's reception report of a problem, with one JPEG picture."""
        report = requests.post(
            self.system.url("orders", f"/orders/{self.order_id}/reception-report"),
            data={"all_well": "false", "comment": comment},
            files=[("photos", ("mug.jpg", photo, "image/jpeg"))],
            headers=self.customer,
            timeout=30,
        )
        assert report.status_code == 200, report.text

    def shipment(self) -> Any:
        return ok_json(self.get("shipping", f"/shipments/{self.order_id}", self.staff))

    def pack(self) -> requests.Response:
        poll(self.shipment, lambda s: s is not None and s["status"] == "to_pack")
        response = self.post(
            "shipping", f"/shipments/{self.order_id}/parcels", {"parcels": PARCELS}, self.staff
        )
        assert response.status_code == 201, response.text
        self.parcels = response.json()["parcels"]
        return response

    def ship(self, tracking: list[str]) -> requests.Response:
        return self.post(
            "shipping",
            f"/shipments/{self.order_id}/ship",
            {
                "parcels": [
                    {"parcel_id": p, "carrier": "EMS", "tracking_number": t}
                    for p, t in zip(self.parcels, tracking, strict=True)
                ]
            },
            self.staff,
        )

    def to_shipped(self, tracking: list[str]) -> None:
        """Place, pay, inspect, pack, pay shipping and ship."""
        self.place()
        self.pay("first")
        self.inspect()
        self.pack()
        self.pay("second")
        poll(self.shipment, lambda s: s is not None and s["status"] == "to_ship")
        assert self.ship(tracking).status_code == 200
        self.wait_status("shipped")
