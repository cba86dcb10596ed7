"""What a worker measures every few seconds: each projection's lag, and the depth of its
service's queues as the broker answers a passive declare."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence

import pika
from pika.adapters.blocking_connection import BlockingChannel

from shared.events.bus import TRANSIENT_PIKA_ERRORS, connection_parameters
from shared.observability import metrics

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 5.0


class Sampler:
    """Samples projection lags and queue depths into gauges until stopped."""

    def __init__(
        self,
        service: str,
        lags: Mapping[str, Callable[[], int]],
        amqp_url: str,
        queues: Sequence[str],
        interval: float = DEFAULT_INTERVAL_S,
    ) -> None:
        self.service = service
        self.lags = dict(lags)
        self.amqp_url = amqp_url
        self.queues = tuple(queues)
        self.interval = interval
        self._connection: pika.BlockingConnection | None = None
        self._channel_open: BlockingChannel | None = None

    def sample_lags(self) -> None:
        """Set each projection's lag gauge (a projection that fails to answer keeps its last)."""
        for name, lag in self.lags.items():
            try:
                metrics.PROJECTION_LAG.labels(self.service, name).set(lag())
            except Exception as exc:
                log.warning("projection %s lag not sampled: %r", name, exc)

    def sample_queues(self) -> None:
        """Set each queue's depth and consumer count from a passive declare."""
        try:
            channel = self._channel()
            for queue in self.queues:
                declared = channel.queue_declare(queue, passive=True).method
                metrics.QUEUE_MESSAGES.labels(self.service, queue).set(declared.message_count)
                metrics.QUEUE_CONSUMERS.labels(self.service, queue).set(declared.consumer_count)
        except Exception as exc:
            # A missing queue closes the channel, a lost broker the connection: start afresh.
            log.warning("queue depths not sampled: %r", exc)
            self.close()

    def _channel(self) -> BlockingChannel:
        if self._connection is None or not self._connection.is_open:
            self._connection = pika.BlockingConnection(connection_parameters(self.amqp_url))
            self._channel_open = None
        if self._channel_open is None or not self._channel_open.is_open:
            self._channel_open = self._connection.channel()
        return self._channel_open

    def close(self) -> None:
        """Close the broker connection."""
        connection, self._connection, self._channel_open = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(*TRANSIENT_PIKA_ERRORS, pika.exceptions.AMQPError):
                connection.close()

    def run(self, stop: threading.Event) -> None:
        """Sample now, then every `interval` seconds until `stop` is set."""
        try:
            while not stop.is_set():
                self.sample_lags()
                self.sample_queues()
                stop.wait(self.interval)
        finally:
            self.close()
