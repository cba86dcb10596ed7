"""The integration event consumer of one service: its partition queues (single active
consumer each, own partitions first: shared/events/partitions.py), bounded prefetch, each
message handled in one database transaction together with its inbox row, and acknowledged
only after that transaction committed. One thread handles every partition, one message at a
time, so the messages of a partition are handled in queue order.

Outcomes of a delivery:
- applied: committed, then acked;
- duplicate (already in the inbox): acked, nothing applied;
- not yet applicable (it depends on an event that has not arrived): parked in
  `held_messages`, then acked; retried whenever an event with the same ordering key is applied;
- poison (undecodable, unknown type, future schema, invalid payload): published to the
  dead-letter queue with the reason, then acked;
- failing handler: requeued; on its last allowed delivery, dead-lettered with the reason."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from shared.events.bus import TRANSIENT_PIKA_ERRORS, broker_errors, connection_parameters
from shared.events.contracts import ContractRegistry, Envelope, decode_envelope
from shared.events.errors import (
    BrokerUnavailableError,
    ContractError,
    DuplicateMessageError,
    NotYetApplicableError,
    OperationalError,
)
from shared.events.partitions import Placement
from shared.events.repository import decide_again
from shared.events.store import EventStore, Transaction
from shared.events.subscriptions import PartitionSubscriptions
from shared.events.topology import DEFAULT_PREFETCH, Topology, persistent_properties
from shared.observability import events as observed

log = logging.getLogger(__name__)

# Errors after which the consumer reconnects (the broker or the database went away).
RECONNECT_ERRORS: tuple[type[Exception], ...] = (
    BrokerUnavailableError,
    OperationalError,
    *TRANSIENT_PIKA_ERRORS,
)


@dataclass(frozen=True)
class IncomingEvent:
    """A consumed integration event: its envelope and its validated payload."""

    envelope: Envelope
    data: dict[str, Any]

    @property
    def type(self) -> str:
        """The event type, e.g. `OrderPlaced`."""
        return self.envelope.type

    def metadata(self, **extra: Any) -> dict[str, Any]:
        """Metadata for events caused by this one (same correlation, this as the cause)."""
        return {
            "correlation_id": str(self.envelope.correlation_id),
            "causation_id": str(self.envelope.event_id),
            "ordering_key": self.envelope.ordering_key,
            **extra,
        }


Handler = Callable[[Transaction, IncomingEvent], None]


class Outcome(Enum):
    """What became of one delivery."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    HELD = "held"
    DEAD_LETTERED = "dead_lettered"
    REQUEUED = "requeued"


@dataclass
class ConsumerStats:
    """Counts of outcomes since start."""

    applied: int = 0
    duplicate: int = 0
    held: int = 0
    released: int = 0
    dead_lettered: int = 0
    requeued: int = 0


