"""The e-mails a customer gets when something needs them or changed for them (pure, no I/O).

One integration event gives at most one notification; its id is derived from the event id and
the kind, so a redelivered event maps to the same notification (the outbox keeps it once)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from shared.money import Money

# Fixed namespace of notification ids: never change it, or redelivered events mail again.
NOTIFICATION_NAMESPACE = UUID("6f0d2c7e-8a4b-5c3e-9d1f-2b7a4e6c8d10")

BILLING_ISSUED = "billing_issued"
PAYMENT_CONFIRMED = "payment_confirmed"
ITEMS_INSPECTED = "items_inspected"
SHIPPED = "shipped"
STAFF_REPLY = "staff_reply"
ORDER_CANCELLED = "order_cancelled"

_GREETING = "Hello,"
_SIGNATURE = "The CNNECT team"

_CANCEL_REASONS = {
    "customer_request": "you asked us to cancel it",
    "unpaid_7_days": "its first billing was not paid within 7 days",
    "nothing_purchasable": "none of its items could be purchased or forwarded",
    "staff": "our staff cancelled it",
}

_BILLING_KINDS = {
    "first": "the first billing (goods, shipping within China and our service fee)",
    "second": "the second billing (international shipping)",
}

_PAYMENT_METHODS = {
    "deposit": "from your deposit",
    "bank_transfer": "by bank transfer",
    "card": "by card",
    "staff_confirmation": "confirmed by our staff",
}


@dataclass(frozen=True)
class Notification:
    """One plain-text e-mail to a customer."""

    notification_id: str
    customer_id: str
    kind: str
    subject: str
    body: str


def notification_id(kind: str, source_id: str) -> str:
    """The notification id of `kind` for an event (or message) id; stable across redeliveries."""
    return str(uuid5(NOTIFICATION_NAMESPACE, f"{kind}/{source_id}"))


def notification_for(
    event_type: str, data: Mapping[str, Any], event_id: str, pay_url_base: str
) -> Notification | None:
    """The e-mail an integration event sends the customer, or None if it sends none."""
    builder = _BUILDERS.get(event_type)
    if builder is None:
        return None
    built = builder(data, pay_url_base.rstrip("/"))
    if built is None:
        return None
    kind, subject, lines = built
    return _notification(kind, str(event_id), str(data["customer_id"]), subject, lines)


def staff_reply(message_id: str, order_id: str | None, customer_id: str, text: str) -> Notification:
    """The e-mail telling a customer that our staff answered (on an order, or an inquiry)."""
    about = "your inquiry" if order_id is None else f"your order {order_id}"
    subject = "A reply from our staff"
    if order_id is not None:
        subject = f"Order {order_id}: a reply from our staff"
    lines = [
        f"Our staff replied to you about {about}:",
        "",
        *(f"> {line}" if line else ">" for line in text.strip().splitlines()),
        "",
        "Sign in to your account to answer.",
    ]
    return _notification(STAFF_REPLY, message_id, customer_id, subject, lines)


def _notification(
    kind: str, source_id: str, customer_id: str, subject: str, lines: list[str]
) -> Notification:
    body = "\n".join([_GREETING, "", *lines, "", _SIGNATURE]) + "\n"
    return Notification(
        notification_id=notification_id(kind, source_id),
        customer_id=customer_id,
        kind=kind,
        subject=_one_line(subject),
        body=body,
    )


def _one_line(text: str) -> str:
    """A header-safe single line (no CR/LF from any interpolated value)."""
    return " ".join(text.split())


def _money(value: Mapping[str, Any]) -> str:
    """A contract money value (decoded or raw JSON) as text, e.g. `14.94 EUR`."""
    money = Money.of(str(value["amount"]), str(value["currency"]))
    return f"{money.amount} {money.currency}"


def _humane(code: str) -> str:
    return str(code).replace("_", " ")


_Built = tuple[str, str, list[str]] | None


def _billing_issued(data: Mapping[str, Any], pay_url_base: str) -> _Built:
    order_id, amount = data["order_id"], _money(data["amount"])
    which = _BILLING_KINDS.get(str(data["kind"]), f"a {_humane(data['kind'])} billing")
    # A revision after a partial payment asks only for the rest; one that what was paid
    # already covers asks for nothing (BillingIssued v2, R17).
    total = Money.of(str(data["amount"]["amount"]), str(data["amount"]["currency"]))
    paid = data.get("paid") or {"amount": "0", "currency": total.currency}
    already = Money.of(str(paid["amount"]), str(paid["currency"]))
    rest = total - already if already < total else Money.zero(total.currency)
    due = f"{rest.amount} {rest.currency}"
    if data.get("settled"):
        lines = [f"Your order {order_id}'s billing was revised to {amount}.", ""]
        lines.append(f"What you already paid covers it: there is nothing more to pay for {which}.")
    else:
        lines = [f"Your order {order_id} is waiting for your payment of {due}.", ""]
        lines.append(f"This is {which}.")
    if int(data.get("revision", 1)) > 1:
        lines.append("It replaces the billing we sent before for the same order.")
    if data.get("lines"):
        lines += ["", "Details:"]
        lines += [f"  - {line['label']}: {_money(line['amount'])}" for line in data["lines"]]
    if data.get("settled"):
        return BILLING_ISSUED, f"Order {order_id}: your revised billing is paid", lines
    if not already.is_zero:
        lines += ["", f"Total: {amount}", f"Already paid: {already.amount} {already.currency}"]
    lines += [
        "",
        f"Total to pay: {due}",
        "",
        "Pay it here:",
        f"{pay_url_base}/billings/{data['billing_id']}/pay",
    ]
    return BILLING_ISSUED, f"Order {order_id}: please pay {due}", lines


def _payment_received(data: Mapping[str, Any], pay_url_base: str) -> _Built:
    if not data.get("billing_settled"):
        return None
    order_id, amount = data["order_id"], _money(data["amount"])
    method = _PAYMENT_METHODS.get(str(data.get("method", "")), "")
    paid = f"We received your payment of {amount}{' ' + method if method else ''}."
    which = _BILLING_KINDS.get(str(data["kind"]), "the billing")
    lines = [
        paid,
        f"{which[0].upper()}{which[1:]} of your order {order_id} is now fully paid.",
        "",
        "Thank you! We will keep you informed of the next steps.",
    ]
    return PAYMENT_CONFIRMED, f"Order {order_id}: payment received", lines


def _items_inspected(data: Mapping[str, Any], pay_url_base: str) -> _Built:
    order_id = data["order_id"]
    lines = [
        f"The items of your order {order_id} arrived at our warehouse and were inspected.",
        "The inspection photos are ready: please check them on your order page.",
        "",
        "Inspected items:",
    ]
    for item in data.get("items", []):
        weight = item.get("weight_grams")
        suffix = f", {weight} g" if weight else ""
        lines.append(f"  - {item['item_id']}: {item['quantity']} piece(s){suffix}")
    return ITEMS_INSPECTED, f"Order {order_id}: your items were inspected, photos ready", lines


def _shipped(data: Mapping[str, Any], pay_url_base: str) -> _Built:
    order_id, parcels = data["order_id"], list(data["parcels"])
    count = "1 parcel" if len(parcels) == 1 else f"{len(parcels)} parcels"
    lines = [f"Your order {order_id} was shipped in {count}.", "", "Tracking:"]
    for parcel in parcels:
        lines.append(f"  - {parcel['carrier']} {parcel['tracking_number']}")
        lines.append(f"    {parcel['tracking_url']}")
    lines += ["", "Please send us your reception report once everything has arrived."]
    return SHIPPED, f"Order {order_id}: shipped ({count})", lines


def _order_cancelled(data: Mapping[str, Any], pay_url_base: str) -> _Built:
    order_id, reason = data["order_id"], str(data["reason"])
    why = _CANCEL_REASONS.get(reason, _humane(reason))
    lines = [
        f"Your order {order_id} was cancelled: {why}.",
        "",
        "If you have a question about it, you can still write to us on the order page",
        "for 30 days.",
    ]
    return ORDER_CANCELLED, f"Order {order_id}: cancelled", lines


_BUILDERS: dict[str, Callable[[Mapping[str, Any], str], _Built]] = {
    "BillingIssued": _billing_issued,
    "PaymentReceived": _payment_received,
    "ItemsInspected": _items_inspected,
    "Shipped": _shipped,
    "OrderCancelled": _order_cancelled,
}
