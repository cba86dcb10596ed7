"""A service's projections advance together (one read and one transaction per batch for all),
and each still equals itself rebuilt from zero: also when one of them is rebuilt by another
process while the group keeps it live, so the group holds projections at different places.
A projection that folds whole batches (BatchProjection) ends with the rows of its per-event
twin."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

import psycopg

from shared.events.appends import AppendListener
from shared.events.projections import Outcome, Projection, ProjectionGroup, ProjectionRunner
from shared.events.store import EventStore, NewEvent, RecordedEvent, Row
from tests.support.runners import watched_loop
from tests.support.waiting import wait_until

STREAMS = 40
EVENTS_PER_STREAM = 15


class StreamCounts:
    """Events per stream, and the last version seen (an event applied twice shows)."""

    name = "group_stream_counts"
    tables: Sequence[str] = ("group_stream_counts",)
    schema = (
        "CREATE TABLE IF NOT EXISTS group_stream_counts "
        "(stream_id text PRIMARY KEY, events integer NOT NULL, last_version integer NOT NULL)"
    )

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        conn.execute(
            "INSERT INTO group_stream_counts VALUES (%s, 1, %s) ON CONFLICT (stream_id) DO "
            "UPDATE SET events = group_stream_counts.events + 1, "
            "last_version = excluded.last_version",
            (event.stream_id, event.version),
        )


class TypeCounts:
    """Events per type."""

    name = "group_type_counts"
    tables: Sequence[str] = ("group_type_counts",)
    schema = (
        "CREATE TABLE IF NOT EXISTS group_type_counts "
        "(type text PRIMARY KEY, events integer NOT NULL)"
    )

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        conn.execute(
            "INSERT INTO group_type_counts VALUES (%s, 1) ON CONFLICT (type) DO "
            "UPDATE SET events = group_type_counts.events + 1",
            (event.type,),
        )


class BatchedStreamCounts:
    """StreamCounts again, written one statement per batch (a BatchProjection)."""

    name = "group_stream_counts_batched"
    tables: Sequence[str] = ("group_stream_counts_batched",)
    schema = (
        "CREATE TABLE IF NOT EXISTS group_stream_counts_batched "
        "(stream_id text PRIMARY KEY, events integer NOT NULL, last_version integer NOT NULL)"
    )

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        raise AssertionError("the runner folds a BatchProjection's events with apply_batch")

    def apply_batch(self, conn: psycopg.Connection[Row], events: Sequence[RecordedEvent]) -> None:
        self.batch_sizes.append(len(events))
        folded: dict[str, list[int]] = {}
        for event in events:
            counted = folded.setdefault(event.stream_id, [0, 0])
            counted[0] += 1
            counted[1] = event.version
        conn.execute(
            "INSERT INTO group_stream_counts_batched "
            "SELECT * FROM unnest(%s::text[], %s::int[], %s::int[]) ON CONFLICT (stream_id) DO "
            "UPDATE SET events = group_stream_counts_batched.events + excluded.events, "
            "last_version = excluded.last_version",
            (list(folded), [c[0] for c in folded.values()], [c[1] for c in folded.values()]),
        )


def _append_streams(store: EventStore, prefix: str) -> None:
    for version in range(EVENTS_PER_STREAM):
        for n in range(STREAMS):
            kind = "Opened" if version == 0 else ("Noted" if n % 2 else "Changed")
            store.append(f"{prefix}-{n}", [NewEvent(kind, {"n": n})], version)


def test_grouped_projections_equal_their_rebuilds_even_when_one_is_rebuilt_meanwhile(
    store: EventStore, database_url: str
) -> None:
    batched = BatchedStreamCounts()
    projections: list[Projection] = [StreamCounts(), TypeCounts(), batched]
    runners = [ProjectionRunner(store, p) for p in projections]
    for runner in runners:
        runner.reset()
    group = ProjectionGroup(store, projections)
    listener = AppendListener(database_url)
    waiter = listener.waiter()
    writers = [
        threading.Thread(target=_append_streams, args=(store, f"w{k}-{uuid.uuid4().hex[:4]}"))
        for k in range(3)
    ]
    with (
        watched_loop("append listener", listener.run),
        watched_loop("projection group", lambda stop: group.run(stop, waiter)),
    ):
        for writer in writers:
            writer.start()
        writers[0].join()
        # Another process rebuilds one projection while the group keeps both live.
        runners[1].rebuild()
        for writer in writers[1:]:
            writer.join()
        total = 3 * STREAMS * EVENTS_PER_STREAM
        wait_until(lambda: all(r.lag() == 0 for r in runners), "both caught up", timeout=60)
        live = [runner.snapshot() for runner in runners]
    counts = live[0]["group_stream_counts"]
    assert len(counts) == 3 * STREAMS
    assert all(events == EVENTS_PER_STREAM == last for _, events, last in counts)
    assert sum(events for _, events in live[1]["group_type_counts"]) == total
    # The batched projection has the per-event one's rows, and did write batches.
    assert live[2]["group_stream_counts_batched"] == counts
    assert max(batched.batch_sizes) > 1
    for runner, snapshot in zip(runners, live, strict=True):
        runner.rebuild()
        assert runner.snapshot() == snapshot


def test_a_group_waits_for_events_held_back_by_an_open_transaction_and_then_catches_up(
    store: EventStore,
) -> None:
    projections: list[Projection] = [StreamCounts(), TypeCounts()]
    runners = [ProjectionRunner(store, p) for p in projections]
    for runner in runners:
        runner.reset()
    group = ProjectionGroup(store, projections)
    prefix = f"held-{uuid.uuid4().hex[:6]}"
    store.append(f"{prefix}-1", [NewEvent("Opened", {"n": 1})], 0)
    with store.transaction() as open_tx:
        # Appends, then stays open while a later transaction commits an event of its own:
        # that event is above the horizon until this one ends.
        open_tx.append(f"{prefix}-2", [NewEvent("Opened", {"n": 2})], 0)
        store.append(f"{prefix}-3", [NewEvent("Opened", {"n": 3})], 0)
        assert group.step() == (1, Outcome.HELD_BACK), "the later event waits, and it says so"
        assert group.step() == (0, Outcome.HELD_BACK)
    assert group.step() == (2, Outcome.CAUGHT_UP)
    assert group.step() == (0, Outcome.CAUGHT_UP)
