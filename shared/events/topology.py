"""Every RabbitMQ declaration of the system, in one place.

One durable topic exchange carries integration events with routing key `<producer>.<Type>`.
Each consuming service has one durable quorum queue with a delivery limit; a message that
exhausts it (or that a consumer rejects as poison) goes through the dead-letter exchange to
the service's dead-letter queue. Unroutable events land in the `unrouted` queue through the
exchange's alternate exchange, so a publish is never silently dropped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pika
from pika.adapters.blocking_connection import BlockingChannel

from shared.events.bus import blocking_connection

DELIVERY_LIMIT = 5
DEFAULT_PREFETCH = 50

# Which integration events each service consumes (routing keys on the topic exchange).
SUBSCRIPTIONS: Mapping[str, tuple[str, ...]] = {
    "orders": (
        "billing.BillingIssued",
        "billing.PaymentReceived",
        "shipping.Shipped",
        "messaging.PurchaseConditionRequested",
    ),
    "billing": (
        "orders.OrderPlaced",
        "orders.OrderItemsChanged",
        "orders.ItemUnavailable",
        "orders.OrderCancelled",
        "orders.ReturnShippingCharged",
        "shipping.ShippingQuoted",
    ),
    "shipping": ("orders.ItemsInspected", "billing.PaymentReceived"),
    "messaging": (
        "orders.OrderPlaced",
        "orders.OrderCompleted",
        "orders.OrderCancelled",
        "orders.ReceptionReported",
        "orders.ItemsInspected",
        "billing.BillingIssued",
        "billing.PaymentReceived",
        "shipping.Shipped",
    ),
}


@dataclass(frozen=True)
class Topology:
    """The names of every exchange and queue under one namespace (tests use their own)."""

    namespace: str = "cnnect"
    delivery_limit: int = DELIVERY_LIMIT

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

    def queue(self, consumer: str) -> str:
        """The durable queue of a consuming service."""
        return f"{self.namespace}.{consumer}"

    def dead_letter_queue(self, consumer: str) -> str:
        """The dead-letter queue of a consuming service."""
        return f"{self.namespace}.{consumer}.dead-letter"

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
        """Declare a consumer's quorum queue, its dead-letter queue and its bindings."""
        queue = self.queue(consumer)
        dead = self.dead_letter_queue(consumer)
        channel.queue_declare(dead, durable=True, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(dead, self.dead_letter_exchange, routing_key=queue)
        channel.queue_declare(
            queue,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange,
                "x-dead-letter-routing-key": queue,
            },
        )
        for key in routing_keys:
            channel.queue_bind(queue, self.exchange, routing_key=key)

    def declare_all(
        self, amqp_url: str, subscriptions: Mapping[str, Iterable[str]] = SUBSCRIPTIONS
    ) -> None:
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
                channel.queue_delete(self.queue(consumer))
                channel.queue_delete(self.dead_letter_queue(consumer))
            channel.queue_delete(self.unrouted_queue)
            for exchange in (self.exchange, self.unrouted_exchange, self.dead_letter_exchange):
                channel.exchange_delete(exchange)


def persistent_properties(**kwargs: object) -> pika.BasicProperties:
    """Properties of a persistent JSON message."""
    return pika.BasicProperties(
        content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent, **kwargs
    )
