"""One name per status and per shipping method on every page (badge, progress, list, form,
estimator): the services' codes in the words a customer reads."""

from __future__ import annotations

# Orders, items, billings and shipments share some codes; each code has one name.
STATUS_WORDS = {
    # orders (services/orders/domain/status.py)
    "applied": "Awaiting 1st payment",
    "purchasing": "Purchasing",
    "awaiting_arrival": "Awaiting arrival",
    "inspected": "Inspected",
    "awaiting_second_payment": "Awaiting shipping payment",
    "shipped": "Shipped",
    "completed": "Completed",
    "cancelled": "Cancelled",
    # items
    "pre_payment": "Awaiting 1st payment",
    "purchased": "Purchased",
    "arrived": "Arrived",
    "exchange_or_return": "Exchange or return",
    # billings
    "open": "To pay",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "voided": "Cancelled",  # a billing voided because its order was cancelled
    # shipments
    "to_pack": "To pack",
    "awaiting_payment": "Awaiting shipping payment",
    "to_ship": "To ship",
}
# The order's progress, in the same words as its badge.
PROGRESS_STEPS = (
    "applied",
    "purchasing",
    "awaiting_arrival",
    "inspected",
    "awaiting_second_payment",
    "shipped",
    "completed",
)
SHIPPING_METHOD_WORDS = {
    "EMS": "EMS express mail",
    "AIR": "Air mail",
    "SAL": "SAL economy air",
    "SEA": "Sea mail",
    "COURIER": "Express courier",
}


def status_words(code: object) -> str:
    """A status code as its one name ('awaiting_arrival' -> 'Awaiting arrival')."""
    text = str(code or "")
    return STATUS_WORDS.get(text, text.replace("_", " ").capitalize())


def shipping_method_words(code: object) -> str:
    """A shipping method's code as its one name ('EMS' -> 'EMS express mail')."""
    text = str(code or "")
    return SHIPPING_METHOD_WORDS.get(text, text)


PROGRESS = tuple((code, STATUS_WORDS[code]) for code in PROGRESS_STEPS)
