"""The messaging read side: queries of `conversations` and `messages`, as functions of the store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.messaging.domain.conversation import window_open
from shared.events.store import EventStore
from shared.web.app import jsonable
from shared.web.paging import LIST_PAGE, Paged, QueuePage, Search, list_page, paged_rows


def conversation(store: EventStore, conversation_id: str) -> dict[str, Any] | None:
    """A conversation's row (an order's, or an inquiry's), if there is one."""
    rows = store.query("SELECT * FROM conversations WHERE conversation_id = %s", (conversation_id,))
    return rows[0] if rows else None


def accepts_messages(conversation: dict[str, Any], now: datetime) -> bool:
    """Whether the conversation's window is still open (R12), as the aggregate decides it."""
    return window_open(conversation["closes_at"], now)


def messages(store: EventStore, conversation_id: str) -> list[dict[str, Any]]:
    """A conversation's messages, oldest first."""
    return store.query(
        "SELECT * FROM messages WHERE conversation_id = %s ORDER BY position", (conversation_id,)
    )


def attachment_holder(store: EventStore, attachment_id: str) -> dict[str, Any] | None:
    """The conversation (and its customer) of a message carrying `attachment_id`, if any."""
    rows = store.query(
        "SELECT m.conversation_id, c.customer_id FROM messages m "
        "JOIN conversations c ON c.conversation_id = m.conversation_id "
        "WHERE m.attachment_ids @> %s::jsonb LIMIT 1",
        (json.dumps([attachment_id]),),
    )
    return rows[0] if rows else None


def inquiries(
    store: EventStore, customer_id: str | None, offset: int = 0
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of inquiries, a customer's or everyone's (None), newest first; and where the
    next page starts (None: the last)."""
    sql = "SELECT * FROM conversations WHERE order_id IS NULL"
    params: tuple[Any, ...] = ()
    if customer_id is not None:
        sql += " AND customer_id = %s"
        params = (customer_id,)
    rows = store.query(
        sql + " ORDER BY opened_at DESC, conversation_id LIMIT %s OFFSET %s",
        (*params, LIST_PAGE + 1, offset),
    )
    return list_page([jsonable(r) for r in rows], offset)


def awaiting_reply(store: EventStore, page: QueuePage) -> Paged:
    """Conversations whose last message is the customer's, oldest first, with their unread."""
    return paged_rows(
        store,
        "SELECT c.conversation_id, c.order_id, c.last_message_at, "
        "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.conversation_id "
        " AND m.sender_role <> 'staff' AND m.position > c.staff_read_position) AS unread "
        "FROM conversations c",
        "c.last_sender_role IN ('customer', 'visitor')",
        "c.last_message_at, c.conversation_id",
        Search(("c.conversation_id",), "c.order_id"),
        page,
    )


def requests(store: EventStore, page: QueuePage) -> Paged:
    """Exchange and return requests and problem reports (R19, R23), oldest first."""
    return paged_rows(
        store,
        "SELECT message_id, conversation_id AS order_id, kind, item_id, text, posted_at "
        "FROM messages",
        "kind IN ('exchange_request', 'return_request', 'problem')",
        "position",
        # Not by text: it is sealed (issue 21), a search would match its ciphertext by chance.
        Search(("conversation_id",), "conversation_id"),
        page,
    )
