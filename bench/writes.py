"""Write throughput: a plain psycopg insert loop (the reference) against EventStore appends,
measured in alternating slices so that background load hits both alike."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from uuid import uuid4

import psycopg

from bench.common import Env, example_payload, interleaved, order_placed
from shared.events.store import EventStore, Transaction, dumps

PLAIN_SCHEMA = "CREATE TABLE IF NOT EXISTS plain (id bigserial PRIMARY KEY, data jsonb NOT NULL)"
_INSERT = "INSERT INTO plain (data) VALUES (%s::jsonb)"
ROUNDS = 5
SLICE_S = 0.5
BATCH = 100
GOALS = {"1_writer": 0.85, "4_writers": 0.7, "batch100": 0.7}
# (plain figure, append figure, threads, rows or events per transaction)
CASES = [
    ("1_conn", "1_writer", 1, 1),
    ("4_conn", "4_writers", 4, 1),
    ("batch100", "batch100", 1, BATCH),
]


def plain_worker(conn: psycopg.Connection[object], batch: int) -> Callable[[], int]:
    """One connection inserting `batch` rows per transaction, serialising each row's JSON."""
    payload = example_payload()

    def step() -> int:
        """Insert and commit one transaction's rows."""
        if batch == 1:
            conn.execute(_INSERT, (dumps(payload),), prepare=True)
        else:
            with conn.cursor() as cur:
                cur.executemany(_INSERT, [(dumps(payload),) for _ in range(batch)])
        conn.commit()
        return batch

    return step


def append_worker(store: EventStore, tag: str, batch: int) -> Callable[[], int]:
    """Appends `batch` events to a new stream per transaction, with an inbox row."""
    counter = itertools.count()

    def step() -> int:
        """Append one transaction's events."""
        stream = f"order-{tag}-{next(counter)}"
        events = [order_placed(f"{stream}-{k}") for k in range(batch)]

        def work(tx: Transaction) -> object:
            """Record an inbox row and append the events, in one transaction."""
            tx.record_inbox("bench", uuid4())
            return tx.append(stream, events, 0)

        store.transact(work)
        return batch

    return step


def run(env: Env, url: str, store: EventStore) -> None:
    """Measure each plain figure alternately with its append counterpart, then the ratios."""
    for plain_name, append_name, threads, batch in CASES:
        conns: list[psycopg.Connection[object]] = [psycopg.connect(url) for _ in range(threads)]
        try:
            rates = interleaved(
                {
                    "plain": (threads, [plain_worker(conn, batch) for conn in conns]),
                    "append": (
                        threads,
                        [append_worker(store, f"{append_name}{n}", batch) for n in range(threads)],
                    ),
                },
                ROUNDS,
                SLICE_S,
            )
        finally:
            for conn in conns:
                conn.close()
        rate, rows = rates["plain"]
        env.record(
            f"plain_insert_{plain_name}_rows_per_s",
            rate,
            "rows/s",
            rows=rows,
            threads=threads,
            rows_per_tx=batch,
        )
        rate, events = rates["append"]
        env.record(
            f"append_{append_name}_events_per_s",
            rate,
            "events/s",
            events=events,
            threads=threads,
            events_per_tx=batch,
            inbox_row_per_tx=True,
        )
    for plain_name, append_name, _, _ in CASES:
        env.ratio(
            f"append_{append_name}_ratio",
            f"append_{append_name}_events_per_s",
            f"plain_insert_{plain_name}_rows_per_s",
            GOALS[append_name],
        )
