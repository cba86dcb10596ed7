"""Every RabbitMQ declaration of the system, in one place.

One durable topic exchange carries integration events with routing key
`<producer>.<EventName>.<partition>`, the partition computed from the event's ordering key
(shared/events/partitions.py). Each consuming service has P durable quorum queues
`<namespace>.<service>.p<k>` (P = `CNNECT_PARTITIONS`), each a single-active-consumer queue
bound to `<producer>.<EventName>.<k>` for every event type the service subscribes to: every
worker process of the service subscribes to every partition, and the broker delivers a
partition to one of them at a time, so an order's events are handled in the order they were
published however many workers run.

Each partition queue has the delivery limit; a message that exhausts it (or that a consumer
rejects as poison) goes through the dead-letter exchange to the service's one dead-letter
queue. Unroutable events (a relay configured with more partitions than the topology) land in
the `unrouted` queue through the exchange's alternate exchange, so a publish is never
silently dropped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pika
from pika.adapters.blocking_connection import BlockingChannel

from shared.config import DEFAULT_PARTITIONS
from shared.events.bus import blocking_connection
from shared.events.contracts import ContractRegistry
from shared.events.partitions import partition_of

DELIVERY_LIMIT = 5
DEFAULT_PREFETCH = 50


def subscriptions(handled: Iterable[str], contracts: ContractRegistry) -> tuple[str, ...]:
    """The keys `<producer>.<EventName>` a consuming service's queues are bound to (each once
    per partition, with the partition appended): every event type it has a handler for, from
    the producer its contract names."""
    return tuple(
        f"{contracts.contract(event_type).producer}.{event_type}" for event_type in handled
    )


@dataclass(frozen=True)
class Topology:
    """The names of every exchange and queue under one namespace (tests use their own)."""

    namespace: str = "cnnect"
    delivery_limit: int = DELIVERY_LIMIT
    partitions: int = DEFAULT_PARTITIONS

    def routing_key(self, subscription: str, ordering_key: str) -> str:
        """`<producer>.<EventName>.<partition>`: the key an event is published with."""
        return f"{subscription}.{partition_of(ordering_key, self.partitions)}"

    @property
    def exchange(self) -> str:
        """The topic exchange of integration events."""
        return f"{self.namespace}.events"

    @property
    def unrouted_exchange(self) -> str:
        """Alternate exchange catching events no queue is bound for."""
        return f"{self.namespace}.unrouted"

    @property
    def unrouted_queue(self) -> str:
        """Where unroutable events are kept."""
        return f"{self.namespace}.unrouted"

    @property
    def dead_letter_exchange(self) -> str:
        """Direct exchange routing dead letters to their service's dead-letter queue."""
        return f"{self.namespace}.dead-letter"

    def queue(self, consumer: str, partition: int) -> str:
        """The durable single-active-consumer queue of one partition of a consuming service."""
        return f"{self.namespace}.{consumer}.p{partition}"

    def queues(self, consumer: str) -> list[str]:
        """Every partition queue of a consuming service, partition 0 first."""
        return [self.queue(consumer, k) for k in range(self.partitions)]

    def dead_letter_queue(self, consumer: str) -> str:
        """The dead-letter queue of a consuming service."""
        return f"{self.namespace}.{consumer}.dead-letter"

    def dead_letter_routing_key(self, consumer: str) -> str:
        """The key routing a service's dead letters to its dead-letter queue (any partition).

        The name of the service's queue before partitions: a dead-letter queue declared then
        keeps its binding, and the letters already in it stay where they are."""
        return f"{self.namespace}.{consumer}"

    def declare_exchanges(self, channel: BlockingChannel) -> None:
        """Declare the event exchange with its alternate, and the dead-letter exchange."""
        channel.exchange_declare(self.unrouted_exchange, "fanout", durable=True)
        channel.queue_declare(
            self.unrouted_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        channel.queue_bind(self.unrouted_queue, self.unrouted_exchange)
        channel.exchange_declare(
            self.exchange,
            "topic",
            durable=True,
            arguments={"alternate-exchange": self.unrouted_exchange},
        )
        channel.exchange_declare(self.dead_letter_exchange, "direct", durable=True)

    def declare_consumer(
        self, channel: BlockingChannel, consumer: str, routing_keys: Iterable[str]
    ) -> None:
        """Declare a consumer's partition queues, its dead-letter queue and the bindings."""
        dead = self.dead_letter_queue(consumer)
        dead_key = self.dead_letter_routing_key(consumer)
        channel.queue_declare(dead, durable=True, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(dead, self.dead_letter_exchange, routing_key=dead_key)
        keys = tuple(routing_keys)
        for partition, queue in enumerate(self.queues(consumer)):
            channel.queue_declare(
                queue,
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    # One consumer at a time takes from the queue; the others wait, and the
                    # broker activates the next one when the active one's channel closes.
                    "x-single-active-consumer": True,
                    "x-delivery-limit": self.delivery_limit,
                    "x-dead-letter-exchange": self.dead_letter_exchange,
                    "x-dead-letter-routing-key": dead_key,
                },
            )
            for key in keys:
                channel.queue_bind(queue, self.exchange, routing_key=f"{key}.{partition}")

    def declare_all(self, amqp_url: str, subscriptions: Mapping[str, Iterable[str]]) -> None:
        """Declare the whole topology (idempotent): what `make run` does at start."""
        with blocking_connection(amqp_url) as connection:
            channel = connection.channel()
            self.declare_exchanges(channel)
            for consumer, keys in subscriptions.items():
                self.declare_consumer(channel, consumer, keys)

    def delete_all(self, amqp_url: str, consumers: Iterable[str]) -> None:
        """Remove this namespace's exchanges and queues (test clean-up)."""
        with blocking_connection(amqp_url) as connection:
            channel = connection.channel()
            for consumer in consumers:
                for queue in self.queues(consumer):
                    channel.queue_delete(queue)
                channel.queue_delete(self.dead_letter_queue(consumer))
            channel.queue_delete(self.unrouted_queue)
            for exchange in (self.exchange, self.unrouted_exchange, self.dead_letter_exchange):
                channel.exchange_delete(exchange)


def persistent_properties(**kwargs: object) -> pika.BasicProperties:
    """Properties of a persistent JSON message."""
    return pika.BasicProperties(
        content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent, **kwargs
    )
