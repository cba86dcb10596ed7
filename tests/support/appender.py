"""Placing orders from a background thread while a test injects faults elsewhere."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from shared.events.store import EventStore
from tests.support.ledger import append_order


class OrderAppender(threading.Thread):
    """Appends one OrderPlaced event per order (each its own stream), in order, pacing itself
    with random pauses. It never goes past `allowed` events until `allow` raises that bound,
    which lets a test make the appends span its faults. An append error ends the thread and
    is kept in `error` for the test to assert on."""

    def __init__(
        self,
        store: EventStore,
        order_ids: list[str],
        rng: random.Random,
        *,
        allowed: int | None = None,
        pause_probability: float = 0.1,
        max_pause: float = 0.03,
    ) -> None:
        super().__init__(name="order-appender", daemon=True)
        self.store = store
        self.order_ids = order_ids
        self.rng = rng
        self.allowed = len(order_ids) if allowed is None else allowed
        self.pause_probability = pause_probability
        self.max_pause = max_pause
        self.appended = 0
        self.error: BaseException | None = None
        self._gate = threading.Condition()

    def allow(self, upto: int) -> None:
        """Let the appender go on up to `upto` events in all."""
        with self._gate:
            self.allowed = max(self.allowed, upto)
            self._gate.notify_all()

    def _may_append(self, index: int) -> Callable[[], bool]:
        return lambda: index < self.allowed

    def run(self) -> None:
        try:
            for index, order_id in enumerate(self.order_ids):
                with self._gate:
                    if not self._gate.wait_for(self._may_append(index), timeout=180):
                        raise TimeoutError(f"appender held at {index} events for 180s")
                append_order(self.store, order_id)
                self.appended = index + 1
                if self.rng.random() < self.pause_probability:
                    time.sleep(self.rng.uniform(0.0, self.max_pause))
        except BaseException as exc:
            self.error = exc
