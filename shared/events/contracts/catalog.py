"""Every integration event of the system, with its producer, version and an example."""

from __future__ import annotations

from typing import Any

from shared.events.contracts import schemas
from shared.events.contracts.registry import Contract, ContractRegistry

_ORDER = "ord-7f3a"
_CUSTOMER = "cus-0001"
_AT = "2026-11-27T09:30:00+00:00"


def _cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def _order_placed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 called the customer `customer` and had no shipping preference: every v1 order was
    # sent by EMS, the only method offered then.
    upgraded = {k: v for k, v in data.items() if k != "customer"}
    upgraded["customer_id"] = data["customer"]
    upgraded.setdefault("shipping_method", "EMS")
    return upgraded


def _billing_issued_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # A v1 revision was only ever issued on a billing nothing was paid on (revising a paid
    # billing was refused then): nothing paid, not settled.
    currency = data["amount"]["currency"]
    return {**data, "paid": {"amount": "0.00", "currency": currency}, "settled": False}


def _billing_issued_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    # v2 lines kept only the converted amount, and the billing neither the rate's date nor the
    # fee rule: the CNY amounts and the rule are unknown. The rate was the configured one on
    # the day the revision was issued, so that day is its date.
    lines = [{**line, "original": None} for line in data["lines"]]
    rate_date = data["issued_at"][:10] if data.get("exchange_rate") is not None else None
    return {**data, "lines": lines, "rate_date": rate_date, "service_fee": None}


def _reception_reported_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v2 carries the pictures of a problem report; v1 reports had none.
    return {**data, "photo_ids": []}


def _message_posted_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v2 names the item a message is about; a v1 message named none it kept.
    return {**data, "item_id": None}


_ITEM = {
    "item_id": "itm-1",
    "url": "https://item.taobao.com/item.htm?id=6620",
    "title": "Canvas tote bag",
    "options": {"colour": "navy"},
    "quantity": 2,
    "unit_price": _cny("45.50"),
    "domestic_shipping": _cny("8.00"),
}

_BILLING_ISSUED_V1 = {
    "billing_id": "bil-1",
    "order_id": _ORDER,
    "customer_id": _CUSTOMER,
    "kind": "first",
    "revision": 1,
    "amount": _eur("14.94"),
    "lines": [
        {"label": "goods", "amount": _eur("11.65")},
        {"label": "china domestic shipping", "amount": _eur("1.02")},
        {"label": "service fee", "amount": _eur("2.27")},
    ],
    "exchange_rate": "0.128",
    "issued_at": _AT,
}

_BILLING_ISSUED_V2 = {**_BILLING_ISSUED_V1, "paid": _eur("0.00"), "settled": False}

# 2 x 45.50 CNY goods, 8.00 CNY China shipping, fee 5 % of goods at least 10 CNY, at 0.128.
_BILLING_ISSUED_V3 = {
    **_BILLING_ISSUED_V2,
    "lines": [
        {"label": "goods", "amount": _eur("11.65"), "original": _cny("91.00")},
        {"label": "china domestic shipping", "amount": _eur("1.02"), "original": _cny("8.00")},
        {"label": "service fee", "amount": _eur("1.28"), "original": _cny("10.00")},
    ],
    "amount": _eur("13.95"),
    "rate_date": "2026-11-27",
    "service_fee": {"percent": "5", "minimum": _cny("10.00")},
}

_PAYMENT_RECEIVED_V1 = {
    "payment_id": "pay-1",
    "billing_id": "bil-1",
    "order_id": _ORDER,
    "customer_id": _CUSTOMER,
    "kind": "first",
    "amount": _eur("14.94"),
    "method": "bank_transfer",
    "billing_settled": True,
    "received_at": _AT,
}


def _payment_received_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 did not say which revision was paid: unknown, trusted as the current one (as then).
    return {**data, "revision": None}


