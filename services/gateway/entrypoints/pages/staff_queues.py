"""The staff console's work queues (R27): which queue each service answers, one page of each
searched by order id, customer e-mail or name, or tracking number, with the count of all
that match; customers shown by name and e-mail, looked up once per page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.gateway.entrypoints.account_links import tokens
from services.gateway.entrypoints.pages.common import Part, fetch
from services.gateway.entrypoints.sessions import gateway

Row = dict[str, Any]
PAGE_SIZE = 20
# Columns that are moments: shown in the staff member's zone, with how long ago.
MOMENTS = frozenset(
    (
        "placed_at",
        "updated_at",
        "received_at",
        "reported_at",
        "noted_at",
        "last_message_at",
        "posted_at",
        "opened_at",
        "at",
    )
)

# A column's heading in words.
HEADINGS = {
    "item_id": "Item",
    "billing_id": "Billing",
    "payer_name": "Payer",
    "paid_on": "Paid on",
    "expected_confirmation": "Expected confirmation",
    "capture_id": "Capture",
    "destination_country": "Country",
    "last_message_at": "Last message",
    "posted_at": "Posted",
    "placed_at": "Placed",
    "opened_at": "Waiting since",
    "received_at": "Received",
    "at": "When",
}


@dataclass(frozen=True)
class Queue:
    """One work queue: where it is read, the list in the answer, and what a row shows."""

    title: str
    service: str
    path: str
    key: str
    columns: tuple[str, ...]

    @property
    def slug(self) -> str:
        """The queue's anchor on the console page."""
        return self.title.lower().replace(" ", "-")


ITEM_COLUMNS = ("item_id", "status", "problem")
SHIPMENT_COLUMNS = ("method", "destination_country", "status", "fee", "opened_at")


def _section(
    service: str, *queues: tuple[str, str, str, tuple[str, ...]]
) -> tuple[str, tuple[Queue, ...]]:
    """A service's queues, each (title, name in `/queues/<name>`, the list's key, columns)."""
    return service, tuple(
        Queue(title, service, f"/queues/{name}", key, columns)
        for title, name, key, columns in queues
    )


# The console's sections, one per service, each with its queues in the order work flows.
QUEUES: tuple[tuple[str, tuple[Queue, ...]], ...] = (
    _section(
        "orders",
        ("Estimates to review", "estimates", "orders", ("placed_at", "status")),
        ("To purchase", "to_purchase", "items", ITEM_COLUMNS),
        ("Awaiting seller confirmation", "awaiting_seller", "items", ITEM_COLUMNS),
        ("Awaiting arrival", "awaiting_arrival", "items", ITEM_COLUMNS),
        ("To inspect", "to_inspect", "items", ITEM_COLUMNS),
        ("Problems", "problems", "items", ITEM_COLUMNS),
    ),
    _section(
        "billing",
        (
            "Reported transfers not yet matched",
            "payment-reports",
            "reports",
            ("billing_id", "payer_name", "paid_on", "amount", "expected_confirmation"),
        ),
        (
            "Transfers received without a report",
            "unreported-transfers",
            "transfers",
            ("billing_id", "received_at", "amount"),
        ),
        (
            "Card captures in review",
            "captures-in-review",
            "captures",
            ("billing_id", "capture_id", "reason", "amount"),
        ),
        (
            "Payments that paid no billing",
            "unapplied-payments",
            "payments",
            ("status", "reference", "reason", "amount", "at"),
        ),
    ),
    _section(
        "messaging",
        (
            "Conversations awaiting a reply",
            "awaiting-reply",
            "conversations",
            ("unread", "last_message_at"),
        ),
        ("Exchange and return requests", "requests", "messages", ("kind", "text", "posted_at")),
    ),
    _section(
        "shipping",
        ("To pack", "to-pack", "shipments", SHIPMENT_COLUMNS),
        ("Awaiting payment", "awaiting-payment", "shipments", SHIPMENT_COLUMNS),
        ("To ship", "to-ship", "shipments", SHIPMENT_COLUMNS),
    ),
)
SERVICE_TITLES = {
    "orders": "Orders",
    "billing": "Billing",
    "messaging": "Messages",
    "shipping": "Shipping",
}


@dataclass(frozen=True)
class QueueView:
    """A queue as the console shows it: one page of its rows and how many match in all."""

    queue: Queue
    part: Part
    rows: list[Row]
    total: int = 0
    offset: int = 0

    @property
    def previous(self) -> int | None:
        """Where the page before starts (None on the first page)."""
        return max(self.offset - PAGE_SIZE, 0) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        """Where the page after starts (None on the last page)."""
        return self.offset + PAGE_SIZE if self.offset + PAGE_SIZE < self.total else None


