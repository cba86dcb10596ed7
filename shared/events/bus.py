"""Connecting to RabbitMQ, with pika's errors translated to ours."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pika
import pika.exceptions

from shared.config import broker_urls
from shared.events.errors import BrokerError, BrokerUnavailableError

# pika errors that mean "the broker is away or the connection broke": retryable.
TRANSIENT_PIKA_ERRORS: tuple[type[Exception], ...] = (
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.ConnectionClosed,
    pika.exceptions.StreamLostError,
    pika.exceptions.ChannelWrongStateError,
    pika.exceptions.ConnectionWrongStateError,
    ConnectionError,
    OSError,
)


def connection_parameters(amqp_url: str) -> list[pika.URLParameters]:
    """Parameters of each broker node `amqp_url` names (shared/config.py `broker_urls`), in
    order: pika connects to the first that answers. A heartbeat and short timeouts, so a dead
    or silent node is noticed fast and the next one tried."""
    nodes = []
    for url in broker_urls(amqp_url):
        params = pika.URLParameters(url)
        params.heartbeat = 20
        params.blocked_connection_timeout = 30
        params.socket_timeout = 5
        # The whole opening handshake: a node that accepts TCP but never answers (paused, or
        # cut off by a partition) costs this long before the next node is tried.
        params.stack_timeout = 10
        params.connection_attempts = 1
        nodes.append(params)
    return nodes


@contextlib.contextmanager
def broker_errors() -> Iterator[None]:
    """Translate pika's exceptions to our own, once."""
    try:
        yield
    except TRANSIENT_PIKA_ERRORS as exc:
        raise BrokerUnavailableError(f"broker unreachable: {exc!r}") from exc
    except pika.exceptions.AMQPError as exc:
        raise BrokerError(f"broker refused: {exc!r}") from exc


@contextlib.contextmanager
def blocking_connection(amqp_url: str) -> Iterator[pika.BlockingConnection]:
    """A pika connection to the first live broker node, closed when the block ends."""
    with broker_errors():
        connection = pika.BlockingConnection(connection_parameters(amqp_url))
        try:
            yield connection
        finally:
            if connection.is_open:
                with contextlib.suppress(*TRANSIENT_PIKA_ERRORS):
                    connection.close()
