"""Relay throughput: integration events from the outbox to the broker, confirmed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg

from bench.common import Env, order_placed, wait_until
from shared.events.bus import blocking_connection
from shared.events.contracts import CONTRACTS
from shared.events.relay import CHECKPOINT, OutboxRelay
from shared.events.store import START, EventStore, Position, RecordedEvent

RELAY_EVENTS = 20_000
APPEND_BATCH = 100
SINK = "relaysink"  # a queue bound to OrderPlaced, so every publish is routed to a queue


class StampedRelay(OutboxRelay):
    """The production relay, noting when it read and when the broker confirmed each event."""

    def __init__(self, **kwargs: Any) -> None:
        """As the base, with empty stamps."""
        super().__init__(**kwargs)
        self.read_at: dict[UUID, float] = {}
        self.confirmed_at: dict[UUID, float] = {}

    async def _publish(self, events: Sequence[RecordedEvent]) -> None:
        """As the base, stamping each event before and after."""
        read = time.time()
        await super()._publish(events)
        confirmed = time.time()
        for event in events:
            self.read_at[event.event_id] = read
            self.confirmed_at[event.event_id] = confirmed


def make_relay(env: Env, url: str) -> StampedRelay:
    """The orders relay as production configures it (default batch size and idle wait)."""
    return StampedRelay(
        database_url=url,
        amqp_url=env.amqp_url,
        topology=env.topology,
        producer="orders",
        contracts=CONTRACTS,
    )


@contextmanager
def running_relay(relay: OutboxRelay, connect_timeout: float = 10.0) -> Iterator[OutboxRelay]:
    """The relay publishing on its own event loop in a thread; yields once it is connected."""
    loop = asyncio.new_event_loop()
    stop_box: list[asyncio.Event] = []

    def main() -> None:
        """Run the relay on this thread's own event loop until stopped."""
        asyncio.set_event_loop(loop)
        stop = asyncio.Event()
        stop_box.append(stop)
        loop.run_until_complete(relay.run(stop))
        loop.close()

    thread = threading.Thread(target=main, name="relay", daemon=True)
    thread.start()
    try:
        wait_until(lambda: relay._channel is not None, connect_timeout)
        yield relay
    finally:
        if stop_box:
            loop.call_soon_threadsafe(stop_box[0].set)
        thread.join(timeout=15)


class CheckpointWatch:
    """Reads the relay's checkpoint on a connection of its own."""

    def __init__(self, url: str) -> None:
        """Open an autocommit connection to the relay's database."""
        self.conn: psycopg.Connection[tuple[str, int]] = psycopg.connect(url, autocommit=True)

    def position(self) -> Position:
        """Where the relay's checkpoint stands."""
        row = self.conn.execute(
            "SELECT tx_id::text, position FROM checkpoints WHERE name = %s",
            (CHECKPOINT,),
            prepare=True,
        ).fetchone()
        return Position(int(row[0]), int(row[1])) if row else START

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def append_integration_events(store: EventStore, count: int, tag: str) -> Position:
    """Append `count` OrderPlaced events, 100 per stream; the commit position of the last."""
    last = START
    for n in range(0, count, APPEND_BATCH):
        stream = f"order-{tag}-{n}"
        size = min(APPEND_BATCH, count - n)
        recorded = store.append(stream, [order_placed(f"{stream}-{k}") for k in range(size)], 0)
        last = max(last, recorded[-1].commit_position)
    return last


def delete_queue(env: Env, queue: str) -> None:
    """Delete one queue of this run's namespace (the sink, once it has served)."""
    with blocking_connection(env.amqp_url) as connection:
        connection.channel().queue_delete(queue)


def run(env: Env, url: str, store: EventStore) -> None:
    """Append N integration events, then time the relay until its checkpoint passes the last."""
    env.consumers.add(SINK)
    env.topology.declare_all(env.amqp_url, {SINK: ["orders.OrderPlaced"]})
    started = time.perf_counter()
    last = append_integration_events(store, RELAY_EVENTS, "relay")
    append_s = time.perf_counter() - started
    watch = CheckpointWatch(url)
    relay = make_relay(env, url)
    try:
        started = time.perf_counter()
        with running_relay(relay):
            connected = time.perf_counter()
            done = wait_until(lambda: watch.position() >= last, 60.0, interval=0.002)
        elapsed = done - started
        env.record(
            "relay_publish_events_per_s",
            RELAY_EVENTS / elapsed,
            "events/s",
            events=RELAY_EVENTS,
            seconds=round(elapsed, 3),
            connect_s=round(connected - started, 3),
            batch_size=relay.batch_size,
            batches=relay.stats.batches,
            published=relay.stats.published,
            append_s=round(append_s, 3),
            append_plus_relay_events_per_s=round(RELAY_EVENTS / (append_s + elapsed), 1),
        )
    finally:
        watch.close()
        for queue in env.topology.queues(SINK):
            delete_queue(env, queue)
