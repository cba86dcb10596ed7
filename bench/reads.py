"""Read throughput: iterating every event in commit order, and a projection rebuild."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from bench.common import Env, example_payload
from shared.events.projections import ProjectionRunner
from shared.events.store import EventStore, RecordedEvent, Row, Transaction, dumps

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


class BatchedStreamCounts:
    """StreamCounts written a batch at a time (`BatchProjection`): the batch is folded per
    stream in Python, then one upsert writes every stream it touched."""

    name = "bench_stream_counts_batched"
    schema = (
        "CREATE TABLE IF NOT EXISTS bench_stream_counts_batched ("
        " stream_id text PRIMARY KEY, events integer NOT NULL, last_position bigint NOT NULL)"
    )
    tables: Sequence[str] = ("bench_stream_counts_batched",)

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Count one event against its stream."""
        self.apply_batch(conn, [event])

    def apply_batch(self, conn: psycopg.Connection[Row], events: Sequence[RecordedEvent]) -> None:
        """Count the events against their streams, in one statement."""
        folded: dict[str, list[int]] = {}
        for event in events:
            counted = folded.setdefault(event.stream_id, [0, 0])
            counted[0] += 1
            counted[1] = event.position  # commit order: the stream's last event comes last
        conn.execute(
            "INSERT INTO bench_stream_counts_batched (stream_id, events, last_position) "
            "SELECT * FROM unnest(%s::text[], %s::int[], %s::bigint[]) "
            "ON CONFLICT (stream_id) DO UPDATE SET "
            "events = bench_stream_counts_batched.events + excluded.events, "
            "last_position = excluded.last_position",
            (list(folded), [c[0] for c in folded.values()], [c[1] for c in folded.values()]),
            prepare=True,
        )


# 100 streams of 500 events, one transaction per 500: fast to write, and a realistic spread
# of transaction ids; the payload is the OrderPlaced example (the same as every other test).
_SEED = """
INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata)
SELECT 'order-seed-' || %(chunk)s, g, gen_random_uuid(), 'OrderPlaced', 2, %(data)s::jsonb,
       jsonb_build_object('correlation_id', gen_random_uuid(), 'ordering_key',
                          'ord-seed-' || %(chunk)s)
FROM generate_series(1, %(size)s) AS g
"""


def statement(sql: str, params: dict[str, Any]) -> Callable[[Transaction], object]:
    """Work for `transact`: run one statement."""
    return lambda tx: tx.conn.execute(sql, params)


def seed(store: EventStore, target: int = TARGET_EVENTS) -> int:
    """Write `target` OrderPlaced events straight in SQL, SEED_BATCH per transaction."""
    data = dumps(example_payload())
    for chunk in range(0, target, SEED_BATCH):
        params = {"chunk": chunk, "size": min(SEED_BATCH, target - chunk), "data": data}
        store.transact(statement(_SEED, params))
    store.transact(lambda tx: tx.conn.execute("ANALYZE events"))
    return target


def run(env: Env) -> None:
    """Seed a database of its own, then time `iter_all` and a projection rebuild over it."""
    store = env.store(env.database("reads"))
    total = seed(store)
    started = time.perf_counter()
    read = sum(1 for _ in store.iter_all())
    elapsed = time.perf_counter() - started
    env.rate("read_all_events_per_s", read, elapsed, batch=2000)
    if read != total:
        raise AssertionError(f"iter_all read {read} of {total} events")

    runner = ProjectionRunner(store, StreamCounts())
    started = time.perf_counter()
    applied = runner.rebuild()
    elapsed = time.perf_counter() - started
    env.rate(
        "projection_rebuild_events_per_s",
        applied,
        elapsed,
        batch=runner.batch_size,
        statements_per_event=1,
    )
    if applied != total:
        raise AssertionError(f"rebuild applied {applied} of {total} events")

    batched = ProjectionRunner(store, BatchedStreamCounts())
    started = time.perf_counter()
    applied = batched.rebuild()
    elapsed = time.perf_counter() - started
    per_event_rate = env.results["projection_rebuild_events_per_s"]
    env.rate(
        "projection_rebuild_batched_events_per_s",
        applied,
        elapsed,
        batch=batched.batch_size,
        statements_per_batch=1,
        vs_per_event=round(applied / elapsed / per_event_rate, 2),
    )
    if [*batched.snapshot().values()] != [*runner.snapshot().values()]:
        raise AssertionError("the batched projection differs from the per-event one")
