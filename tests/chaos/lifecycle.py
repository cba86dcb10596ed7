"""One order's whole life as a customer and the staff live it, each step sent until the system
answers and each next step started only once the system shows the last one done."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.chaos.client import Client
from tests.support.images import png
from tests.support.journey import ORDER, PARCELS

PAY_METHODS = ("bank", "staff", "deposit")


@dataclass
class Outcome:
    """What became of one lifecycle."""

    order_id: str = ""
    method: str = ""
    completed: bool = False
    error: str = ""
    duplicate_notices: int = 0  # bank notices this customer's bank sent twice on purpose
    # The bank transfers the system acknowledged (its webhook answered 200).
    bank_transactions: list[str] = field(default_factory=list)


class Lifecycle:
    """Place, pay (bank notice, staff confirmation or deposit), purchase, arrive, inspect,
    pack, pay shipping, ship, report reception."""

    def __init__(
        self, number: int, customer: Client, staff: Client, bank: Client, bank_secret: str
    ) -> None:
        self.number = number
        self.customer = customer
        self.staff = staff
        self.bank = bank
        self.bank_secret = bank_secret
        self.outcome = Outcome(method=PAY_METHODS[number % len(PAY_METHODS)])

    def run(self) -> Outcome:
        """Live the whole life; the outcome says how far it got."""
        try:
            self._live()
            self.outcome.completed = True
        except Exception as exc:  # the outcome carries every failure
            self.outcome.error = f"{type(exc).__name__}: {exc}"
        return self.outcome

    def _order(self) -> str:
        return f"/api/orders/orders/{self.outcome.order_id}"

    def _status(self, status: str) -> dict[str, Any]:
        found: dict[str, Any] = self.customer.wait_for(
            self._order(), lambda o: o["status"] == status, f"order {status}"
        )
        return found

    def _billing(self, kind: str) -> dict[str, Any]:
        billings = self.customer.wait_for(
            f"/api/billing/orders/{self.outcome.order_id}/billings",
            lambda b: any(x["kind"] == kind for x in b["billings"]),
            f"{kind} billing",
        )
        found: dict[str, Any] = next(x for x in billings["billings"] if x["kind"] == kind)
        return found

    def _shipment(self, status: str) -> dict[str, Any]:
        found: dict[str, Any] = self.staff.wait_for(
            f"/api/shipping/shipments/{self.outcome.order_id}",
            lambda s: s["status"] == status,
            f"shipment {status}",
        )
        return found

    def _key(self, step: str) -> str:
        return f"chaos-{self.number}-{step}"

    def _live(self) -> None:
        placed = self.customer.change("/api/orders/orders", self._key("place"), ORDER)
        _expect(placed, 201, "place")
        self.outcome.order_id = placed.json()["order_id"]
        order = self.outcome.order_id
        first = self._billing("first")
        self._pay(first, "1")
        self._status("purchasing")
        for item in ("itm-1", "itm-2"):
            base = f"{self._order()}/items/{item}"
            _expect(self.staff.change(f"{base}/purchased", self._key(f"{item}-bought")), 200, item)
            _expect(self.staff.change(f"{base}/arrival", self._key(f"{item}-arrived")), 200, item)
            inspection = {
                "checked_quantity": "2",
                "type_matches": "true",
                "weight_grams": "800",
                "photos": ("photo.png", png(16, 16), "image/png"),
            }
            answer = self.staff.change(
                f"{base}/inspection", self._key(f"{item}-inspected"), files=inspection
            )
            _expect(answer, 200, f"{item} inspection")
        self._shipment("to_pack")
        packed = self.staff.change(
            f"/api/shipping/shipments/{order}/parcels", self._key("pack"), {"parcels": PARCELS}
        )
        _expect(packed, 201, "pack")
        second = self._billing("second")
        self._bank_notice(second, "2")
        # The parcels as the shipment shows them: the pack answer may have been lost.
        parcels = [p["parcel_id"] for p in self._shipment("to_ship")["parcels"]]
        ship = {
            "parcels": [
                {"parcel_id": p, "carrier": "EMS", "tracking_number": f"EE{self.number:07d}{n}CN"}
                for n, p in enumerate(parcels)
            ]
        }
        _expect(
            self.staff.change(f"/api/shipping/shipments/{order}/ship", self._key("ship"), ship),
            200,
            "ship",
        )
        self._status("shipped")
        report = {"all_well": True, "comment": "all good"}
        answer = self.customer.change(f"{self._order()}/reception-report", self._key("rx"), report)
        _expect(answer, 200, "reception report")
        self._status("completed")

    def _pay(self, billing: dict[str, Any], n: str) -> None:
        method = self.outcome.method
        bid = billing["billing_id"]
        if method == "bank":
            self._bank_notice(billing, n)
        elif method == "staff":
            body = {"amount": billing["amount"], "currency": billing["currency"]}
            answer = self.staff.change(
                f"/api/billing/billings/{bid}/payments", self._key("conf"), body
            )
            _expect(answer, 201, "staff confirmation")
        else:
            customer_id = billing["customer_id"]
            credit = {
                "amount": billing["amount"],
                "currency": billing["currency"],
                "reason": f"refund for chaos order {self.number}",
            }
            answer = self.staff.change(
                f"/api/billing/customers/{customer_id}/deposit/adjustments",
                self._key("credit"),
                credit,
            )
            _expect(answer, 201, "deposit credit")
            answer = self.customer.change(
                f"/api/billing/billings/{bid}/deposit-payments", self._key("deposit")
            )
            _expect(answer, 201, "deposit payment")

    def _bank_notice(self, billing: dict[str, Any], n: str) -> None:
        transaction = f"TX-{self.number}-{n}"
        body = json.dumps(
            {
                "transaction_id": transaction,
                "reference": billing["billing_id"],
                "amount": billing["amount"],
                "currency": billing["currency"],
                "payer_name": "Chaos Customer",
            }
        ).encode()
        # Every third customer's bank sends its notice twice: recorded once (R11).
        times = 2 if self.number % 3 == 0 else 1
        for _ in range(times):
            stamp = int(time.time())
            headers = {
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(self.bank_secret, stamp, body),
                "Content-Type": "application/json",
            }
            _expect(self.bank.raw_post("/webhooks/bank", body, headers), 200, "bank notice")
        self.outcome.bank_transactions.append(transaction)
        self.outcome.duplicate_notices += times - 1


def _expect(answer: Any, status: int, step: str) -> None:
    # The effect of a request whose answer died with its process stands: go on.
    if answer.status_code == status or _lost(answer):
        return
    raise AssertionError(f"{step}: {answer.status_code} {answer.text[:200]}")


def _lost(answer: Any) -> bool:
    try:
        return bool(answer.status_code == 409 and answer.json().get("error") == "answer_lost")
    except ValueError:
        return False
