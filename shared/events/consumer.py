"""The integration event consumer of one service: its partition queues (single active
consumer each, own partitions first: shared/events/partitions.py), bounded prefetch, each
message handled in a database transaction together with its inbox row, and acknowledged
only after that transaction committed. One thread handles every partition, in delivery order,
so the messages of a partition are handled in queue order.

Under load the prefetch fills, and the messages that arrived together (one read of the
socket) are applied in one transaction and acknowledged with one multiple ack after its
commit: one commit (and one WAL flush) for up to `prefetch` messages instead of one each. A
lone message is applied on its own at once, so latency at low load is unchanged. When anything
in a batch goes wrong (a duplicate, a message that must wait, a conflict, a failing handler)
the batch's transaction is rolled back and its messages are applied one by one, each with the
outcomes below. We chose that over a savepoint per message: savepoints cost two round trips
per message on every batch, while the fall back costs only on the rare batch that needs it.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from shared.events.bus import TRANSIENT_PIKA_ERRORS, broker_errors, connection_parameters
from shared.events.contracts import ContractRegistry, decode_envelope
from shared.events.database import translated
from shared.events.errors import (
    BrokerUnavailableError,
    ContractError,
    DuplicateMessageError,
    NotYetApplicableError,
    OperationalError,
)
from shared.events.held import HeldMessages
from shared.events.incoming import Handler, IncomingEvent, Outcome
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

_RECORD_INBOXES = """
INSERT INTO inbox (consumer, message_id, received_at)
SELECT %s, m.message_id, now() + m.n * interval '1 microsecond'
FROM unnest(%s::uuid[]) WITH ORDINALITY AS m(message_id, n)
ORDER BY m.message_id
ON CONFLICT DO NOTHING
"""


@dataclass(frozen=True)
class Message:
    """A delivery waiting to be applied, as the broker handed it over."""

    delivery_tag: int
    routing_key: str
    body: bytes
    last_try: bool  # its last allowed delivery: a failure dead-letters it
    redelivered: bool = False


@dataclass
class _Decoded:
    """A message of a batch, decoded: what it is, its handler and its delivery's record."""

    message: Message
    event: IncomingEvent
    handler: Handler
    delivery: observed.Delivery


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
        self.held = HeldMessages(name, store, self._decode)
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
            arrived: list[Message] = []

            def on_message(
                ch: BlockingChannel,
                method: pika.spec.Basic.Deliver,
                properties: pika.BasicProperties,
                body: bytes,
            ) -> None:
                # Collected only: what one read of the socket brought is applied together
                # once `process_data_events` returns.
                headers = properties.headers or {}
                deliveries = int(headers.get("x-delivery-count", 0)) + 1
                arrived.append(
                    Message(
                        method.delivery_tag,
                        method.routing_key,
                        body,
                        last_try=deliveries >= self.topology.delivery_limit,
                        redelivered=bool(method.redelivered),
                    )
                )

            queues = self.topology.queues(self.name)
            subscriptions = PartitionSubscriptions(
                channel, queues, self.placement, on_message, label=self.name
            )
            last_held_retry = time.monotonic()
            while not stop.is_set():
                subscriptions.subscribe_due()
                connection.process_data_events(time_limit=0.2)
                # Stopping: leave them unacked; closing the connection returns them to their
                # queues, in order, for the next active consumer.
                if arrived and not stop.is_set():
                    self._settle(channel, arrived, self.handle_batch(arrived))
                arrived.clear()
                if time.monotonic() - last_held_retry > self.held_retry_interval:
                    self.release_held(None)
                    last_held_retry = time.monotonic()
        finally:
            self._channel = self._dead_letter_channel = None
            if connection.is_open:
                with contextlib.suppress(*TRANSIENT_PIKA_ERRORS):
                    connection.close()

    @staticmethod
    def _settle(channel: BlockingChannel, messages: list[Message], outcomes: list[Outcome]) -> None:
        """Acknowledge what the outcomes allow (their effects, hold or dead letter are durable
        now), requeue the rest."""
        if Outcome.REQUEUED not in outcomes:
            # Everything this channel delivered up to the last is settled: one frame.
            channel.basic_ack(messages[-1].delivery_tag, multiple=len(messages) > 1)
            return
        for message, outcome in zip(messages, outcomes, strict=True):
            if outcome is Outcome.REQUEUED:
                channel.basic_nack(message.delivery_tag, requeue=True)
            else:
                channel.basic_ack(message.delivery_tag)

    # --- a batch ---------------------------------------------------------------------------
    def handle_batch(self, messages: list[Message]) -> list[Outcome]:
        """Apply `messages` (in order), together where they can be; their outcomes in order
        (the caller acks each unless REQUEUED)."""
        if len(messages) == 1:
            only = messages[0]
            return [self.handle(only.body, only.routing_key, last_try=only.last_try)]
        decoded: list[_Decoded] = []
        alone: list[Message] = []
        for message in messages:
            try:
                event, handler = self._decode(message.body)
            except ContractError:
                alone.append(message)  # poison: dead-lettered by the one-by-one path
                continue
            delivery = observed.Delivery.of(self.name, message.routing_key)
            decoded.append(_Decoded(message, event, handler, delivery))
        outcomes: dict[int, Outcome] = {}
        if len(decoded) > 1 and self._apply_together(decoded):
            outcomes = {item.message.delivery_tag: Outcome.APPLIED for item in decoded}
        else:
            alone = messages  # the batch's transaction rolled back: each on its own
        for message in alone:
            outcomes[message.delivery_tag] = self.handle(
                message.body, message.routing_key, last_try=message.last_try
            )
        return [outcomes[message.delivery_tag] for message in messages]

    def _apply_together(self, batch: list[_Decoded]) -> bool:
        """Apply every message of `batch` in one transaction; False (and nothing applied) if
        any of them cannot be applied as simply as that."""

        def work(tx: Transaction) -> None:
            # Every inbox row in one statement, first, in id order: a concurrent duplicate
            # blocks on its row, then shows as a missing one here; two batches sharing ids lock
            # them in the same order and cannot deadlock. The rows of one transaction would all
            # be received at its start: a microsecond apart in delivery order, `received_at`
            # still orders what the batch applied as it was applied.
            ids = [item.event.envelope.event_id for item in batch]
            with translated():
                recorded = tx.conn.execute(_RECORD_INBOXES, (self.name, ids), prepare=True)
            if recorded.rowcount != len(ids):
                raise DuplicateMessageError(f"{self.name} handled part of a batch before")
            for item in batch:
                with observed.handling(item.delivery):
                    observed.consuming(item.event.envelope)
                    item.handler(tx, item.event)

        try:
            self.store.transact(work)
        except Exception as exc:
            log.info("consumer %s applies a batch of %d one by one: %r", self.name, len(batch), exc)
            return False
        held_keys = self.held.known_keys()
        for item in batch:
            item.delivery.outcome = Outcome.APPLIED
            with observed.handling(item.delivery):
                observed.consuming(item.event.envelope)
                observed.finished(item.delivery)
        self.stats.applied += len(batch)
        for key in {item.event.envelope.ordering_key for item in batch} & held_keys:
            self.release_held(key)
        return True

    # --- one message -----------------------------------------------------------------------
    def handle(self, body: bytes, routing_key: str, *, last_try: bool = False) -> Outcome:
        """Decode, validate and apply one message; the caller acks unless REQUEUED."""
        with observed.delivery(self.name, routing_key) as delivery:
            outcome = delivery.outcome = self._handle(body, routing_key, last_try=last_try)
        return outcome

    def _decode(self, body: bytes) -> tuple[IncomingEvent, Handler]:
        """The event a message carries, validated, and its handler (ContractError if none)."""
        envelope = decode_envelope(body)
        data = self.contracts.load(
            envelope.type, envelope.schema_version, envelope.data, producer=envelope.producer
        )
        handler = self.handlers.get(envelope.type)
        if handler is None:
            raise ContractError(f"{self.name} has no handler for {envelope.type}")
        return IncomingEvent(envelope, data), handler

    def _handle(self, body: bytes, routing_key: str, *, last_try: bool) -> Outcome:
        try:
            event, handler = self._decode(body)
        except ContractError as exc:
            return self._dead_letter(body, routing_key, f"{type(exc).__name__}: {exc}")
        observed.consuming(event.envelope)
        try:
            outcome = self._apply(event, handler)
        except NotYetApplicableError as exc:
            self.held.hold(event, body, routing_key, str(exc))
            self.stats.held += 1
            return Outcome.HELD
        except Exception as exc:
            log.exception(
                "consumer %s failed on %s %s", self.name, event.type, event.envelope.event_id
            )
            observed.failed(self.name, event.type)
            if last_try:
                return self._dead_letter(body, routing_key, f"{type(exc).__name__}: {exc}")
            self.stats.requeued += 1
            return Outcome.REQUEUED
        if outcome is Outcome.APPLIED and event.envelope.ordering_key in self.held.known_keys():
            self.release_held(event.envelope.ordering_key)
        return outcome

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

    def release_held(self, ordering_key: str | None) -> int:
        """Apply held messages (of one ordering key, or all) that have become applicable."""
        released = self.held.release(ordering_key)
        self.stats.released += released
        return released

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
