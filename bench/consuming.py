"""Consumer throughput, and end-to-end latency from an append in service A to the handler's
commit in service B (relay and consumer running)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from uuid import UUID

from psycopg_pool import ConnectionPool

from bench.common import Env, order_placed, wait_until
from bench.relaying import make_relay, running_relay
from shared.events.bus import blocking_connection
from shared.events.consumer import EventConsumer, Handler, IncomingEvent
from shared.events.contracts import CONTRACTS, Envelope, encode_envelope
from shared.events.store import EventStore, Transaction, Upcaster
from shared.events.topology import persistent_properties

CONSUMER = "billing"
CONSUME_MESSAGES = 5_000
RATE = 200.0  # appends per second in the latency test
LATENCY_SECONDS = 10.0
RECEIVED_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS received (event_id uuid PRIMARY KEY, order_id text NOT NULL)"
)


class TimedStore(EventStore):
    """An event store that notes, right after each commit, which marked events it carried."""

    def __init__(self, pool: ConnectionPool, upcaster: Upcaster) -> None:
        super().__init__(pool, upcaster)
        self.appended_at: dict[UUID, float] = {}  # event id -> commit time in service A
        self.latencies: list[float] = []
        self._local = threading.local()

    def mark(self, event_id: UUID) -> None:
        """Note that the running transaction applies `event_id`."""
        self._local.pending.append(event_id)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """As the base, then the latency of each marked event once committed."""
        self._local.pending = []
        with super().transaction() as tx:
            yield tx
        committed = time.time()
        for event_id in self._local.pending:
            appended = self.appended_at.get(event_id)
            if appended is not None:
                self.latencies.append(committed - appended)


def handler(store: TimedStore) -> Handler:
    """The OrderPlaced handler of service B: one row per event."""

    def apply(tx: Transaction, event: IncomingEvent) -> None:
        tx.conn.execute("INSERT INTO received (event_id, order_id) VALUES (%s, %s)",
                        (event.envelope.event_id, event.data["order_id"]), prepare=True)
        store.mark(event.envelope.event_id)

    return apply


def make_consumer(env: Env, store: TimedStore) -> EventConsumer:
    """Service B's consumer as production configures it (default prefetch)."""
    return EventConsumer(name=CONSUMER, store=store, amqp_url=env.amqp_url,
                         topology=env.topology, contracts=CONTRACTS,
                         handlers={"OrderPlaced": handler(store)},
                         routing_keys=["orders.OrderPlaced"])


@contextmanager
def running_consumer(consumer: EventConsumer) -> Iterator[EventConsumer]:
    """The consumer in a thread; yields once it consumes."""
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), name="consumer", daemon=True)
    thread.start()
    try:
        wait_until(lambda: consumer._channel is not None, 10.0)
        yield consumer
    finally:
        stop.set()
        thread.join(timeout=15)


def wire_message(n: int) -> bytes:
    """An OrderPlaced envelope as the orders relay would publish it."""
    order_id = f"ord-c{n}"
    return encode_envelope(Envelope(
        event_id=uuid.uuid4(), type="OrderPlaced", schema_version=2,
        occurred_at=datetime.now(UTC), correlation_id=uuid.uuid4(), causation_id=None,
        producer="orders", stream_id=f"order-{order_id}", stream_version=1,
        ordering_key=order_id,
        data=dict(CONTRACTS.contract("OrderPlaced").example, order_id=order_id)))


def prepublish(env: Env, count: int) -> None:
    """Put `count` messages in the consumer's queue and wait until the queue holds them."""
    queue = env.topology.queue(CONSUMER)
    with blocking_connection(env.amqp_url) as connection:
        channel = connection.channel()
        for n in range(count):
            channel.basic_publish(env.topology.exchange, "orders.OrderPlaced", wire_message(n),
                                  properties=persistent_properties())

        def queued() -> bool:
            return bool(channel.queue_declare(queue, passive=True).method.message_count >= count)

        wait_until(queued, 30.0, interval=0.05)


def run_consume(env: Env, store: TimedStore) -> None:
    """Time one consumer through a queue of pre-published messages."""
    env.consumers.add(CONSUMER)
    env.topology.declare_all(env.amqp_url, {CONSUMER: ["orders.OrderPlaced"]})
    prepublish(env, CONSUME_MESSAGES)
    consumer = make_consumer(env, store)
    started = time.perf_counter()
    with running_consumer(consumer):
        done = wait_until(lambda: consumer.stats.applied >= CONSUME_MESSAGES, 90.0, 0.002)
    elapsed = done - started
    env.record("consume_events_per_s", CONSUME_MESSAGES / elapsed, "events/s",
               events=CONSUME_MESSAGES, seconds=round(elapsed, 3), prefetch=consumer.prefetch,
               includes_connect=True)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run_latency(env: Env, url_a: str, store_a: EventStore, store_b: TimedStore) -> None:
    """Append at a steady rate in A; latency from A's commit to B's handler commit."""
    total = int(RATE * LATENCY_SECONDS)
    consumer = make_consumer(env, store_b)
    store_b.latencies.clear()
    with running_relay(make_relay(env, url_a)), running_consumer(consumer):
        started = time.perf_counter()
        for n in range(total):
            delay = started + n / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            event = order_placed(f"ord-e2e-{n}", placed_at=time.time())
            # Commit time is taken right after the append returns; the time before it is a
            # fallback should service B commit first (it cannot in practice).
            store_b.appended_at[event.event_id] = time.time()
            store_a.append(f"order-e2e-{n}", [event], 0)
            store_b.appended_at[event.event_id] = time.time()
        achieved = total / (time.perf_counter() - started)
        wait_until(lambda: len(store_b.latencies) >= total, 15.0, 0.01)
    ms = [value * 1000 for value in store_b.latencies]
    common = {"events": total, "append_rate_per_s": round(achieved, 1),
              "mean_ms": round(sum(ms) / len(ms), 2), "max_ms": round(max(ms), 2)}
    for name, fraction, goal in (("p50", 0.50, 10.0), ("p99", 0.99, 50.0)):
        value = percentile(ms, fraction)
        env.record(f"end_to_end_latency_ms_{name}", value, "ms", goal=f"<{goal:g}",
                   met=value < goal, **common)