@dataclass(frozen=True)
class ServiceView:
    """One service's queues; `down` when the service did not answer."""

    service: str
    title: str
    queues: list[QueueView]
    down: Part | None


@dataclass(frozen=True)
class Search:
    """What staff typed, and the orders and customers it names elsewhere: the gateway's
    accounts by e-mail, the orders service's ids and delivery names, shipping's tracking
    numbers. `found` lists those orders (a shipped order is in no queue, yet is found)."""

    text: str = ""
    orders: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    found: list[Row] = field(default_factory=list)

    def params(self) -> dict[str, str]:
        """The search as a queue endpoint's query parameters."""
        if not self.text:
            return {}
        return {
            "q": self.text,
            "order": ",".join(self.orders),
            "customer": ",".join(self.customers),
        }


def _orders(part: Part) -> list[Row]:
    return list(part.value.get("orders", [])) if part.shown else []


def search_for(text: str) -> Search:
    """Resolve a staff search: customers by e-mail here, then the orders whose id, delivery
    name or customer matches in the orders service, and those whose tracking number holds
    `text` in shipping."""
    text = text.strip()[:200]
    if not text:
        return Search()
    customers = tuple(gateway().accounts.customers_matching(text))
    found = _orders(fetch("orders", "/orders/owners", {"q": text, "customer": ",".join(customers)}))
    known = {row["order_id"] for row in found}
    tracked = [
        row["order_id"]
        for row in _orders(fetch("shipping", "/shipments/search", {"q": text}))
        if row["order_id"] not in known
    ]
    if tracked:
        found += _orders(fetch("orders", "/orders/owners", {"ids": ",".join(tracked)}))
    found = [{**row, "order": row["order_id"]} for row in found]
    return Search(text, tuple(row["order_id"] for row in found), customers, found)


def order_of(row: Row) -> str | None:
    """The order a queue row belongs to: its `order_id`; for a billing row whose billing is
    not projected yet (no order_id), read from the billing id, `<order_id>-<1|2>`."""
    if row.get("order_id"):
        return str(row["order_id"])
    billing_id = str(row.get("billing_id") or "")
    return billing_id.rsplit("-", 1)[0] if "-" in billing_id else None


def service_view(
    service: str, queues: tuple[Queue, ...], search: Search, offsets: Mapping[str, int]
) -> ServiceView:
    """One page of each queue of `service`, as `search` narrows them."""
    views: list[QueueView] = []
    for queue in queues:
        offset = offsets.get(queue.slug, 0)
        params = {"limit": str(PAGE_SIZE), "offset": str(offset), **search.params()}
        part = fetch(queue.service, queue.path, params)
        if part.unavailable:
            # One refusal is enough: the other queues of a down service would only wait too.
            return ServiceView(service, SERVICE_TITLES[service], [], part)
        found = part.value.get(queue.key, []) if part.shown else []
        total = int(part.value.get("total", len(found))) if part.shown else 0
        rows = [{**row, "order": order_of(row)} for row in found]
        views.append(QueueView(queue, part, rows, total, offset))
    return ServiceView(service, SERVICE_TITLES[service], views, None)


def name_customers(services: list[ServiceView], found: list[Row]) -> None:
    """Give every row its customer's name and e-mail: the orders service's delivery name
    and customer of each order on the page, then the gateway's e-mail of each customer; one
    lookup of each per page, not one per row."""
    rows = [row for view in services for queue in view.queues for row in queue.rows] + found
    orders = sorted({row["order"] for row in rows if row.get("order")})
    owners: dict[str, Row] = {}
    if orders:
        owned = _orders(fetch("orders", "/orders/owners", {"ids": ",".join(orders)}))
        owners = {o["order_id"]: o for o in owned}
    customers = {
        row.get("customer_id") or owners.get(row.get("order") or "", {}).get("customer_id")
        for row in rows
    }
    emails = gateway().accounts.emails([c for c in customers if c])
    unconfirmed = tokens().unverified([c for c in customers if c])  # R26: staff see it
    for row in rows:
        owner = owners.get(row.get("order") or "", {})
        customer = row.get("customer_id") or owner.get("customer_id")
        row["customer_name"] = owner.get("name") or ""
        row["customer_email"] = emails.get(customer or "", "")
        row["customer_email_unconfirmed"] = customer in unconfirmed
        row["customer_id"] = customer