class EventConsumer:
    """Consumes a service's queue and applies each event through its handler."""

    def __init__(
        self,
        *,
        name: str,
        store: EventStore,
        amqp_url: str,
        topology: Topology,
        contracts: ContractRegistry,
        handlers: Mapping[str, Handler],
        routing_keys: Iterable[str],
        prefetch: int = DEFAULT_PREFETCH,
        held_retry_interval: float = 5.0,
        placement: Placement | None = None,
    ) -> None:
        self.name = name
        self.store = store
        self.amqp_url = amqp_url
        self.topology = topology
        self.contracts = contracts
        self.handlers = dict(handlers)
        self.routing_keys = tuple(routing_keys)
        self.prefetch = prefetch
        self.held_retry_interval = held_retry_interval
        self.placement = placement or Placement()
        self.stats = ConsumerStats()
        # Ordering keys with held messages, so that applying a message only looks for held
        # ones when there may be some (None: not loaded yet; the periodic sweep covers holds
        # made by other processes of this consumer).
        self._held_keys: set[str] | None = None
        self._channel: BlockingChannel | None = None
        self._dead_letter_channel: BlockingChannel | None = None

    # --- the loop -------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, reconnecting with capped backoff."""
        backoff = 0.2
        while not stop.is_set():
            try:
                self._consume(stop)
                backoff = 0.2
            except RECONNECT_ERRORS as exc:
                log.warning("consumer %s: %r; reconnecting in %.1fs", self.name, exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                # A channel the broker closed, a refused dead-letter publish, a bug: never let
                # the consumer thread die silently. Unacked messages are redelivered anyway.
                log.exception("consumer %s failed; reconnecting in %.1fs", self.name, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _consume(self, stop: threading.Event) -> None:
        with broker_errors():
            connection = pika.BlockingConnection(connection_parameters(self.amqp_url))
        try:
            channel = connection.channel()
            self.topology.declare_exchanges(channel)
            self.topology.declare_consumer(channel, self.name, self.routing_keys)
            channel.basic_qos(prefetch_count=self.prefetch)
            dead_letters = connection.channel()
            dead_letters.confirm_delivery()
            self._channel, self._dead_letter_channel = channel, dead_letters

            def on_message(
                ch: BlockingChannel,
                method: pika.spec.Basic.Deliver,
                properties: pika.BasicProperties,
                body: bytes,
            ) -> None:
                # Stopping: leave the rest unacked; closing the connection returns them to
                # their queues, in order, for the next active consumer.
                if not stop.is_set():
                    self._deliver(ch, method, properties, body)

            queues = self.topology.queues(self.name)
            subscriptions = PartitionSubscriptions(
                channel, queues, self.placement, on_message, label=self.name
            )
            last_held_retry = time.monotonic()
            while not stop.is_set():
                subscriptions.subscribe_due()
                connection.process_data_events(time_limit=0.2)
                if time.monotonic() - last_held_retry > self.held_retry_interval:
                    self.release_held(None)
                    last_held_retry = time.monotonic()
        finally:
            self._channel = self._dead_letter_channel = None
            if connection.is_open:
                with contextlib.suppress(*TRANSIENT_PIKA_ERRORS):
                    connection.close()

    def _deliver(
        self,
        channel: BlockingChannel,
        method: pika.spec.Basic.Deliver,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        headers = properties.headers or {}
        deliveries = int(headers.get("x-delivery-count", 0)) + 1
        outcome = self.handle(
            body, method.routing_key, last_try=deliveries >= self.topology.delivery_limit
        )
        if outcome is Outcome.REQUEUED:
            channel.basic_nack(method.delivery_tag, requeue=True)
        else:
            # Acknowledged only now: the effects (or the hold, or the dead letter) are durable.
            channel.basic_ack(method.delivery_tag)

    # --- one message -----------------------------------------------------------------------
    def handle(self, body: bytes, routing_key: str, *, last_try: bool = False) -> Outcome:
        """Decode, validate and apply one message; the caller acks unless REQUEUED."""
        with observed.delivery(self.name, routing_key) as delivery:
            outcome = delivery.outcome = self._handle(body, routing_key, last_try=last_try)
        return outcome

    def _handle(self, body: bytes, routing_key: str, *, last_try: bool) -> Outcome:
        try:
            envelope = decode_envelope(body)
            observed.consuming(envelope)
            data = self.contracts.load(envelope.type, envelope.schema_version, envelope.data)
            handler = self.handlers.get(envelope.type)
            if handler is None:
                raise ContractError(f"{self.name} has no handler for {envelope.type}")
        except ContractError as exc:
            return self._dead_letter(body, routing_key, f"{type(exc).__name__}: {exc}")
        event = IncomingEvent(envelope, data)
        try:
            outcome = self._apply(event, handler)
        except NotYetApplicableError as exc:
            self._hold(event, body, routing_key, str(exc))
            return Outcome.HELD
        except Exception as exc:
            log.exception("consumer %s failed on %s %s", self.name, event.type, envelope.event_id)
            observed.failed(self.name, event.type)
            if last_try:
                return self._dead_letter(body, routing_key, f"{type(exc).__name__}: {exc}")
            self.stats.requeued += 1
            return Outcome.REQUEUED
        if outcome is Outcome.APPLIED and envelope.ordering_key in self._known_held_keys():
            self.release_held(envelope.ordering_key)
        return outcome

    def _known_held_keys(self) -> set[str]:
        if self._held_keys is None:
            rows = self.store.transact(
                lambda tx: tx.conn.execute(
                    "SELECT DISTINCT ordering_key FROM held_messages WHERE consumer = %s",
                    (self.name,),
                ).fetchall()
            )
            self._held_keys = {r["ordering_key"] for r in rows}
        return self._held_keys

    def _apply(self, event: IncomingEvent, handler: Handler) -> Outcome:
        def work(tx: Transaction) -> None:
            # The inbox row first: a concurrent duplicate blocks on it, then fails cleanly.
            tx.record_inbox(self.name, event.envelope.event_id)
            handler(tx, event)

        try:
            # A command changing the same stream meanwhile: decide again on fresh state now,
            # rather than spend one of the message's limited deliveries.
            decide_again(self.store, work)
        except DuplicateMessageError:
            self.stats.duplicate += 1
            log.info(
                "consumer %s absorbed a duplicate of %s %s",
                self.name,
                event.type,
                event.envelope.event_id,
            )
            return Outcome.DUPLICATE
        self.stats.applied += 1
        return Outcome.APPLIED

    def _hold(self, event: IncomingEvent, body: bytes, routing_key: str, reason: str) -> None:
        self.store.transact(
            lambda tx: tx.conn.execute(
                "INSERT INTO held_messages (consumer, message_id, ordering_key, routing_key, "
                "body, reason) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    self.name,
                    event.envelope.event_id,
                    event.envelope.ordering_key,
                    routing_key,
                    body,
                    reason,
                ),
            )
        )
        self.stats.held += 1
        self._known_held_keys().add(event.envelope.ordering_key)
        log.info(
            "consumer %s holds %s %s: %s", self.name, event.type, event.envelope.event_id, reason
        )

    def release_held(self, ordering_key: str | None) -> int:
        """Apply held messages (of one ordering key, or all) that have become applicable."""
        released = 0
        progress = True
        while progress:
            progress = False
            for row in self._held(ordering_key):
                if self._release(row):
                    released += 1
                    progress = True
        self.stats.released += released
        observed.released(self.name, released)
        self._held_keys = None  # reloaded on next use: what is still held
        return released

    def _held(self, ordering_key: str | None) -> list[dict[str, Any]]:
        query = (
            "SELECT message_id, body, routing_key FROM held_messages WHERE consumer = %s"
            + (" AND ordering_key = %s" if ordering_key else "")
            + " ORDER BY held_at"
        )
        params: tuple[Any, ...] = (self.name, ordering_key) if ordering_key else (self.name,)
        return self.store.transact(lambda tx: tx.conn.execute(query, params).fetchall())

    def _release(self, row: dict[str, Any]) -> bool:
        envelope = decode_envelope(bytes(row["body"]))
        event = IncomingEvent(
            envelope, self.contracts.load(envelope.type, envelope.schema_version, envelope.data)
        )
        handler = self.handlers[envelope.type]

        def work(tx: Transaction) -> bool:
            deleted = tx.conn.execute(
                "DELETE FROM held_messages WHERE consumer = %s AND message_id = %s RETURNING 1",
                (self.name, envelope.event_id),
            ).fetchone()
            if deleted is None:
                return False  # another worker released it
            try:
                tx.record_inbox(self.name, envelope.event_id)
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

    def _dead_letter(self, body: bytes, routing_key: str, reason: str) -> Outcome:
        """Publish the message to this consumer's dead-letter queue with the reason."""
        channel = self._dead_letter_channel
        if channel is None:
            raise BrokerUnavailableError("no dead-letter channel")
        with broker_errors():
            channel.basic_publish(
                self.topology.dead_letter_exchange,
                self.topology.dead_letter_routing_key(self.name),
                body,
                properties=persistent_properties(
                    headers={
                        "x-cnnect-reason": reason[:1000],
                        "x-cnnect-routing-key": routing_key,
                        "x-cnnect-consumer": self.name,
                    }
                ),
                mandatory=True,
            )
        self.stats.dead_lettered += 1
        log.error("consumer %s dead-lettered a %s message: %s", self.name, routing_key, reason)
        return Outcome.DEAD_LETTERED
