"""Held messages: deliveries a consumer could not apply yet because they depend on an event
that has not arrived (a payment for a billing not yet issued). They are parked in
`held_messages`, acknowledged, and applied once an event with the same ordering key is
applied (or by the consumer's periodic sweep, which also covers holds of its other workers)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from shared.events.errors import DuplicateMessageError, NotYetApplicableError
from shared.events.incoming import Handler, IncomingEvent
from shared.events.store import EventStore, Transaction
from shared.observability import events as observed

log = logging.getLogger(__name__)

Decoder = Callable[[bytes], tuple[IncomingEvent, Handler]]


class HeldMessages:
    """The held messages of one consumer."""

    def __init__(self, consumer: str, store: EventStore, decode: Decoder) -> None:
        self.consumer = consumer
        self.store = store
        self._decode = decode
        # Ordering keys with held messages, so that applying a message only looks for held
        # ones when there may be some (None: not loaded yet; the periodic sweep covers holds
        # made by other processes of this consumer).
        self._keys: set[str] | None = None

    def known_keys(self) -> set[str]:
        """The ordering keys this process knows to have held messages."""
        if self._keys is None:
            rows = self.store.transact(
                lambda tx: tx.conn.execute(
                    "SELECT DISTINCT ordering_key FROM held_messages WHERE consumer = %s",
                    (self.consumer,),
                ).fetchall()
            )
            self._keys = {r["ordering_key"] for r in rows}
        return self._keys

    def hold(self, event: IncomingEvent, body: bytes, routing_key: str, reason: str) -> None:
        """Park `event` (its delivery is then acknowledged)."""
        envelope = event.envelope
        self.store.transact(
            lambda tx: tx.conn.execute(
                "INSERT INTO held_messages (consumer, message_id, ordering_key, routing_key, "
                "body, reason) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    self.consumer,
                    envelope.event_id,
                    envelope.ordering_key,
                    routing_key,
                    body,
                    reason,
                ),
            )
        )
        self.known_keys().add(envelope.ordering_key)
        log.info(
            "consumer %s holds %s %s: %s", self.consumer, event.type, envelope.event_id, reason
        )

    def release(self, ordering_key: str | None) -> int:
        """Apply held messages (of one ordering key, or all) that have become applicable; how
        many were."""
        released = 0
        progress = True
        while progress:
            progress = False
            for row in self._rows(ordering_key):
                if self._release(row):
                    released += 1
                    progress = True
        observed.released(self.consumer, released)
        self._keys = None  # reloaded on next use: what is still held
        return released

    def _rows(self, ordering_key: str | None) -> list[dict[str, Any]]:
        query = (
            "SELECT message_id, body, routing_key FROM held_messages WHERE consumer = %s"
            + (" AND ordering_key = %s" if ordering_key else "")
            + " ORDER BY held_at"
        )
        params: tuple[Any, ...] = (
            (self.consumer, ordering_key) if ordering_key else (self.consumer,)
        )
        return self.store.transact(lambda tx: tx.conn.execute(query, params).fetchall())

    def _release(self, row: dict[str, Any]) -> bool:
        event, handler = self._decode(bytes(row["body"]))
        envelope = event.envelope

        def work(tx: Transaction) -> bool:
            deleted = tx.conn.execute(
                "DELETE FROM held_messages WHERE consumer = %s AND message_id = %s RETURNING 1",
                (self.consumer, envelope.event_id),
            ).fetchone()
            if deleted is None:
                return False  # another worker released it
            try:
                tx.record_inbox(self.consumer, envelope.event_id)
                tx.flush()  # know now: a duplicate must still drop its hold
            except DuplicateMessageError:
                return True  # applied through a redelivery meanwhile: just drop the hold
            handler(tx, event)
            return True

        try:
            with observed.releasing(envelope):
                return self.store.transact(work)
        except NotYetApplicableError:
            return False
