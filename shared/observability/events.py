"""What the event-sourcing kit reports as it works: events appended, published and consumed,
each as a metric and as a log line carrying the event's correlation id and order.

The kit calls these hooks at the points where the work is done for good (after the commit,
after the broker's confirm, after the delivery's outcome), so counts are never of work a
rollback undid."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from shared.observability import metrics
from shared.observability.context import PROCESS, bind, correlated

if TYPE_CHECKING:
    from shared.events.contracts import Envelope
    from shared.events.store import RecordedEvent

log = logging.getLogger("cnnect.events")


def _service(default: str = "") -> str:
    return PROCESS.service or default or "unknown"


def order_id_of(data: Mapping[str, Any]) -> str | None:
    """The order an event payload is about, if it names one."""
    value = data.get("order_id")
    return str(value) if value else None


def _fields(event: RecordedEvent, correlation_id: str | None) -> dict[str, Any]:
    """The log fields of a line about one stored event."""
    return {
        "event_type": event.type,
        "event_id": str(event.event_id),
        "correlation_id": correlation_id,
        "order_id": order_id_of(event.data),
    }


def appended(events: Iterable[RecordedEvent]) -> None:
    """Events a transaction committed: counted by type, one log line each."""
    service = _service()
    for event in events:
        metrics.EVENTS_APPENDED.labels(service, event.type).inc()
        log.info(
            "appended %s to %s at version %d",
            event.type,
            event.stream_id,
            event.version,
            extra=_fields(event, event.metadata.get("correlation_id")),
        )


def published(producer: str, events: Iterable[RecordedEvent]) -> None:
    """Events the broker confirmed: counted by type, one log line each."""
    for event in events:
        metrics.EVENTS_PUBLISHED.labels(producer, event.type).inc()
        log.info(
            "published %s %s",
            event.type,
            event.event_id,
            # Published, the event travels with its own id when it had no correlation id.
            extra=_fields(event, event.metadata.get("correlation_id") or str(event.event_id)),
        )


@dataclass
class Delivery:
    """One message being handled by a consumer: what it is and what became of it."""

    consumer: str
    type: str
    event_id: str = ""
    outcome: Enum | None = None
    started: float = field(default_factory=time.perf_counter)

    @classmethod
    def of(cls, consumer: str, routing_key: str) -> Delivery:
        """A delivery of `consumer`, typed by its routing key until its envelope is read."""
        return cls(consumer, routing_key.rpartition(".")[2] or routing_key)


_delivery: ContextVar[Delivery | None] = ContextVar("cnnect_delivery", default=None)


@contextlib.contextmanager
def delivery(consumer: str, routing_key: str) -> Iterator[Delivery]:
    """The scope of one delivery: set its `outcome`; counted, timed and logged at the end."""
    current = Delivery.of(consumer, routing_key)
    with handling(current):
        yield current
        finished(current)


@contextlib.contextmanager
def handling(current: Delivery) -> Iterator[None]:
    """Work on `current` (a delivery of a batch, finished only once the batch committed):
    log lines and appended events carry its correlation id."""
    token = _delivery.set(current)
    try:
        with correlated(None):
            yield
    finally:
        _delivery.reset(token)


def finished(current: Delivery) -> None:
    """A delivery's outcome is settled: counted, timed and logged."""
    outcome = str(current.outcome.value) if current.outcome is not None else "unknown"
    seconds = time.perf_counter() - current.started
    metrics.EVENTS_CONSUMED.labels(current.consumer, current.type, outcome).inc()
    metrics.EVENT_HANDLING_SECONDS.labels(current.consumer, current.type).observe(seconds)
    if outcome == "dead_lettered":
        metrics.EVENTS_DEAD_LETTERED.labels(current.consumer, current.type).inc()
    log.info(
        "consumer %s %s %s %s",
        current.consumer,
        outcome,
        current.type,
        current.event_id or "(undecodable)",
        extra={
            "event_type": current.type,
            "event_id": current.event_id or None,
            "outcome": outcome,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


def consuming(envelope: Envelope) -> None:
    """The delivery being handled is `envelope`: from now on, log lines and the events its
    handler appends carry its correlation id (and order)."""
    bind(str(envelope.correlation_id), order_id_of(envelope.data))
    current = _delivery.get()
    if current is not None:
        current.type, current.event_id = envelope.type, str(envelope.event_id)


@contextlib.contextmanager
def releasing(envelope: Envelope) -> Iterator[None]:
    """The scope of applying a held message: correlated as the message is."""
    with correlated(str(envelope.correlation_id), order_id_of(envelope.data)):
        yield


def failed(consumer: str, event_type: str) -> None:
    """A handler raised on a delivery."""
    metrics.EVENTS_FAILED.labels(consumer, event_type).inc()


def released(consumer: str, count: int) -> None:
    """Held messages applied at last."""
    if count:
        metrics.EVENTS_RELEASED.labels(consumer).inc(count)