CONTRACTS = ContractRegistry(
    [
        Contract(
            type="OrderPlaced",
            producer="orders",
            version=2,
            schema=schemas.OrderPlacedSchema,
            upcasters={1: _order_placed_v1_to_v2},
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "items": [_ITEM],
                "destination_country": "FR",
                "shipping_method": "EMS",
                "placed_at": _AT,
            },
            old_examples={
                1: {
                    "order_id": _ORDER,
                    "customer": _CUSTOMER,
                    "items": [_ITEM],
                    "destination_country": "FR",
                    "placed_at": _AT,
                }
            },
        ),
        Contract(
            type="OrderItemsChanged",
            producer="orders",
            version=1,
            schema=schemas.OrderItemsChangedSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "items": [dict(_ITEM, quantity=1)],
                "changed_at": _AT,
            },
        ),
        Contract(
            type="ItemUnavailable",
            producer="orders",
            version=1,
            schema=schemas.ItemUnavailableSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "item_id": "itm-1",
                "quantity": 2,
                "unit_price": _cny("45.50"),
                "domestic_shipping": _cny("8.00"),
                "reason": "sold out at the seller",
                "at": _AT,
            },
        ),
        Contract(
            type="ReturnShippingCharged",
            producer="orders",
            version=1,
            schema=schemas.ReturnShippingChargedSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "item_id": "itm-1",
                "cost": _cny("12.00"),
                "at": _AT,
            },
        ),
        Contract(
            type="BillingIssued",
            producer="billing",
            version=3,
            schema=schemas.BillingIssuedSchema,
            upcasters={1: _billing_issued_v1_to_v2, 2: _billing_issued_v2_to_v3},
            example=_BILLING_ISSUED_V3,
            old_examples={1: _BILLING_ISSUED_V1, 2: _BILLING_ISSUED_V2},
        ),
        Contract(
            type="PaymentReceived",
            producer="billing",
            version=2,
            schema=schemas.PaymentReceivedSchema,
            upcasters={1: _payment_received_v1_to_v2},
            example={**_PAYMENT_RECEIVED_V1, "revision": 1},
            old_examples={1: _PAYMENT_RECEIVED_V1},
        ),
        Contract(
            type="ItemsInspected",
            producer="orders",
            version=1,
            schema=schemas.ItemsInspectedSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "items": [{"item_id": "itm-1", "quantity": 2, "weight_grams": 640}],
                "destination_country": "FR",
                "shipping_method": "EMS",
                "inspected_at": _AT,
            },
        ),
        Contract(
            type="ShippingQuoted",
            producer="shipping",
            version=1,
            schema=schemas.ShippingQuotedSchema,
            example={
                "quote_id": "quo-1",
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "method": "EMS",
                "parcels": [
                    {
                        "parcel_id": "par-1",
                        "weight_grams": 700,
                        "length_cm": 30,
                        "width_cm": 20,
                        "height_cm": 10,
                    }
                ],
                "fee": _eur("21.40"),
                "quoted_at": _AT,
            },
        ),
        Contract(
            type="Shipped",
            producer="shipping",
            version=1,
            schema=schemas.ShippedSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "parcels": [
                    {
                        "parcel_id": "par-1",
                        "carrier": "EMS",
                        "tracking_number": "EE123456789CN",
                        "tracking_url": "https://t.17track.net/en#nums=EE123456789CN",
                    }
                ],
                "shipped_at": _AT,
            },
        ),
        Contract(
            type="ReceptionReported",
            producer="orders",
            version=2,
            schema=schemas.ReceptionReportedSchema,
            upcasters={1: _reception_reported_v1_to_v2},
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "all_well": False,
                "comment": "The mug arrived broken",
                "photo_ids": ["pho-1"],
                "reported_at": _AT,
            },
            old_examples={
                1: {
                    "order_id": _ORDER,
                    "customer_id": _CUSTOMER,
                    "all_well": True,
                    "comment": "",
                    "reported_at": _AT,
                }
            },
        ),
        Contract(
            type="OrderCompleted",
            producer="orders",
            version=1,
            schema=schemas.OrderCompletedSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "reason": "reception_reported",
                "completed_at": _AT,
            },
        ),
        Contract(
            type="MessagePosted",
            producer="messaging",
            version=2,
            schema=schemas.MessagePostedSchema,
            upcasters={1: _message_posted_v1_to_v2},
            example={
                "message_id": "msg-1",
                "conversation_id": _ORDER,
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "sender_role": "customer",
                "kind": "exchange_request",
                "text": "The mug arrived chipped",
                "attachment_ids": ["att-1"],
                "posted_at": _AT,
                "item_id": "itm-1",
            },
            old_examples={
                1: {
                    "message_id": "msg-1",
                    "conversation_id": _ORDER,
                    "order_id": _ORDER,
                    "customer_id": _CUSTOMER,
                    "sender_role": "customer",
                    "kind": "message",
                    "text": "Could you check the colour?",
                    "attachment_ids": ["att-1"],
                    "posted_at": _AT,
                }
            },
        ),
        Contract(
            type="CustomerForgotten",
            producer="messaging",
            version=1,
            schema=schemas.CustomerForgottenSchema,
            example={"customer_id": _CUSTOMER, "forgotten_at": _AT},
        ),
        Contract(
            type="PurchaseConditionRequested",
            producer="messaging",
            version=1,
            schema=schemas.PurchaseConditionRequestedSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "item_id": "itm-1",
                "text": "Only if the navy one is in stock",
                "requested_at": _AT,
            },
        ),
        Contract(
            type="OrderCancelled",
            producer="orders",
            version=1,
            schema=schemas.OrderCancelledSchema,
            example={
                "order_id": _ORDER,
                "customer_id": _CUSTOMER,
                "reason": "customer_request",
                "cancelled_at": _AT,
            },
        ),
    ]
)
