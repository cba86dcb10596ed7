"""The broker's own rates, the references of the relay and consumer figures, measured in the
same run with the AMQP clients alone (no database, no kit code): confirmed publishes with a
batch in flight (aiormq, as the relay publishes) and consume-and-ack with a prefetch (pika, as
the consumer consumes), through throwaway queues of the run's namespace shaped as the kit's
(quorum, partitioned, bound to the same routing keys), deleted when done."""

from __future__ import annotations

import asyncio
import inspect
import time

import aiormq
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties

from bench.common import Env, wait_until
from bench.consuming import wire_message
from shared.events.bus import blocking_connection
from shared.events.relay import OutboxRelay
from shared.events.topology import DEFAULT_PREFETCH

REFERENCE = "brokerref"  # the throwaway consumer name: queues bench-<run>.brokerref.p<k>
SUBSCRIPTION = "orders.OrderPlaced"
MESSAGES = 20_000  # as many as the relay publishes
# The relay's own batch: it publishes that many at once and awaits their confirms.
BATCH: int = inspect.signature(OutboxRelay).parameters["batch_size"].default


async def publish_confirmed(env: Env, count: int, batch: int) -> float:
    """Publish `count` persistent messages, `batch` in flight at once, each batch awaited
    until the broker confirms all of it; seconds taken, connecting included (as the relay's)."""
    bodies = [wire_message(n) for n in range(count)]  # made beforehand: the broker is measured
    keys = [env.topology.routing_key(SUBSCRIPTION, f"ord-c{n}") for n in range(count)]
    started = time.perf_counter()
    connection = await aiormq.connect(env.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        for first in range(0, count, batch):
            confirmations = [
                channel.basic_publish(
                    bodies[n],
                    exchange=env.topology.exchange,
                    routing_key=keys[n],
                    mandatory=True,
                    properties=aiormq.spec.Basic.Properties(
                        content_type="application/json", delivery_mode=2, message_id=str(n)
                    ),
                    timeout=30,
                )
                for n in range(first, min(first + batch, count))
            ]
            for result in await asyncio.gather(*confirmations):
                if not isinstance(result, aiormq.spec.Basic.Ack):
                    raise RuntimeError(f"broker answered {result!r}")
        return time.perf_counter() - started
    finally:
        await connection.close()


def consume_acked(env: Env, count: int, prefetch: int) -> float:
    """Consume `count` messages from the reference queues with `prefetch` unacked at most,
    acking each one by one; seconds taken, connecting included (as the consumer's)."""
    received = [0]
    started = time.perf_counter()
    with blocking_connection(env.amqp_url) as connection:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=prefetch)

        def on_message(
            channel: BlockingChannel, method: Basic.Deliver, _: BasicProperties, body: bytes
        ) -> None:
            """Ack the message at once."""
            channel.basic_ack(method.delivery_tag)
            received[0] += 1

        for queue in env.topology.queues(REFERENCE):
            channel.basic_consume(queue, on_message)
        deadline = time.perf_counter() + 60
        while received[0] < count:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{received[0]} of {count} consumed within 60s")
            connection.process_data_events(time_limit=0.1)
        return time.perf_counter() - started


def queued(env: Env) -> int:
    """How many messages the reference queues hold (ready)."""
    with blocking_connection(env.amqp_url) as connection:
        channel = connection.channel()
        return sum(
            channel.queue_declare(queue, passive=True).method.message_count
            for queue in env.topology.queues(REFERENCE)
        )


def delete_queues(env: Env) -> None:
    """Delete the reference queues (they are bound to what the kit's phases publish)."""
    with blocking_connection(env.amqp_url) as connection:
        channel = connection.channel()
        for queue in env.topology.queues(REFERENCE):
            channel.queue_delete(queue)
        channel.queue_delete(env.topology.dead_letter_queue(REFERENCE))


def run(env: Env, count: int = MESSAGES, batch: int = BATCH) -> None:
    """Measure both references through fresh queues, then delete them."""
    env.consumers.add(REFERENCE)  # the clean-up deletes them too, should this phase fail
    env.topology.declare_all(env.amqp_url, {REFERENCE: [SUBSCRIPTION]})
    try:
        elapsed = asyncio.run(publish_confirmed(env, count, batch))
        env.rate(
            "broker_confirmed_publish_events_per_s",
            count,
            elapsed,
            reference_for="relay_publish_events_per_s",
            client="aiormq",
            batch_in_flight=batch,
            persistent=True,
            includes_connect=True,
        )
        # Quorum queues confirm once a majority holds the message; wait until all are ready.
        wait_until(lambda: queued(env) >= count, 30.0, interval=0.05)
        elapsed = consume_acked(env, count, DEFAULT_PREFETCH)
        env.rate(
            "broker_consume_ack_events_per_s",
            count,
            elapsed,
            reference_for="consume_events_per_s",
            client="pika",
            prefetch=DEFAULT_PREFETCH,
            ack="each",
            includes_connect=True,
        )
    finally:
        delete_queues(env)
