"""The stand-in's orders: what it keeps of each (in memory) and how PayPal shows one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deploy.paypal_standin.pages import CHECKOUT_PATH


@dataclass
class Order:
    """One order: its creation request, its status and, once captured, its capture."""

    body: dict[str, Any]
    status: str = "PAYER_ACTION_REQUIRED"
    payer_id: str | None = None
    decline: bool = False  # the buyer chose the card that is declined
    captures: list[dict[str, Any]] = field(default_factory=list)


def order_view(base_url: str, order_id: str, order: Order) -> dict[str, Any]:
    """The order as PayPal's orders v2 answers it (create, get, capture)."""
    # Like PayPal: with payment_source.paypal the payer is sent to "payer-action";
    # an order without a payment source is approved at the "approve" link.
    rel = "payer-action" if "paypal" in order.body.get("payment_source", {}) else "approve"
    status = order.status
    if status == "PAYER_ACTION_REQUIRED" and rel == "approve":
        status = "CREATED"
    view: dict[str, Any] = {
        "id": order_id,
        "status": status,
        "intent": "CAPTURE",
        "links": [
            {"href": f"{base_url}/v2/checkout/orders/{order_id}", "rel": "self"},
            {"href": f"{base_url}{CHECKOUT_PATH}?token={order_id}", "rel": rel, "method": "GET"},
        ],
    }
    if order.captures:
        unit = order.body["purchase_units"][0]
        view["purchase_units"] = [
            {
                "reference_id": unit.get("reference_id", "default"),
                "payments": {"captures": list(order.captures)},
            }
        ]
    if order.payer_id is not None:
        view["payer"] = {"payer_id": order.payer_id}
    return view
