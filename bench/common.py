"""Shared plumbing of the benchmark: servers, temporary databases, reporting, timed loops."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg_pool import ConnectionPool

from shared.events.contracts import CONTRACTS
from shared.events.database import drop_database, open_pool, prepare_service_database
from shared.events.store import EventStore, NewEvent
from shared.events.topology import Topology

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"


def report(name: str, value: float, unit: str, **detail: Any) -> float:
    """Print one figure as a JSON line, at once."""
    line = {"name": name, "value": round(value, 3), "unit": unit, **detail}
    print(json.dumps(line), flush=True)
    return value


def note(message: str) -> None:
    """A progress or error note, on stderr so stdout stays JSON lines."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Env:
    """The servers, this run's names, and everything to clean up at the end."""

    postgres_url: str = field(
        default_factory=lambda: os.environ.get("CNNECT_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    amqp_url: str = field(default_factory=lambda: os.environ.get("CNNECT_AMQP_URL", DEFAULT_AMQP))
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    databases: list[str] = field(default_factory=list)
    pools: list[ConnectionPool] = field(default_factory=list)
    consumers: set[str] = field(default_factory=set)
    results: dict[str, float] = field(default_factory=dict)

    @property
    def topology(self) -> Topology:
        """This run's own RabbitMQ namespace."""
        return Topology(namespace=f"bench-{self.run_id}")

    def database(self, role: str, *schemas: str) -> str:
        """Create a temporary database `bench_<run>_<role>` with the kit tables; its URL."""
        name = f"bench_{self.run_id}_{role}"
        self.databases.append(name)
        return prepare_service_database(self.postgres_url, name, *schemas)

    def pool(self, url: str, size: int = 8) -> ConnectionPool:
        """A connection pool as the services open it (closed at clean-up)."""
        pool = open_pool(url, min_size=min(4, size), max_size=size, name="bench")
        self.pools.append(pool)
        return pool

    def store(self, url: str, size: int = 8) -> EventStore:
        """An event store on its own pool."""
        return EventStore(self.pool(url, size), CONTRACTS)

    def record(self, name: str, value: float, unit: str, **detail: Any) -> float:
        """Report a figure and keep it for the ratios."""
        self.results[name] = report(name, value, unit, **detail)
        return value

    def rate(self, name: str, events: int, elapsed: float, **detail: Any) -> float:
        """Report `events` handled in `elapsed` seconds as a figure in events/s."""
        return self.record(
            name, events / elapsed, "events/s", events=events, seconds=round(elapsed, 3), **detail
        )

    def ratio(self, name: str, figure: str, reference: str, goal: float) -> float | None:
        """Report `figure` / `reference` (both measured earlier in this run) against `goal`;
        None, with a note, when either was not measured (its phase failed)."""
        if figure not in self.results or reference not in self.results:
            note(f"{name} not reported: {figure} or {reference} was not measured in this run")
            return None
        value, met = judged(self.results[figure], self.results[reference], goal)
        return self.record(
            name,
            value,
            "ratio",
            goal=goal,
            met=met,
            figure=figure,
            reference=reference,
            verdict=verdict(met),
        )

    def cleanup(self) -> None:
        """Close pools, drop the databases and delete the namespace's queues and exchanges."""
        for pool in self.pools:
            with suppress(Exception):
                pool.close()
        for name in self.databases:
            try:
                drop_database(self.postgres_url, name)
            except Exception as exc:
                note(f"could not drop database {name}: {exc!r}")
        try:
            self.topology.delete_all(self.amqp_url, sorted(self.consumers))
        except Exception as exc:
            note(f"could not delete namespace {self.topology.namespace}: {exc!r}")


def judged(figure: float, reference: float, goal: float) -> tuple[float, bool]:
    """A figure as a ratio to its reference, and whether it meets a goal given as a ratio
    (a reference of 0 gives 0: nothing can be judged against it)."""
    value = figure / reference if reference > 0 else 0.0
    return value, value >= goal


def verdict(met: bool) -> str:
    """'met' or 'not met', as the ratio lines say it."""
    return "met" if met else "not met"


def order_placed(order_id: str, placed_at: float | None = None) -> NewEvent:
    """An OrderPlaced v2 event with the catalogue's example payload."""
    data: dict[str, Any] = dict(CONTRACTS.contract("OrderPlaced").example, order_id=order_id)
    if placed_at is not None:
        data["placed_at"] = datetime.fromtimestamp(placed_at, UTC).isoformat()
    return NewEvent(
        "OrderPlaced",
        data,
        schema_version=2,
        metadata={"correlation_id": str(uuid.uuid4()), "ordering_key": order_id},
    )


def example_payload() -> dict[str, Any]:
    """The OrderPlaced example (the plain-insert payload: rows as large as the events)."""
    return dict(CONTRACTS.contract("OrderPlaced").example)


def timed_threads(
    threads: int, seconds: float, make_worker: Callable[[int], Callable[[], int]]
) -> tuple[int, float]:
    """Run `threads` workers, each calling its step until time is up; (items, elapsed)."""
    steps = [make_worker(n) for n in range(threads)]
    counts = [0] * threads
    errors: list[BaseException] = []
    start_gate = threading.Barrier(threads + 1)
    deadline = [0.0]

    def loop(n: int) -> None:
        """Call this worker's step until the deadline."""
        step = steps[n]
        start_gate.wait()
        try:
            while time.perf_counter() < deadline[0]:
                counts[n] += step()
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start_gate.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(counts), elapsed


def interleaved(
    variants: dict[str, tuple[int, list[Callable[[], int]]]],
    rounds: int,
    slice_s: float,
    warm_up: float = 0.2,
) -> dict[str, tuple[float, int]]:
    """{name: (items/s, items)} of variants (threads, steps) run in turn, `rounds` times."""
    for threads, steps in variants.values():
        timed_threads(threads, warm_up, steps.__getitem__)
    totals = {name: [0.0, 0.0] for name in variants}
    for _ in range(rounds):
        for name, (threads, steps) in variants.items():
            items, elapsed = timed_threads(threads, slice_s, steps.__getitem__)
            totals[name][0] += items
            totals[name][1] += elapsed
    return {name: (items / elapsed, int(items)) for name, (items, elapsed) in totals.items()}


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.005) -> float:
    """Poll `check` until true; returns when it became true (perf_counter) or raises."""
    deadline = time.perf_counter() + timeout
    while True:
        if check():
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"not done within {timeout:.0f}s")
        time.sleep(interval)


@contextmanager
def phase(title: str) -> Iterator[None]:
    """Note the start and duration of a phase; an error is noted, not raised."""
    note(f"{title} ...")
    started = time.perf_counter()
    try:
        yield
    except Exception as exc:
        note(f"{title} FAILED: {exc!r}")
    else:
        note(f"{title} done in {time.perf_counter() - started:.1f}s")
