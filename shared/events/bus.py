"""Connecting to RabbitMQ, with pika's errors translated to ours."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pika
import pika.exceptions

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


def connection_parameters(amqp_url: str) -> pika.URLParameters:
    """Parameters with a heartbeat and short timeouts, so a dead broker is noticed fast."""
    params = pika.URLParameters(amqp_url)
    params.heartbeat = 20
    params.blocked_connection_timeout = 30
    params.socket_timeout = 5
    params.connection_attempts = 1
    return params


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
    """A pika connection closed when the block ends."""
    with broker_errors():
        connection = pika.BlockingConnection(connection_parameters(amqp_url))
        try:
            yield connection
        finally:
            if connection.is_open:
                with contextlib.suppress(*TRANSIENT_PIKA_ERRORS):
                    connection.close()
