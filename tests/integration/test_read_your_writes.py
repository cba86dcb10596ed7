"""The kit's half of read your writes, on a real PostgreSQL: a committed append tells the
store's after-commit hooks the position it reached, and `wait_until_passed` returns as soon
as every projection named has passed that position, or False once its bound is over."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import psycopg

from shared.events.consistency import PositionToken, wait_until_passed
from shared.events.projections import ProjectionGroup, checkpoint_name
from shared.events.store import (
    EventStore,
    NewEvent,
    Position,
    RecordedEvent,
    Row,
    Transaction,
)


class Seen:
    """Which streams the projection has seen."""

    name = "ryw_seen"
    tables: Sequence[str] = ("ryw_seen",)
    schema = "CREATE TABLE IF NOT EXISTS ryw_seen (stream_id text PRIMARY KEY)"

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        conn.execute("INSERT INTO ryw_seen VALUES (%s) ON CONFLICT DO NOTHING", (event.stream_id,))


def _appended(store: EventStore, stream: str) -> Position:
    """Append one event to `stream`, collecting where it reached as a write request does (an
    after-commit hook)."""
    collected: list[Position] = []

    def collect(tx: Transaction) -> None:
        collected.extend(event.commit_position for event in tx.appended)

    store.add_after_commit_hook(collect)
    store.append(stream, [NewEvent("Noted", {"n": 1})], 0)
    assert len(collected) == 1
    return collected[0]


def test_a_committed_append_reports_the_position_of_its_last_event(store: EventStore) -> None:
    position = _appended(store, "ryw-a")
    (event,) = store.read_stream("ryw-a")
    assert position == event.commit_position
    store.append("ryw-b", [NewEvent("Noted", {"n": 1})], 0)  # nobody collects: nothing breaks


def test_a_read_waits_until_the_projection_passed_the_write_and_no_longer(
    store: EventStore,
) -> None:
    projection = Seen()
    store.transact(lambda tx: tx.conn.execute(projection.schema))
    group = ProjectionGroup(store, [projection])
    names = [checkpoint_name(projection)]
    position = _appended(store, "ryw-c")

    started = time.monotonic()
    assert not wait_until_passed(store, names, position, timeout_s=0.3)  # nobody projects
    assert 0.3 <= time.monotonic() - started < 1.0

    later = threading.Timer(0.2, group.step)
    later.start()
    started = time.monotonic()
    try:
        assert wait_until_passed(store, names, position, timeout_s=5.0)
    finally:
        later.join()
    assert time.monotonic() - started < 1.0  # soon after the projection moved, not at the bound
    assert store.query("SELECT stream_id FROM ryw_seen") == [{"stream_id": "ryw-c"}]
    assert wait_until_passed(store, names, position, timeout_s=0.0)  # passed: no wait at all


def test_a_position_no_write_reached_is_not_waited_for(store: EventStore) -> None:
    projection = Seen()
    names = [checkpoint_name(projection)]
    position = _appended(store, "ryw-d")
    beyond = Position(position.tx_id + 1000, position.position + 1000)
    started = time.monotonic()
    assert not wait_until_passed(store, names, beyond, timeout_s=5.0)
    farthest = PositionToken.parse(f"orders:{2**64 - 1}.{2**63 - 1}").position
    assert not wait_until_passed(store, names, farthest, timeout_s=5.0)
    assert time.monotonic() - started < 1.0
