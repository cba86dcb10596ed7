"""Order and item statuses and the transitions between them: the table the README shows
and the aggregate enforces. An action not allowed from the current status is refused (409)."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    APPLIED = "applied"  # awaiting the 1st payment
    PURCHASING = "purchasing"
    AWAITING_ARRIVAL = "awaiting_arrival"
    INSPECTED = "inspected"
    AWAITING_SECOND_PAYMENT = "awaiting_second_payment"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ItemStatus(StrEnum):
    PRE_PAYMENT = "pre_payment"
    PURCHASING = "purchasing"
    PURCHASED = "purchased"
    ARRIVED = "arrived"
    INSPECTED = "inspected"
    CANCELLED = "cancelled"  # unavailable, or cancelled by the customer before payment
    EXCHANGE_OR_RETURN = "exchange_or_return"
    SHIPPED = "shipped"


Os, Is = OrderStatus, ItemStatus

# action -> (statuses it is allowed from, status it leads to; None: unchanged)
ORDER_TRANSITIONS: dict[str, tuple[frozenset[OrderStatus], OrderStatus | None]] = {
    "cancel by customer (R15)": (frozenset({Os.APPLIED}), Os.CANCELLED),
    "auto-cancel 7 days after the estimate (R16)": (frozenset({Os.APPLIED}), Os.CANCELLED),
    "change items before payment (R17)": (frozenset({Os.APPLIED}), None),
    "1st billing paid": (frozenset({Os.APPLIED}), Os.PURCHASING),
    "every remaining item purchased": (frozenset({Os.PURCHASING}), Os.AWAITING_ARRIVAL),
    "every remaining item inspected": (
        frozenset({Os.PURCHASING, Os.AWAITING_ARRIVAL}),
        Os.INSPECTED,
    ),
    "an exchange accepted (R19)": (frozenset({Os.INSPECTED}), Os.AWAITING_ARRIVAL),
    "mark an item unavailable (R20)": (
        frozenset({Os.PURCHASING, Os.AWAITING_ARRIVAL, Os.INSPECTED}),
        None,
    ),
    "no item left (R20)": (
        frozenset({Os.PURCHASING, Os.AWAITING_ARRIVAL, Os.INSPECTED}),
        Os.CANCELLED,
    ),
    "cancel by staff: nothing purchasable or forwardable (R25)": (
        frozenset({Os.APPLIED, Os.PURCHASING, Os.AWAITING_ARRIVAL, Os.INSPECTED}),
        Os.CANCELLED,
    ),
    "2nd billing issued or revised": (
        frozenset({Os.INSPECTED, Os.AWAITING_SECOND_PAYMENT}),
        Os.AWAITING_SECOND_PAYMENT,
    ),
    "shipped": (frozenset({Os.AWAITING_SECOND_PAYMENT}), Os.SHIPPED),
    "reception reported, all well (R23)": (frozenset({Os.SHIPPED}), Os.COMPLETED),
    "reception reported, a problem (R23)": (frozenset({Os.SHIPPED}), None),
    "30 days after shipment (R24)": (frozenset({Os.SHIPPED}), Os.COMPLETED),
    "leave feedback (R28)": (frozenset({Os.COMPLETED}), None),
    "check inspection photos (R18)": (
        frozenset({Os.INSPECTED, Os.AWAITING_SECOND_PAYMENT, Os.SHIPPED, Os.COMPLETED}),
        None,
    ),
}

ITEM_TRANSITIONS: dict[str, tuple[frozenset[ItemStatus], ItemStatus | None]] = {
    "change quantity (R17)": (frozenset({Is.PRE_PAYMENT}), None),
    "cancel item (R17)": (frozenset({Is.PRE_PAYMENT}), Is.CANCELLED),
    "set purchase condition (R13)": (frozenset({Is.PRE_PAYMENT}), None),
    "record seller confirmation (R13)": (frozenset({Is.PRE_PAYMENT, Is.PURCHASING}), None),
    "1st billing paid": (frozenset({Is.PRE_PAYMENT}), Is.PURCHASING),
    "mark purchased": (frozenset({Is.PURCHASING}), Is.PURCHASED),
    "mark unavailable (R20)": (
        frozenset({Is.PURCHASING, Is.PURCHASED, Is.ARRIVED, Is.INSPECTED, Is.EXCHANGE_OR_RETURN}),
        Is.CANCELLED,
    ),
    "record arrival": (frozenset({Is.PURCHASED}), Is.ARRIVED),
    "inspect (R18)": (frozenset({Is.ARRIVED}), Is.INSPECTED),
    "open exchange or return (R19)": (frozenset({Is.INSPECTED}), Is.EXCHANGE_OR_RETURN),
    "seller refuses exchange or return (R19)": (frozenset({Is.EXCHANGE_OR_RETURN}), Is.INSPECTED),
    "seller accepts exchange (R19)": (frozenset({Is.EXCHANGE_OR_RETURN}), Is.PURCHASED),
    "seller accepts return (R19)": (frozenset({Is.EXCHANGE_OR_RETURN}), Is.CANCELLED),
    "order shipped": (frozenset({Is.INSPECTED}), Is.SHIPPED),
}

# Statuses in which an item still counts as part of the order.
REMAINING = frozenset(set(ItemStatus) - {Is.CANCELLED})


def markdown_table() -> str:
    """The transition tables as Markdown (the service README embeds this text)."""
    lines = ["| order action | allowed from | leads to |", "| --- | --- | --- |"]
    for action, (sources, target) in ORDER_TRANSITIONS.items():
        lines.append(f"| {action} | {_names(sources)} | {target.value if target else '(same)'} |")
    lines += ["", "| item action | allowed from | leads to |", "| --- | --- | --- |"]
    for action, (isources, itarget) in ITEM_TRANSITIONS.items():
        lines.append(
            f"| {action} | {_names(isources)} | {itarget.value if itarget else '(same)'} |"
        )
    return "\n".join(lines)


def _names(statuses: frozenset[OrderStatus] | frozenset[ItemStatus]) -> str:
    return ", ".join(sorted(s.value for s in statuses))
