"""The messaging read models: conversations (window, unread counts, waiting for a reply),
their messages oldest first, and inquiries."""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg

from shared.events.projections import values_of
from shared.events.store import RecordedEvent, Row

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id         text PRIMARY KEY,
    order_id                text,
    customer_id             text,
    email                   text,
    opened_at               timestamptz NOT NULL,
    order_outcome           text,
    closes_at               timestamptz,
    last_sender_role        text,
    last_message_at         timestamptz,
    customer_read_position  bigint NOT NULL DEFAULT 0,
    staff_read_position     bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    message_id      text PRIMARY KEY,
    conversation_id text NOT NULL,
    sender_role     text NOT NULL,
    kind            text NOT NULL,
    text            text NOT NULL,
    attachment_ids  jsonb NOT NULL,
    posted_at       timestamptz NOT NULL,
    position        bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, position);
-- MessagePosted v2: the item a request or purchase condition is about (R13, R19).
ALTER TABLE messages ADD COLUMN IF NOT EXISTS item_id text;
-- Issue 21: whose key a message's (sealed) text is under (NULL: a visitor's, plain). Rows from
-- before take their conversation's customer.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS customer_id text;
UPDATE messages m SET customer_id = c.customer_id FROM conversations c
WHERE m.customer_id IS NULL AND c.conversation_id = m.conversation_id
  AND c.customer_id IS NOT NULL;
"""


class Conversations:
    """`conversations` and `messages`: what the order page and the staff inbox show."""

    name = "conversations"
    tables: Sequence[str] = ("conversations", "messages")
    schema = SCHEMA

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one conversation or inquiry event into the rows."""
        data = event.data
        if event.type == "ConversationOpened":
            conn.execute(
                "INSERT INTO conversations (conversation_id, order_id, customer_id, opened_at) "
                "VALUES (%s, %s, %s, %s)",
                (data["order_id"], data["order_id"], data["customer_id"], data["opened_at"]),
            )
        elif event.type == "InquiryOpened":
            conn.execute(
                "INSERT INTO conversations (conversation_id, customer_id, email, opened_at) "
                "VALUES (%s, %s, %s, %s)",
                (data["inquiry_id"], data["customer_id"], data["email"], data["opened_at"]),
            )
        elif event.type == "ConversationClosing":
            conn.execute(
                "UPDATE conversations SET order_outcome = %s, closes_at = %s "
                "WHERE conversation_id = %s",
                (data["order_outcome"], data["closes_at"], data["order_id"]),
            )
        elif event.type == "MessagePosted":
            conn.execute(
                "INSERT INTO messages (message_id, conversation_id, sender_role, kind, text, "
                "attachment_ids, posted_at, position, item_id, customer_id) VALUES (%s, %s, %s, "
                "%s, %s, %s::jsonb, %s, %s, %s, %s)",
                (
                    *values_of(data, "message_id conversation_id sender_role kind text"),
                    json.dumps(data["attachment_ids"]),
                    data["posted_at"],
                    event.position,
                    data["item_id"],
                    data.get("customer_id"),
                ),
            )
            conn.execute(
                "UPDATE conversations SET last_sender_role = %s, last_message_at = %s "
                "WHERE conversation_id = %s",
                (data["sender_role"], data["posted_at"], data["conversation_id"]),
            )
        elif event.type == "MessagesRead":
            column = (
                "staff_read_position"
                if data["reader_role"] == "staff"
                else "customer_read_position"
            )
            conn.execute(
                f"UPDATE conversations SET {column} = (SELECT position FROM messages "
                "WHERE message_id = %s) WHERE conversation_id = %s",
                (data["up_to_message_id"], data["conversation_id"]),
            )


def projections() -> list[Conversations]:
    """Every projection of the messaging service."""
    return [Conversations()]
