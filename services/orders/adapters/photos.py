"""Inspection photos: stored in the orders database under generated ids, beside the event
that references them, and served only to the order's owner and staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from shared.events.store import EventStore, Transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS inspection_photos (
    photo_id    text PRIMARY KEY,
    order_id    text NOT NULL,
    item_id     text NOT NULL,
    customer_id text NOT NULL,
    media_type  text NOT NULL,
    content     bytea NOT NULL,
    size        integer NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS inspection_photos_order ON inspection_photos (order_id);
"""


@dataclass(frozen=True)
class Photo:
    """A judged image ready to store."""

    media_type: str
    content: bytes
    photo_id: str = field(default_factory=lambda: f"pho-{uuid.uuid4().hex}")


def save_photos(
    tx: Transaction, order_id: str, item_id: str, customer_id: str, photos: list[Photo]
) -> None:
    """Store photos in the caller's transaction (with the inspection event)."""
    with tx.conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO inspection_photos (photo_id, order_id, item_id, customer_id, "
            "media_type, content, size) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    p.photo_id,
                    order_id,
                    item_id,
                    customer_id,
                    p.media_type,
                    p.content,
                    len(p.content),
                )
                for p in photos
            ],
        )


def load_photo(store: EventStore, order_id: str, photo_id: str) -> dict[str, Any] | None:
    """A stored photo of `order_id`, or None."""
    row: dict[str, Any] | None = store.transact(
        lambda tx: tx.conn.execute(
            "SELECT customer_id, media_type, content FROM inspection_photos "
            "WHERE order_id = %s AND photo_id = %s",
            (order_id, photo_id),
        ).fetchone()
    )
    return row
