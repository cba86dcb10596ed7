"""Deadlines stored as rows and fired idempotently by whichever worker locks them first.

`FOR UPDATE SKIP LOCKED` lets several workers fire deadlines without blocking each other or
firing one twice; the handler's effects and the `fired_at` mark commit together."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.events.clock import Clock
from shared.events.store import EventStore, Transaction
from shared.observability.context import correlated, new_correlation_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deadline:
    """Something to do at `due_at`, identified by (kind, key)."""

    kind: str
    key: str
    due_at: datetime
    payload: Mapping[str, Any]


DeadlineHandler = Callable[[Transaction, Deadline, datetime], None]


def schedule(tx: Transaction, deadline: Deadline) -> None:
    """Store (or move) a deadline in the caller's transaction."""
    tx.conn.execute(
        "INSERT INTO deadlines (kind, key, due_at, payload) VALUES (%s, %s, %s, %s::jsonb) "
        "ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, "
        "payload = excluded.payload, fired_at = NULL",
        (deadline.kind, deadline.key, deadline.due_at, json.dumps(dict(deadline.payload))),
    )


def cancel(tx: Transaction, kind: str, key: str) -> None:
    """Forget a deadline that no longer applies, in the caller's transaction."""
    tx.conn.execute(
        "DELETE FROM deadlines WHERE kind = %s AND key = %s AND fired_at IS NULL", (kind, key)
    )


class Scheduler:
    """Fires due deadlines through their handlers."""

    def __init__(
        self, store: EventStore, clock: Clock, handlers: Mapping[str, DeadlineHandler]
    ) -> None:
        self.store = store
        self.clock = clock
        self.handlers = dict(handlers)

    def fire_due(self, limit: int = 100) -> int:
        """Fire every deadline due by the clock's now (at most `limit`); returns how many."""
        fired = 0
        while fired < limit and self._fire_one():
            fired += 1
        return fired

    def _fire_one(self) -> bool:
        now = self.clock.now()

        def work(tx: Transaction) -> bool:
            row = tx.conn.execute(
                "SELECT kind, key, due_at, payload FROM deadlines "
                "WHERE fired_at IS NULL AND due_at <= %s AND kind = ANY(%s) "
                "ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                (now, list(self.handlers)),
            ).fetchone()
            if row is None:
                return False
            deadline = Deadline(row["kind"], row["key"], row["due_at"], row["payload"])
            self.handlers[deadline.kind](tx, deadline, now)
            tx.conn.execute(
                "UPDATE deadlines SET fired_at = %s WHERE kind = %s AND key = %s",
                (now, deadline.kind, deadline.key),
            )
            log.info("fired deadline %s %s (due %s)", deadline.kind, deadline.key, deadline.due_at)
            return True

        # A deadline starts a story of its own: the events it causes share one new id.
        with correlated(new_correlation_id()):
            return self.store.transact(work)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Fire due deadlines every `interval` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                self.fire_due()
            except Exception:
                log.exception("scheduler failed; retrying")
            stop.wait(interval)
