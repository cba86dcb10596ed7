"""Each integration event in words for the staff live feed (R27): its name as staff say it,
and its key facts in one sentence ("Payment of 19.33 EUR received by card for the 1st
billing"), from the event's data; an event type without a sentence still reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.money import Money

Data = Mapping[str, Any]

TITLES = {
    "OrderPlaced": "Order placed",
    "OrderItemsChanged": "Items changed",
    "ItemUnavailable": "Item unavailable",
    "ReturnShippingCharged": "Return shipping charged",
    "BillingIssued": "Billing issued",
    "PaymentReceived": "Payment received",
    "ItemsInspected": "Items inspected",
    "ShippingQuoted": "Shipping quoted",
    "Shipped": "Shipped",
    "ReceptionReported": "Reception reported",
    "OrderCompleted": "Order completed",
    "MessagePosted": "Message posted",
    "PurchaseConditionRequested": "Purchase condition asked",
    "OrderCancelled": "Order cancelled",
    "CustomerForgotten": "Customer forgotten",
}
METHODS = {
    "card": "by card",
    "bank_transfer": "by bank transfer",
    "deposit": "from the deposit",
    "staff_confirmation": "as confirmed by staff",
}
ORDINALS = {"first": "1st", "second": "2nd"}
QUOTE_LIMIT = 120
COMPLETED = {
    "reception_reported": "Completed: the customer reported the reception",
    "no_report_in_30_days": "Completed: no reception report in 30 days",
}
CANCELLED = {
    "customer_request": "Cancelled at the customer's request",
    "unpaid_7_days": "Cancelled: the 1st billing was unpaid for 7 days",
    "nothing_purchasable": "Cancelled: nothing could be bought",
    "staff": "Cancelled by staff",
}


def money_text(value: Any) -> str:
    """`{"amount": "19.3", "currency": "EUR"}` as "19.30 EUR" (the pages' one money format;
    not imported from the pages, which import this module)."""
    if not isinstance(value, Mapping):
        return "?"
    try:
        return Money(Decimal(str(value["amount"])), str(value["currency"])).formatted()
    except (InvalidOperation, KeyError, ValueError, TypeError):
        return f"{value.get('amount')} {value.get('currency')}"


def title(event_type: str) -> str:
    """The event's name in words ("PaymentReceived" -> "Payment received")."""
    if event_type in TITLES:
        return TITLES[event_type]
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in event_type).strip()
    return spaced[:1].upper() + spaced[1:]


def _quote(text: Any) -> str:
    """A customer's or staff's text, quoted and cut (kept as typed: 承认, 確認 ...)."""
    words = " ".join(str(text or "").split())
    return f"“{words[: QUOTE_LIMIT - 1]}…”" if len(words) > QUOTE_LIMIT else f"“{words}”"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _items(data: Data) -> str:
    items = data.get("items") or []
    titles = [str(i.get("title", "")) for i in items if isinstance(i, Mapping)]
    named = ", ".join(t for t in titles[:3] if t) + (" …" if len(titles) > 3 else "")
    return _count(len(items), "item") + (f" ({named})" if named else "")


def _placed(data: Data) -> str:
    where = data.get("destination_country") or "?"
    return f"{_items(data)} to {where} by {data.get('shipping_method') or '?'}"


def _billing(data: Data) -> str:
    kind = ORDINALS.get(str(data.get("kind")), str(data.get("kind")))
    return f"{kind} billing of {money_text(data.get('amount'))} issued"


def _payment(data: Data) -> str:
    kind = ORDINALS.get(str(data.get("kind")), str(data.get("kind")))
    method = METHODS.get(str(data.get("method")), str(data.get("method")))
    settled = "; the billing is paid in full" if data.get("billing_settled") else ""
    amount = money_text(data.get("amount"))
    return f"Payment of {amount} received {method} for the {kind} billing{settled}"


def _inspected(data: Data) -> str:
    return f"{_items(data)} inspected; shipping by {data.get('shipping_method') or '?'}"


def _quoted(data: Data) -> str:
    parcels = len(data.get("parcels") or [])
    return f"{_count(parcels, 'parcel')} by {data.get('method')}: {money_text(data.get('fee'))}"


def _shipped(data: Data) -> str:
    parcels = [p for p in data.get("parcels") or [] if isinstance(p, Mapping)]
    tracking = ", ".join(str(p.get("tracking_number", "")) for p in parcels)
    return f"{_count(len(parcels), 'parcel')} handed to the carrier" + (
        f", tracking {tracking}" if tracking else ""
    )


def _reception(data: Data) -> str:
    if data.get("all_well"):
        return "The customer says everything arrived well"
    return f"The customer reports a problem: {_quote(data.get('comment'))}"


def _message(data: Data) -> str:
    who = {"customer": "The customer", "staff": "Staff", "visitor": "A visitor"}.get(
        str(data.get("sender_role")), "Someone"
    )
    kind = str(data.get("kind") or "message").replace("_", " ")
    about = f" about {data['item_id']}" if data.get("item_id") else ""
    return f"{who} wrote ({kind}{about}): {_quote(data.get('text'))}"


def _unavailable(data: Data) -> str:
    return f"{data.get('item_id')} cannot be bought: {_quote(data.get('reason'))}"


def _condition(data: Data) -> str:
    return f"{data.get('item_id')}: ask the seller {_quote(data.get('text'))}"


SENTENCES: dict[str, Callable[[Data], str]] = {
    "OrderPlaced": _placed,
    "OrderItemsChanged": lambda d: f"Now {_items(d)}",
    "ItemUnavailable": _unavailable,
    "ReturnShippingCharged": lambda d: (
        f"Return shipping of {money_text(d.get('cost'))} for {d.get('item_id')}"
    ),
    "BillingIssued": lambda d: _billing(d)[:1].upper() + _billing(d)[1:],
    "PaymentReceived": _payment,
    "ItemsInspected": _inspected,
    "ShippingQuoted": _quoted,
    "Shipped": _shipped,
    "ReceptionReported": _reception,
    "OrderCompleted": lambda d: COMPLETED.get(str(d.get("reason")), "Completed"),
    "MessagePosted": _message,
    "PurchaseConditionRequested": _condition,
    "OrderCancelled": lambda d: CANCELLED.get(str(d.get("reason")), "Cancelled"),
    "CustomerForgotten": lambda d: (
        f"Customer {d['customer_id']} was forgotten: their personal data no longer opens"
    ),
}


def sentence(event_type: str, data: Data) -> str:
    """The event's key facts in one sentence ('' for a type with no sentence yet)."""
    words = SENTENCES.get(event_type)
    if words is None:
        return ""
    try:
        return words(data)
    except (AttributeError, TypeError, ValueError, KeyError):
        return ""  # data of a shape we do not know: the title still says what happened
