"""A worker's subscriptions to its service's partition queues, in the order that spreads the
active consumers (see `Placement`): its own partitions at once, the others after a delay."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import pika
from pika.adapters.blocking_connection import BlockingChannel

from shared.events.partitions import Placement

log = logging.getLogger(__name__)

OnMessage = Callable[[BlockingChannel, pika.spec.Basic.Deliver, pika.BasicProperties, bytes], None]


class PartitionSubscriptions:
    """Subscribes one channel to a service's partition queues, own partitions first."""

    def __init__(
        self,
        channel: BlockingChannel,
        queues: Sequence[str],
        placement: Placement,
        on_message: OnMessage,
        *,
        label: str = "",
    ) -> None:
        self.channel = channel
        self.queues = list(queues)
        self.placement = placement
        self.on_message = on_message
        self.label = label
        self.first, self.later = placement.first_and_later(len(self.queues))
        self._later_at = time.monotonic() + placement.standby_delay_s
        self._subscribed: set[int] = set()
        self._started = False

    @property
    def subscribed(self) -> frozenset[int]:
        """The partitions subscribed to so far."""
        return frozenset(self._subscribed)

    def subscribe_due(self) -> None:
        """Subscribe to the partitions whose turn has come (own ones at once)."""
        if not self._started:
            self._started = True
            self._subscribe(self.first)
            if self.later:
                log.info(
                    "consumer %s (worker %d of %d): consuming partitions %s first, "
                    "standing by on %s in %.0fs",
                    self.label,
                    self.placement.index,
                    self.placement.workers,
                    self.first,
                    self.later,
                    self.placement.standby_delay_s,
                )
            else:
                log.info("consumer %s: consuming partitions %s", self.label, self.first)
        if self.later and time.monotonic() >= self._later_at:
            self._subscribe(self.later)
            log.info("consumer %s: standing by on partitions %s", self.label, self.later)
            self.later = []

    def _subscribe(self, partitions: Sequence[int]) -> None:
        for partition in partitions:
            # Each queue is single-active-consumer: the broker delivers to the first
            # subscriber only, and to the next one when that one's channel closes.
            self.channel.basic_consume(self.queues[partition], self.on_message)
            self._subscribed.add(partition)
