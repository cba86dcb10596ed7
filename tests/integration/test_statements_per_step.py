"""What the kit's hot paths cost in SQL statements, counted by `pg_stat_statements` on a private
server: a projection step that finds nothing opens no transaction, a batch is one transaction
whose checkpoints move in one statement, the order details write a batch in two statements, a
message its handler ignores costs its inbox row alone, and a keyed write's mark rides on its
append (issue 19: statements per order lifecycle)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg
import pytest

from services.orders.adapters.projections import OrderDetails
from shared.config import with_database
from shared.events import errors
from shared.events.contracts import CONTRACTS
from shared.events.database import open_pool, prepare_service_database
from shared.events.projections import Outcome, ProjectionGroup, ProjectionRunner
from shared.events.store import EventStore, NewEvent, RecordedEvent, Row, Transaction
from shared.events.topology import Topology
from tests.support.bus import orders_relay, running_relay
from tests.support.infra import Infra
from tests.support.ledger import placed_order, relay_checkpoint, relay_lag
from tests.support.private_postgres import private_postgres
from tests.support.waiting import wait_until


@dataclass
class Counted:
    """A database on a server that counts statements, and its event store."""

    admin_url: str
    database: str
    store: EventStore

    def reset(self) -> None:
        """Forget the statements counted so far (on the whole private server)."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")

    def calls(self) -> dict[str, int]:
        """Statements run in the database since `reset`: calls by normalised text."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT s.query, s.calls FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
                (self.database,),
            ).fetchall()
        return {str(query): int(calls) for query, calls in rows}


def _total(calls: dict[str, int], containing: str = "") -> int:
    return sum(n for query, n in calls.items() if containing in query)


@pytest.fixture(scope="module")
def counted() -> Iterator[Counted]:
    with private_postgres("shared_preload_libraries = 'pg_stat_statements'") as server:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        url = prepare_service_database(server.url, "counted")
        pool = open_pool(url, max_size=4)
        try:
            yield Counted(
                with_database(server.url, "postgres"), "counted", EventStore(pool, CONTRACTS)
            )
        finally:
            pool.close()


class Noted:
    """One row per event: a projection of one statement per event."""

    name = "noted_events"
    tables: Sequence[str] = ("noted_events",)
    schema = "CREATE TABLE IF NOT EXISTS noted_events (event_id uuid PRIMARY KEY)"

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        conn.execute("INSERT INTO noted_events VALUES (%s)", (event.event_id,))


def _caught_up_group(counted: Counted) -> ProjectionGroup:
    runner = ProjectionRunner(counted.store, Noted())
    runner.reset()
    group = ProjectionGroup(counted.store, [Noted()])
    while group.step() != (0, Outcome.CAUGHT_UP):
        pass
    return group


def test_a_projection_step_that_finds_nothing_opens_no_transaction(counted: Counted) -> None:
    group = _caught_up_group(counted)
    counted.reset()
    for _ in range(3):
        assert group.step() == (0, Outcome.CAUGHT_UP)
    calls = counted.calls()
    assert _total(calls, "BEGIN") == _total(calls, "COMMIT") == 0
    assert _total(calls) == 3  # the read, which also says whether events are held back


def test_a_batch_is_one_transaction_whose_checkpoint_moves_with_its_rows(counted: Counted) -> None:
    group = _caught_up_group(counted)
    stream = f"noted-{uuid.uuid4().hex[:6]}"
    counted.store.append(stream, [NewEvent("Noted", {"n": n}) for n in range(3)], 0)
    counted.reset()
    assert group.step() == (3, Outcome.CAUGHT_UP)
    calls = counted.calls()
    assert _total(calls, "BEGIN") == _total(calls, "COMMIT") == 1
    assert _total(calls, "INSERT INTO noted_events") == 3
    # BEGIN and COMMIT, the read (outside the transaction), the checkpoint's move, the rows.
    assert _total(calls) == 2 + 1 + 1 + 3


def test_a_step_after_a_batch_reads_and_moves_its_checkpoint_in_one_statement(
    counted: Counted,
) -> None:
    group = _caught_up_group(counted)
    stream = f"noted-{uuid.uuid4().hex[:6]}"
    counted.store.append(stream, [NewEvent("Noted", {"n": 0})], 0)
    assert group.step() == (1, Outcome.CAUGHT_UP)
    counted.store.append(stream, [NewEvent("Noted", {"n": n}) for n in range(1, 4)], 1)
    counted.reset()
    assert group.step() == (3, Outcome.CAUGHT_UP)  # as after news of an append
    calls = counted.calls()
    assert _total(calls, "BEGIN") == _total(calls, "COMMIT") == 1
    assert _total(calls) == 2 + 1 + 3  # BEGIN and COMMIT, the read and move, the rows
    # One that then finds nothing writes nothing; the next reads first, in autocommit.
    counted.reset()
    assert group.step() == (0, Outcome.CAUGHT_UP)
    assert group.step() == (0, Outcome.CAUGHT_UP)
    assert _total(counted.calls()) == 3 + 1


@pytest.mark.parametrize("found_events_before", [False, True])
def test_a_rebuild_meanwhile_makes_the_live_step_start_again_from_its_checkpoint(
    counted: Counted, found_events_before: bool
) -> None:
    group = _caught_up_group(counted)
    if found_events_before:  # its next step reads in its transaction (see the test above)
        counted.store.append(f"noted-{uuid.uuid4().hex[:6]}", [NewEvent("Noted", {"n": 0})], 0)
        assert group.step() == (1, Outcome.CAUGHT_UP)
    counted.store.append(f"noted-{uuid.uuid4().hex[:6]}", [NewEvent("Noted", {"n": 1})], 0)
    rebuilder = ProjectionRunner(counted.store, Noted())
    rebuilder.rebuild()  # another runner moved the checkpoint the group remembers
    counted.store.append(f"noted-{uuid.uuid4().hex[:6]}", [NewEvent("Noted", {"n": 2})], 0)
    assert group.step() == (0, Outcome.RACED)
    assert group.step() == (1, Outcome.CAUGHT_UP)
    assert rebuilder.lag() == 0
    live = rebuilder.snapshot()
    rebuilder.rebuild()
    assert rebuilder.snapshot() == live


def test_order_details_write_a_batch_of_orders_in_two_statements(counted: Counted) -> None:
    details = OrderDetails()
    runner = ProjectionRunner(counted.store, details)
    runner.reset()
    runner.catch_up()
    orders = [f"ord-{uuid.uuid4().hex[:8]}" for _ in range(20)]
    for order_id in orders:
        counted.store.append(f"order-{order_id}", [placed_order(order_id)], 0)
    counted.reset()
    assert runner.catch_up() == 20
    calls = counted.calls()
    assert _total(calls, "FROM order_details") == 1  # every document of the batch, read once
    assert _total(calls, "INSERT INTO order_details") == 1  # both tables, one statement
    live = runner.snapshot()
    assert len(live["order_details"]) >= 20 and live["order_items"]
    runner.rebuild()
    assert runner.snapshot() == live


def test_a_message_its_handler_ignores_costs_its_inbox_row_alone(counted: Counted) -> None:
    message_id = uuid.uuid4()
    counted.reset()
    counted.store.transact(lambda tx: tx.record_inbox("ignorer", message_id))
    calls = counted.calls()
    assert _total(calls) == _total(calls, "INSERT INTO inbox") == 1
    with pytest.raises(errors.DuplicateMessageError):
        counted.store.transact(lambda tx: tx.record_inbox("ignorer", message_id))


def test_a_riders_statement_runs_in_the_first_append_that_inserts(counted: Counted) -> None:
    with psycopg.connect(with_database(counted.admin_url, counted.database), autocommit=True) as c:
        c.execute("CREATE TABLE IF NOT EXISTS marks (mark text PRIMARY KEY, events int)")
    mark = uuid.uuid4().hex
    rider_sql = "INSERT INTO marks SELECT %(mark)s, count(*) FROM appended HAVING count(*) > 0"
    store = EventStore(counted.store.pool, CONTRACTS)
    store.add_append_rider(lambda: (rider_sql, {"mark": mark}))
    stream = f"ridden-{uuid.uuid4().hex[:6]}"

    def work(tx: Transaction) -> None:
        with contextlib.suppress(errors.ConcurrencyError):
            tx.append(stream, [NewEvent("Noted", {"n": 0})], 5)  # refused: the stream is new
        tx.append(stream, [NewEvent("Noted", {"n": n}) for n in range(2)], 0)
        tx.append(stream, [NewEvent("Noted", {"n": 2})], 2)

    counted.reset()
    store.transact(work)
    calls = counted.calls()
    # Carried by the refused append and by the one that inserted; the next carries nothing.
    assert _total(calls, "INSERT INTO marks") == 2
    assert _total(calls) == 2 + 3  # BEGIN, COMMIT and the three appends
    with psycopg.connect(with_database(counted.admin_url, counted.database)) as c:
        rows = c.execute("SELECT events FROM marks WHERE mark = %s", (mark,)).fetchall()
    assert rows == [(2,)]  # once, by the append that inserted, not by the refused one


def test_the_relay_spends_one_statement_a_batch_and_an_idle_relay_still_saves_its_checkpoint(
    counted: Counted, infra: Infra, topology: Topology
) -> None:
    url = with_database(counted.admin_url, counted.database)
    # A queue for what it publishes (the fixture deletes the "probe" queues afterwards).
    topology.declare_all(infra.amqp_url, {"probe": ["orders.OrderPlaced"]})
    relay = orders_relay(url, infra.amqp_url, topology, batch_size=10)
    with running_relay(relay):
        wait_until(lambda: relay.stats.polls > 0, "the relay reads")
        caught_up = relay_checkpoint(counted.store)
        counted.reset()
        for order_id in [f"ord-{uuid.uuid4().hex[:8]}" for _ in range(25)]:
            counted.store.append(f"order-{order_id}", [placed_order(order_id)], 0)
        # Saved soon after the relay fell idle, though nothing was appended since.
        wait_until(lambda: relay_lag(counted.store) == 0, "the checkpoint reaches the head")
    assert relay_checkpoint(counted.store) > caught_up
    calls = counted.calls()
    reads = _total(calls, "WITH saved AS")
    # Each read saves the checkpoint of the batch before: the batches of 25 appends, at most
    # one each, and one more read (of nothing) that saves the last; nothing else in between.
    assert reads <= 25 + 1 and relay.stats.batches >= 3
    saved_alone = sum(
        n
        for query, n in calls.items()
        if "INSERT INTO checkpoints" in query and "batch" not in query
    )
    assert saved_alone == 0
