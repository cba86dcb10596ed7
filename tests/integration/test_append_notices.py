"""The relay and the projection runners learn of new events from PostgreSQL's notices, not by
polling: an append is published and projected at once even when the fallback poll is far
away, an event held back behind a transaction that appends nothing is still read soon, and a
lost listening connection only costs latency until it comes back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg

from shared.events.appends import APPENDED_CHANNEL, AppendListener
from shared.events.projections import ProjectionRunner
from shared.events.relay import OutboxRelay
from shared.events.store import EventStore, RecordedEvent, Row
from shared.events.topology import Topology
from tests.support.bus import orders_relay
from tests.support.infra import Infra
from tests.support.ledger import placed_order
from tests.support.runners import watched_loop, watched_relay
from tests.support.waiting import wait_until

FAR = 30.0  # the fallback bound in these tests: only a notice can wake a reader sooner
SOON = 3.0  # what "at once" must mean on a busy 2-core machine


class PlacedOrders:
    """A projection of the order ids placed (one row each)."""

    name = "placed_orders_notices"
    tables: Sequence[str] = ("notice_orders",)
    schema = "CREATE TABLE IF NOT EXISTS notice_orders (order_id text PRIMARY KEY)"

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        conn.execute("INSERT INTO notice_orders VALUES (%s)", (event.data["order_id"],))


def _place(store: EventStore) -> str:
    order_id = f"ord-{uuid.uuid4().hex[:8]}"
    store.append(f"order-{order_id}", [placed_order(order_id)], 0)
    return order_id


def _projected(store: EventStore) -> set[str]:
    rows = store.transact(
        lambda tx: tx.conn.execute("SELECT order_id FROM notice_orders").fetchall()
    )
    return {row["order_id"] for row in rows}


def _relay(infra: Infra, database_url: str, topology: Topology) -> OutboxRelay:
    topology.declare_all(infra.amqp_url, {"billing": ["orders.OrderPlaced"]})
    return orders_relay(
        database_url,
        infra.amqp_url,
        topology,
        fallback_s=FAR,
    )


@contextmanager
def _live_projection(store: EventStore, listener: AppendListener) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(store, PlacedOrders())
    runner.reset()
    waiter = listener.waiter()
    # The listener is stopped first (contexts exit in reverse): its end wakes the projection's
    # waiter, which then sees its own stop at once instead of at the fallback bound (30 s).
    with (
        watched_loop("projection", lambda stop: runner.run(stop, waiter)),
        watched_loop("append listener", listener.run),
    ):
        yield runner


def _terminate_listeners(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = %s",
            (f"LISTEN {APPENDED_CHANNEL}",),
        ).fetchone()
    return int(row[0]) if row else 0


def test_an_appended_event_is_published_at_once_and_an_idle_relay_stops_querying(
    infra: Infra, store: EventStore, database_url: str, topology: Topology
) -> None:
    relay = _relay(infra, database_url, topology)
    with watched_relay(relay) as watched:
        wait_until(lambda: watched.alive() and relay.stats.polls >= 1, "the relay read once")
        time.sleep(1.0)
        polls_before = relay.stats.polls
        time.sleep(2.0)
        # Idle, it waits for a notice: no query for two seconds (it used to poll every 25 ms).
        assert relay.stats.polls == polls_before
        began = time.monotonic()
        _place(store)
        wait_until(lambda: watched.alive() and relay.stats.published == 1, "published", SOON)
        assert time.monotonic() - began < SOON


def test_an_event_held_back_by_a_transaction_that_appends_nothing_is_still_published(
    infra: Infra, store: EventStore, database_url: str, topology: Topology
) -> None:
    relay = _relay(infra, database_url, topology)
    with (
        watched_relay(relay) as watched,
        psycopg.connect(database_url) as blocker,
    ):
        wait_until(lambda: watched.alive() and relay.stats.polls >= 1, "the relay read once")
        # An open transaction with an id (it may still append): events after it wait.
        blocker.execute("SELECT pg_current_xact_id()")
        _place(store)
        time.sleep(0.5)
        assert relay.stats.published == 0  # held back behind the open transaction
        began = time.monotonic()
        blocker.commit()  # appends nothing, so notifies nobody
        wait_until(lambda: watched.alive() and relay.stats.published == 1, "published", SOON)
        assert time.monotonic() - began < SOON


def test_a_projection_follows_appends_at_once_and_outlives_a_lost_listening_connection(
    store: EventStore, database_url: str
) -> None:
    listener = AppendListener(database_url, fallback_s=FAR)
    with _live_projection(store, listener):
        wait_until(listener.listening.is_set, "the listener listens")
        placed: set[str] = set()

        def shows_all() -> bool:
            return _projected(store) == placed

        for _ in range(3):
            placed.add(_place(store))
            wait_until(shows_all, "the projection shows every order", SOON)
        # The listening connection dies: appends still reach the projection (it polls until
        # the listener is back), and after that notices wake it again.
        assert _terminate_listeners(database_url) == 1
        placed.add(_place(store))
        wait_until(shows_all, "the order placed while nobody listened", SOON)
        wait_until(listener.listening.is_set, "the listener listens again", 10)
        placed.add(_place(store))
        wait_until(shows_all, "the order placed after the listener came back", SOON)
