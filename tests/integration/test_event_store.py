"""The event store against the real PostgreSQL: its contract (tests/support/store_contract.py),
and what only PostgreSQL shows: late commits, the horizon, stored rows, the pool."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter

import psycopg
import pytest
from psycopg.rows import dict_row

from shared.config import with_database
from shared.events.contracts import CONTRACTS
from shared.events.database import drop_database, open_pool, prepare_service_database
from shared.events.store import START, EventStore, NewEvent, Position, Transaction
from tests.support.infra import Infra
from tests.support.store_contract import EventStoreContract, noted


class TestPostgresEventStore(EventStoreContract):
    """The contract on PostgreSQL (the `store` fixture of tests/support/fixtures.py)."""


def test_old_schema_versions_are_never_rewritten(store: EventStore, database_url: str) -> None:
    v1 = CONTRACTS.contract("OrderPlaced").old_examples[1]
    store.append("order-old", [NewEvent("OrderPlaced", v1, schema_version=1)], 0)
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        row = conn.execute("SELECT schema_version, data FROM events").fetchone()
    assert row is not None and row["schema_version"] == 1 and "customer" in row["data"]


def test_read_all_never_skips_an_event_that_commits_late(
    store: EventStore, database_url: str
) -> None:
    """Writer A takes a position first, B commits after it, a reader reads, then A commits."""
    rng = random.Random(7)
    delivered: list[str] = []
    after = START
    expected: list[str] = []
    with psycopg.connect(database_url) as a, psycopg.connect(database_url) as b:
        for round_no in range(200):
            first, second = (a, b) if rng.random() < 0.5 else (b, a)
            ids = [f"{round_no}-first", f"{round_no}-second"]
            _raw_append(first, ids[0])  # takes a position, stays open
            _raw_append(second, ids[1])
            if rng.random() < 0.5:
                second.commit()
                after = _drain(store, after, delivered)
                first.commit()
            else:
                after = _drain(store, after, delivered)
                first.commit()
                second.commit()
            expected.extend(ids)
            if rng.random() < 0.3:
                after = _drain(store, after, delivered)
    # Another test run's open transaction anywhere in the cluster may hold the horizon back
    # for a moment: wait for the rest rather than reading once.
    deadline = time.monotonic() + 30
    while len(delivered) < 400 and time.monotonic() < deadline:
        after = _drain(store, after, delivered)
        time.sleep(0.05)
    duplicated = sorted(e for e, n in Counter(delivered).items() if n > 1)
    missing = sorted(set(expected) - set(delivered))
    assert (duplicated, missing) == ([], [])
    assert len(delivered) == 400


def _raw_append(conn: psycopg.Connection[tuple[object, ...]], stream: str) -> None:
    conn.execute(
        "INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata) "
        "VALUES (%s, 1, %s, 'Noted', 1, '{}', '{}')",
        (stream, uuid.uuid4()),
    )


def _drain(store: EventStore, after: Position, into: list[str]) -> Position:
    for event in store.iter_all(after, batch=7):
        into.append(event.stream_id)
        after = event.commit_position
    return after


def test_read_all_orders_transaction_ids_as_numbers_across_digit_boundaries(
    store: EventStore, database_url: str
) -> None:
    """Transaction ids across a digit boundary (99998..100001 on a server that has seen that
    many) come back in numeric order, none skipped by batching."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
        assert row is not None
        current = int(row[0])
        # The largest boundary this server has passed: ids above the current one would be
        # (rightly) invisible to a reader, as transactions still to come.
        boundary = 10 ** (len(str(current - 2)) - 1)
        assert boundary >= 100, f"a fresh server at transaction {current}"
        ids = [boundary - 2, boundary - 1, boundary, boundary + 1]
        for n, tx_id in enumerate((ids[3], ids[0], ids[2], ids[1])):
            conn.execute(
                "INSERT INTO events (tx_id, stream_id, version, event_id, type, schema_version, "
                "data, metadata) VALUES (%s::text::xid8, %s, 1, %s, 'Noted', 1, '{}', '{}')",
                (str(tx_id), f"s{n}", uuid.uuid4()),
            )
    events = list(store.iter_all(batch=2))
    assert [e.tx_id for e in events] == ids


def test_a_write_transaction_in_another_database_does_not_hold_readers_back(
    store: EventStore, infra: Infra
) -> None:
    other = infra.name("other")
    prepare_service_database(infra.postgres_url, other)
    try:
        with psycopg.connect(with_database(infra.postgres_url, other)) as elsewhere:
            _raw_append(elsewhere, "elsewhere")  # an open write transaction in another database
            store.append("here", [noted()], 0)
            assert [e.stream_id for e in store.read_all()] == ["here"]
            elsewhere.rollback()
    finally:
        drop_database(infra.postgres_url, other)


def test_an_open_write_transaction_in_the_same_database_holds_readers_back(
    store: EventStore, database_url: str
) -> None:
    with psycopg.connect(database_url) as early:
        _raw_append(early, "early")  # takes its transaction id first, commits last
        store.append("late", [noted()], 0)
        assert store.read_all() == []
        early.commit()
    assert [e.stream_id for e in store.read_all()] == ["early", "late"]


def test_a_read_outside_a_transaction_leaves_the_pooled_connection_transactional(
    database_url: str,
) -> None:
    # One connection in the pool: the transaction after the read gets the very same one.
    pool = open_pool(database_url, max_size=1)
    try:
        store = EventStore(pool, CONTRACTS)
        store.append("read-1", [noted(1)], 0)
        rows = store.query("SELECT stream_id FROM events WHERE stream_id = %s", ("read-1",))
        assert [row["stream_id"] for row in rows] == ["read-1"]

        def append_then_fail(tx: Transaction) -> None:
            tx.append("read-2", [noted(2)], 0)
            raise RuntimeError("the request failed")

        with pytest.raises(RuntimeError):
            store.transact(append_then_fail)
        assert store.stream_version("read-2") == 0
        # And code that uses a pooled connection without `transaction()` gets what it expects.
        with pool.connection() as conn:
            assert conn.autocommit is False
    finally:
        pool.close()
