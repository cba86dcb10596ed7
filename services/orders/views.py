"""The orders read side: queries of its read models and order streams, as functions of the store."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from services.orders.domain.status import OrderStatus
from services.orders.handlers.common import ORDERS
from shared.domain_errors import NotFoundError
from shared.events.store import EventStore
from shared.personal.personal_data import PersonalData
from shared.personal.sealing import FORGOTTEN, is_sealed, sealed_owner
from shared.web.paging import LIST_PAGE, Paged, QueuePage, Search, list_page, paged_rows

_ENDED = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
TABS = {
    "ongoing": tuple(s.value for s in OrderStatus if s not in _ENDED),
    "completed": (OrderStatus.COMPLETED.value,),
    "cancelled": (OrderStatus.CANCELLED.value,),
}
QUEUES = {
    "to_purchase": "status = 'purchasing' AND NOT awaits_seller",
    "awaiting_seller": "awaits_seller AND status IN ('pre_payment', 'purchasing')",
    "awaiting_arrival": "status = 'purchased'",
    "to_inspect": "status = 'arrived'",
    "problems": "(problem IS NOT NULL OR status = 'exchange_or_return')",
}
_FEEDBACK_SHOWN = 20
# What a staff search finds in an order: its id, its customer, and (`with_named_orders`) the
# delivery name, which is sealed (issue 21): SQL cannot match it.
_ORDER_SEARCH = Search(("d.order_id",), "d.order_id", "d.customer_id")
_NAMED_AT_MOST = 500


def with_named_orders(store: EventStore, personal: PersonalData, page: QueuePage) -> QueuePage:
    """`page` searching also the orders whose delivery name holds its text (R27).

    The names are sealed, so they are opened here, every order's in one keyring read, and
    matched as ILIKE would (case-insensitive, anywhere); a forgotten customer's name is
    matched by nobody. This reads every order's name per search: staff searches are rare,
    and opening a name costs microseconds (a blind index is the step beyond)."""
    if not page.text:
        return page
    rows = store.query(
        "SELECT order_id, doc->'address'->>'name' AS name FROM order_details "
        "WHERE doc->'address'->>'name' <> '' ORDER BY placed_at DESC",
        (),
    )
    names = personal.reveal([r["name"] for r in rows])
    wanted = page.text.casefold()
    named = [
        r["order_id"]
        for r, name in zip(rows, names, strict=True)
        if name != FORGOTTEN and wanted in name.casefold()
    ]
    return replace(page, orders=(*page.orders, *named[:_NAMED_AT_MOST]))


def order_document(store: EventStore, order_id: str) -> dict[str, Any] | None:
    """The order details document (R1-R5), if the order exists."""
    rows = store.query("SELECT doc FROM order_details WHERE order_id = %s", (order_id,))
    return rows[0]["doc"] if rows else None


def orders_in_tab(
    store: EventStore, tab: str, customer_id: str | None, offset: int = 0
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the documents of orders in `tab`, a customer's or everyone's (None),
    newest first; and where the next page starts (None: the last)."""
    sql = "SELECT doc FROM order_details WHERE status = ANY(%s)"
    params: tuple[Any, ...] = (list(TABS[tab]),)
    if customer_id is not None:
        sql += " AND customer_id = %s"
        params += (customer_id,)
    rows = store.query(
        sql + " ORDER BY placed_at DESC, order_id LIMIT %s OFFSET %s",
        (*params, LIST_PAGE + 1, offset),
    )
    return list_page([r["doc"] for r in rows], offset)


def estimates(store: EventStore, page: QueuePage) -> Paged:
    """The orders awaiting their estimate's payment, oldest first."""
    return paged_rows(
        store,
        "SELECT d.order_id, d.customer_id, d.placed_at, d.status FROM order_details d",
        "d.status = 'applied'",
        "d.placed_at, d.order_id",
        _ORDER_SEARCH,
        page,
    )


def queued_items(store: EventStore, queue: str, page: QueuePage) -> Paged:
    """The items in a staff work queue (`QUEUES`; 404 for another name), oldest first."""
    if queue not in QUEUES:
        raise NotFoundError(f"no queue {queue}")
    return paged_rows(
        store,
        "SELECT i.order_id, i.item_id, i.status, i.problem, i.updated_at, d.customer_id "
        "FROM order_items i JOIN order_details d USING (order_id)",
        QUEUES[queue].replace("status", "i.status"),
        "i.updated_at, i.order_id, i.item_id",
        _ORDER_SEARCH,
        page,
    )


def owners(store: EventStore, ids: list[str]) -> list[dict[str, Any]]:
    """Who each of the orders `ids` is for, with its status and delivery name."""
    return store.query(
        "SELECT order_id, customer_id, status, doc->'address'->>'name' AS name "
        "FROM order_details WHERE order_id = ANY(%s)",
        (ids,),
    )


def searched_owners(store: EventStore, page: QueuePage) -> list[dict[str, Any]]:
    """The same for the orders a staff search finds, newest first."""
    return paged_rows(
        store,
        "SELECT d.order_id, d.customer_id, d.status, d.doc->'address'->>'name' AS name "
        "FROM order_details d",
        "true",
        "d.placed_at DESC",
        _ORDER_SEARCH,
        page,
    )[0]


def recent_feedback(store: EventStore, personal: PersonalData) -> list[dict[str, Any]]:
    """The 20 latest feedbacks, without who left them (R28), and without the texts of
    forgotten customers: "forgotten customer" in place of a text would tell every visitor that
    someone asked to be forgotten, and the rating beside it would be a review nobody stands
    behind. (A rating left without a text names no one and stays.) Their rows stay in the
    table: a rebuild gives the same list, as the keys decide, not the rows."""
    rows = store.query(
        "SELECT rating, text, left_at FROM public_feedback ORDER BY left_at DESC LIMIT %s",
        (_FEEDBACK_SHOWN * 3,),
    )
    owners = {sealed_owner(r["text"]) for r in rows if is_sealed(r["text"])}
    keys = personal.keyring.keys_to_open(owners) if owners else {}
    shown = [
        dict(r, left_at=r["left_at"].isoformat())
        for r in rows
        if not is_sealed(r["text"]) or keys.get(sealed_owner(r["text"])) is not None
    ]
    return shown[:_FEEDBACK_SHOWN]


def open_orders(store: EventStore, customer_id: str) -> list[dict[str, Any]]:
    """The customer's orders not completed nor cancelled, oldest first."""
    rows = store.query(
        "SELECT order_id, status, placed_at FROM order_details "
        "WHERE customer_id = %s AND NOT status = ANY(%s) ORDER BY placed_at, order_id",
        (customer_id, [s.value for s in _ENDED]),
    )
    return [dict(r, placed_at=r["placed_at"].isoformat()) for r in rows]


def order_history(store: EventStore, order_id: str) -> list[dict[str, Any]]:
    """Every event of an order's stream, oldest first, as staff read it (R27): its `actor` is an
    account id or a service's or the scheduler's name (none for another service's event)."""
    return [
        {
            "version": event.version,
            "type": event.type,
            "recorded_at": event.recorded_at.isoformat(),
            "actor": str(actor) if (actor := event.metadata.get("actor")) else None,
            "data": dict(event.data),
        }
        for event in store.read_stream(ORDERS.stream_id(order_id))
    ]
