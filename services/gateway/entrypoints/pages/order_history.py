"""The "History" of the staff order page (R27): each event of the order, when (the staff time
zone), what (in the live feed's words, event_words) and who: a staff member's name or e-mail,
"the customer", or "CNNECT (automatic)" for what the system did."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.gateway.adapters.account_names import account_names
from services.gateway.entrypoints.pages.common import Part, fetch
from services.gateway.entrypoints.sessions import gateway
from services.gateway.event_words import money_text, sentence, title

CUSTOMER = "the customer"
AUTOMATIC = "CNNECT (automatic)"
ACCOUNT_PREFIXES = ("cus-", "staff-", "admin-")  # account ids; any other actor is a process

Data = Mapping[str, Any]


def _item(data: Data) -> str:
    return str(data.get("item_id") or "an item")


def _amount(data: Data) -> str:
    return money_text(data["amount"]) if "amount" in data else ""


# The orders service's own events, which the live feed never shows (event_words has the
# sentences of the events every service shares). Their titles say what happened
# ("Item purchased"): these add the facts ("itm-1"); none for a title that says it all.
ORDER_SENTENCES: dict[str, Callable[[Data], str]] = {
    "DeliveryDetailsGiven": lambda d: "",
    "FirstBillingIssued": _amount,
    "FirstBillingPaid": lambda d: "",
    "SecondBillingIssued": _amount,
    "SecondBillingPaid": lambda d: "",
    "PurchaseConditionSet": lambda d: f"{_item(d)}: ask the seller “{d.get('text', '')}”",
    "SellerConfirmationRecorded": lambda d: f"{_item(d)}: the seller said “{d.get('answer', '')}”",
    "ItemPurchased": _item,
    "ItemArrived": _item,
    "ItemInspected": lambda d: f"{_item(d)}, {d.get('checked_quantity')} checked",
    "ExchangeOpened": lambda d: f"{_item(d)}: {d.get('kind', 'exchange')} asked of the seller",
    "ExchangeAnswered": lambda d: (
        f"{_item(d)}: the seller {'accepted' if d.get('accepted') else 'refused'}"
    ),
    "OrderShipped": lambda d: (
        "tracking " + ", ".join(str(t) for t in d.get("tracking_numbers") or [])
    ),
    "InspectionPhotosChecked": lambda d: "",
    "FeedbackLeft": lambda d: f"{d.get('rating')} of 5",
}


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the history."""

    at: str  # ISO 8601, shown in the staff zone by the page
    what: str
    detail: str
    who: str


def what_happened(event_type: str, data: Data) -> str:
    """The event's key facts in one sentence ('' when there is nothing to add to its title)."""
    words = ORDER_SENTENCES.get(event_type)
    if words is None:
        return sentence(event_type, data)
    try:
        return words(data)
    except (AttributeError, TypeError, ValueError, KeyError):
        return ""


def who_did(actor: str | None, customer_id: str, names: Mapping[str, str]) -> str:
    """Who caused an event, as staff say it."""
    if not actor or not actor.startswith(ACCOUNT_PREFIXES):
        return AUTOMATIC  # a deadline, another service's event, a payment provider
    if actor == customer_id:
        return CUSTOMER
    return names.get(actor, actor)


def order_history(order_id: str, customer_id: str) -> Part:
    """The order's history, newest first, its actors named with one accounts query; a
    notice instead when the orders service does not answer."""
    part = fetch("orders", f"/orders/{order_id}/history")
    if not part.shown:
        return part
    events = [e for e in part.value.get("events", []) if isinstance(e, Mapping)]
    actors = {str(e["actor"]) for e in events if e.get("actor")} - {customer_id}
    names = account_names(gateway().accounts, sorted(actors))
    entries = [
        HistoryEntry(
            str(e.get("recorded_at", "")),
            title(str(e.get("type", ""))),
            what_happened(str(e.get("type", "")), e.get("data") or {}),
            who_did(e.get("actor"), customer_id, names),
        )
        for e in reversed(events)
    ]
    return Part(entries)
