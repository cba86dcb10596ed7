"""The messaging read model: which orders accept messages, and until when."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from shared.events.store import RecordedEvent, Row


class Conversations:
    """`conversations`: one row per order conversation."""

    name = "conversations"
    tables: Sequence[str] = ("conversations",)
    schema = """
    CREATE TABLE IF NOT EXISTS conversations (
        order_id      text PRIMARY KEY,
        customer_id   text NOT NULL,
        opened_at     timestamptz NOT NULL,
        order_outcome text,
        closes_at     timestamptz
    );
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one conversation event into its row."""
        data = event.data
        if event.type == "ConversationOpened":
            conn.execute(
                "INSERT INTO conversations (order_id, customer_id, opened_at) VALUES (%s, %s, %s)",
                (data["order_id"], data["customer_id"], data["opened_at"]),
            )
        elif event.type == "ConversationClosing":
            conn.execute(
                "UPDATE conversations SET order_outcome = %s, closes_at = %s WHERE order_id = %s",
                (data["order_outcome"], data["closes_at"], data["order_id"]),
            )


def projections() -> list[Conversations]:
    """Every projection of the messaging service."""
    return [Conversations()]
