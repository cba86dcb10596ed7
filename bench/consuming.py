"""Consumer throughput: one EventConsumer through a queue of pre-published messages; also
the service B side of the latency test (a store that times its commits)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from psycopg_pool import ConnectionPool

from bench.common import Env, wait_until
from shared.events.bus import blocking_connection
from shared.events.consumer import EventConsumer
from shared.events.contracts import CONTRACTS, encode_envelope
from shared.events.incoming import Handler, IncomingEvent
from shared.events.store import EventStore, Transaction, Upcaster
from shared.events.topology import persistent_properties
from tests.support.ledger import order_envelope

CONSUMER = "billing"
CONSUME_MESSAGES = 5_000
RECEIVED_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS received (event_id uuid PRIMARY KEY, order_id text NOT NULL)"
)


class TimedStore(EventStore):
    """An event store that notes, right after each commit, which marked events it carried."""

    def __init__(self, pool: ConnectionPool, upcaster: Upcaster) -> None:
        """An event store on `pool`, with empty timing records."""
        super().__init__(pool, upcaster)
        self.appended_at: dict[UUID, float] = {}  # event id -> commit time in service A
        # (event id, A commit time, B handler start, B commit time)
        self.latencies: list[tuple[UUID, float, float, float]] = []
        self._local = threading.local()

    def mark(self, event_id: UUID) -> None:
        """Note that the running transaction applies `event_id` (its handler runs now)."""
        self._local.pending.append((event_id, time.time()))

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """As the base, then the latency of each marked event once committed."""
        self._local.pending = []
        with super().transaction() as tx:
            yield tx
        committed = time.time()
        for event_id, handled in self._local.pending:
            appended = self.appended_at.get(event_id)
            if appended is not None:
                self.latencies.append((event_id, appended, handled, committed))


def handler(store: TimedStore) -> Handler:
    """The OrderPlaced handler of service B: one row per event."""

    def apply(tx: Transaction, event: IncomingEvent) -> None:
        """Insert the event's row and mark it for the latency record."""
        tx.conn.execute(
            "INSERT INTO received (event_id, order_id) VALUES (%s, %s)",
            (event.envelope.event_id, event.data["order_id"]),
            prepare=True,
        )
        store.mark(event.envelope.event_id)

    return apply


def make_consumer(env: Env, store: TimedStore) -> EventConsumer:
    """Service B's consumer as production configures it (default prefetch)."""
    return EventConsumer(
        name=CONSUMER,
        store=store,
        amqp_url=env.amqp_url,
        topology=env.topology,
        contracts=CONTRACTS,
        handlers={"OrderPlaced": handler(store)},
        routing_keys=["orders.OrderPlaced"],
    )


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
    return encode_envelope(order_envelope(f"ord-c{n}", 1))


def prepublish(env: Env, count: int) -> None:
    """Put `count` messages in the consumer's queues and wait until the queues hold them."""
    queues = env.topology.queues(CONSUMER)
    with blocking_connection(env.amqp_url) as connection:
        channel = connection.channel()
        for n in range(count):
            channel.basic_publish(
                env.topology.exchange,
                env.topology.routing_key("orders.OrderPlaced", f"ord-c{n}"),
                wire_message(n),
                properties=persistent_properties(),
            )

        def queued() -> bool:
            """Whether the queues hold every published message yet."""
            held = sum(channel.queue_declare(q, passive=True).method.message_count for q in queues)
            return bool(held >= count)

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
    env.rate(
        "consume_events_per_s",
        CONSUME_MESSAGES,
        elapsed,
        prefetch=consumer.prefetch,
        includes_connect=True,
    )
