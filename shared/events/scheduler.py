"""Deadlines stored as rows and fired idempotently by whichever worker locks them first.

`FOR UPDATE SKIP LOCKED` lets several workers fire deadlines without blocking each other or
firing one twice; the handler's effects and the `fired_at` mark commit together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from shared.events.clock import Clock
from shared.events.deadlines import Deadline
from shared.events.store import EventStore, Transaction
from shared.observability.context import correlated, new_correlation_id

log = logging.getLogger(__name__)

# Deadline is defined with the table (shared/events/deadlines.py); handlers take it from here.
__all__ = ["Deadline", "DeadlineHandler", "Scheduler", "cancel", "schedule"]

DeadlineHandler = Callable[[Transaction, Deadline, datetime], None]


def schedule(tx: Transaction, deadline: Deadline) -> None:
    """Store (or move) a deadline in the caller's transaction."""
    tx.deadlines.put(deadline)


def cancel(tx: Transaction, kind: str, key: str) -> None:
    """Forget a deadline that no longer applies, in the caller's transaction."""
    tx.deadlines.drop(kind, key)


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
            deadline = tx.deadlines.claim_due(now, list(self.handlers))
            if deadline is None:
                return False
            self.handlers[deadline.kind](tx, deadline, now)
            tx.deadlines.mark_fired(deadline, now)
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
