"""Write throughput: a plain psycopg insert loop (the reference) against EventStore appends."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from uuid import uuid4

import psycopg

from bench.common import Env, example_json, order_placed, timed_threads
from shared.events.store import EventStore, Transaction

PLAIN_SCHEMA = "CREATE TABLE IF NOT EXISTS plain (id bigserial PRIMARY KEY, data jsonb NOT NULL)"
_INSERT = "INSERT INTO plain (data) VALUES (%s::jsonb)"
SECONDS = 2.5
WARM_UP = 0.3
BATCH = 100
GOALS = {"append_1_writer": 0.85, "append_4_writers": 0.7, "append_batch100": 0.7}


def plain_worker(url: str, batch: int, conns: list[psycopg.Connection[object]]) -> Callable[[], int]:
    """One connection inserting `batch` rows per transaction (one row: execute, commit)."""
    conn: psycopg.Connection[object] = psycopg.connect(url)
    conns.append(conn)
    payload = example_json()
    rows = [(payload,)] * batch

    def step() -> int:
        if batch == 1:
            conn.execute(_INSERT, (payload,), prepare=True)
        else:
            with conn.cursor() as cur:
                cur.executemany(_INSERT, rows)
        conn.commit()
        return batch

    return step


def plain_rate(url: str, threads: int, batch: int) -> tuple[float, int]:
    """Rows per second of `threads` plain connections; (rate, rows)."""
    conns: list[psycopg.Connection[object]] = []
    try:
        steps = [plain_worker(url, batch, conns) for _ in range(threads)]
        timed_threads(threads, WARM_UP, lambda n: steps[n])
        rows, elapsed = timed_threads(threads, SECONDS, lambda n: steps[n])
    finally:
        for conn in conns:
            conn.close()
    return rows / elapsed, rows


def append_worker(store: EventStore, tag: str, batch: int) -> Callable[[], int]:
    """Appends `batch` events to a new stream per transaction, with an inbox row."""
    counter = itertools.count()

    def step() -> int:
        stream = f"order-{tag}-{next(counter)}"
        events = [order_placed(f"{stream}-{k}") for k in range(batch)]

        def work(tx: Transaction) -> object:
            tx.record_inbox("bench", uuid4())
            return tx.append(stream, events, 0)

        store.transact(work)
        return batch

    return step


def append_rate(store: EventStore, threads: int, batch: int, tag: str) -> tuple[float, int]:
    """Events per second appended by `threads` writers; (rate, events)."""
    steps = [append_worker(store, f"{tag}{n}", batch) for n in range(threads)]
    timed_threads(threads, WARM_UP, lambda n: steps[n])
    events, elapsed = timed_threads(threads, SECONDS, lambda n: steps[n])
    return events / elapsed, events


def run(env: Env, url: str, store: EventStore) -> None:
    """Measure each plain figure next to its append counterpart, then print the ratios."""
    cases = [("1_conn", "1_writer", 1, 1), ("4_conn", "4_writers", 4, 1),
             ("batch100", "batch100", 1, BATCH)]
    for plain_name, append_name, threads, batch in cases:
        rate, rows = plain_rate(url, threads, batch)
        env.record(f"plain_insert_{plain_name}_rows_per_s", rate, "rows/s",
                   rows=rows, threads=threads, rows_per_tx=batch)
        rate, events = append_rate(store, threads, batch, append_name)
        env.record(f"append_{append_name}_events_per_s", rate, "events/s",
                   events=events, threads=threads, events_per_tx=batch, inbox_row_per_tx=True)
    for plain_name, append_name, _, _ in cases:
        plain = env.results.get(f"plain_insert_{plain_name}_rows_per_s")
        append = env.results.get(f"append_{append_name}_events_per_s")
        if plain and append:
            goal = GOALS[f"append_{append_name}"]
            ratio = append / plain
            env.record(f"append_{append_name}_ratio", ratio, "ratio", goal=goal,
                       met=ratio >= goal)
