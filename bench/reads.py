"""Read throughput: iterating every event in commit order, and a projection rebuild."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence

import psycopg

from bench.common import Env, order_placed
from shared.events.projections import ProjectionRunner
from shared.events.store import EventStore, RecordedEvent, Row

TARGET_EVENTS = 50_000
SEED_BATCH = 500


class StreamCounts:
    """A minimal read model: per stream, how many events and the last position (one upsert)."""

    name = "bench_stream_counts"
    schema = (
        "CREATE TABLE IF NOT EXISTS bench_stream_counts ("
        " stream_id text PRIMARY KEY, events integer NOT NULL, last_position bigint NOT NULL)"
    )
    tables: Sequence[str] = ("bench_stream_counts",)

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Count the event against its stream."""
        conn.execute(
            "INSERT INTO bench_stream_counts (stream_id, events, last_position) VALUES (%s, 1, %s) "
            "ON CONFLICT (stream_id) DO UPDATE SET events = bench_stream_counts.events + 1, "
            "last_position = excluded.last_position",
            (event.stream_id, event.position),
            prepare=True,
        )


def event_count(store: EventStore) -> int:
    """How many events the store holds."""
    row = store.transact(lambda tx: tx.conn.execute("SELECT count(*) AS n FROM events").fetchone())
    return int(row["n"]) if row else 0


def seed(store: EventStore, target: int = TARGET_EVENTS) -> int:
    """Top the store up to at least `target` events (batches on new streams); the total."""
    total = event_count(store)
    for n in itertools.count():
        if total >= target:
            return total
        size = min(SEED_BATCH, target - total)
        stream = f"order-seed-{n}"
        store.append(stream, [order_placed(f"{stream}-{k}") for k in range(size)], 0)
        total += size
    return total


def run(env: Env, store: EventStore) -> None:
    """Seed, then time `iter_all` over everything and a projection rebuild over everything."""
    total = seed(store)
    # Steady state: planner statistics as autovacuum would have them by now.
    store.transact(lambda tx: tx.conn.execute("ANALYZE events"))
    started = time.perf_counter()
    read = sum(1 for _ in store.iter_all())
    elapsed = time.perf_counter() - started
    env.record("read_all_events_per_s", read / elapsed, "events/s", events=read,
               seconds=round(elapsed, 3), batch=2000)
    if read != total:
        raise AssertionError(f"iter_all read {read} of {total} events")

    runner = ProjectionRunner(store, StreamCounts())
    started = time.perf_counter()
    applied = runner.rebuild()
    elapsed = time.perf_counter() - started
    env.record("projection_rebuild_events_per_s", applied / elapsed, "events/s",
               events=applied, seconds=round(elapsed, 3), batch=runner.batch_size,
               statements_per_event=1)
    if applied != total:
        raise AssertionError(f"rebuild applied {applied} of {total} events")
