"""Our relay and consumer on a three-node RabbitMQ cluster: a node dies (the one the consumer
is connected to, then the one leading most queues) or is cut off, under a steady stream of
orders; every order is applied exactly once and the clients find a live node by themselves.

The cluster and the clients get CNNECT_AMQP_URL's cluster form (the three nodes' URLs,
comma-separated); the database is the shared PostgreSQL (a database of the test's own)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import pytest

from services.gateway.console import Subscription
from shared.events.bus import blocking_connection
from shared.events.contracts import encode_envelope
from shared.events.relay import OutboxRelay
from shared.events.store import EventStore
from shared.events.topology import Topology
from tests.cluster.rabbitmq import RabbitCluster, rabbitmq_cluster
from tests.support.bus import orders_relay, running_consumer, running_relay
from tests.support.infra import Infra
from tests.support.ledger import (
    ROUTING_KEY,
    append_order,
    create_ledger,
    ledger_consumer,
    order_envelope,
    read_ledger,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.cluster

PIKA = "Pika Python Client Library"
# Generous: three nodes, PostgreSQL, a relay and a consumer share two busy cores.
RECOVERY_TIMEOUT_S = 150.0
HEAL_TIMEOUT_S = 300.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitCluster]:
    logs = Path(tmp_path_factory.mktemp("rabbit-cluster-logs"))
    with rabbitmq_cluster(keep_logs=logs) as formed:
        yield formed


@pytest.fixture
def topology(cluster: RabbitCluster, infra: Infra) -> Topology:
    """Our whole topology for the billing consumer on the cluster, in a namespace of its own
    (left there: the cluster is the module's own and removed after it)."""
    topology = Topology(namespace=infra.name("ns"))
    topology.declare_all(cluster.amqp_url, {"billing": [ROUTING_KEY]})
    cluster.wait_healthy(HEAL_TIMEOUT_S)
    return topology


@dataclass
class Orders:
    """A steady stream of placed orders, each appended (acknowledged) at a known time."""

    store: EventStore
    appended: list[tuple[float, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            order_id = f"o-{n:06}"
            append_order(self.store, order_id)
            self.appended.append((time.monotonic(), order_id))
            n += 1
            self.stop.wait(0.05)  # pacing the load (about 20 orders a second), not waiting

    def halt(self) -> None:
        """Place no more orders: the last one is appended when this returns."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    def since(self, moment: float) -> list[str]:
        """The orders appended after `moment`."""
        return [order_id for at, order_id in list(self.appended) if at > moment]


@contextmanager
def placing_orders(store: EventStore) -> Iterator[Orders]:
    orders = Orders(store)
    orders.thread = threading.Thread(target=orders.run, daemon=True)
    orders.thread.start()
    try:
        yield orders
    finally:
        orders.halt()


def applied(store: EventStore, order_ids: list[str]) -> int:
    """How many of `order_ids` the consumer applied."""
    row = store.transact(
        lambda tx: tx.conn.execute(
            "SELECT count(DISTINCT order_id) AS n FROM applied_events WHERE order_id = ANY(%s)",
            (order_ids,),
        ).fetchone()
    )
    assert row is not None
    return int(row["n"])


def carries_on_after(store: EventStore, orders: Orders, failure: float) -> float:
    """Seconds from `failure` until the consumer applied orders appended after it."""
    wait_until(lambda: len(orders.since(failure)) >= 3, "orders are placed after the failure")

    def resumed() -> bool:
        return applied(store, orders.since(failure)[:3]) == 3

    wait_until(resumed, "orders placed after the failure are applied", RECOVERY_TIMEOUT_S, 0.2)
    return time.monotonic() - failure


def consumer_node(cluster: RabbitCluster) -> str:
    """The node our one pika client (the consumer, or the console) is connected to."""
    [node] = [node for node, clients in cluster.client_nodes().items() if PIKA in clients]
    return node


def everything_applied_once(store: EventStore, orders: Orders, cluster: RabbitCluster) -> None:
    """Once no more orders are placed, every order appended is applied, none twice. Checked
    while the relay and the consumer still run: the last orders may still be on their way."""
    orders.halt()
    expected = {order_id for _, order_id in orders.appended}

    def all_there() -> bool:
        return set(read_ledger(store).order_ids) >= expected

    try:
        wait_until(all_there, "every order is applied", RECOVERY_TIMEOUT_S, 0.5)
    except AssertionError as exc:
        missing = sorted(expected - set(read_ledger(store).order_ids))
        columns = ("name", "messages_ready", "messages_unacknowledged", "consumers", "leader")
        raise AssertionError(
            f"{exc}: {len(missing)} of {len(expected)} missing ({missing[:10]}); "
            f"the queues: {cluster.ask('list_queues', *columns)}"
        ) from exc
    ledger = read_ledger(store)
    assert ledger.applied_more_than_once() == {}
    assert set(ledger.order_ids) == expected
    assert ledger.rows == len(expected)


@contextmanager
def orders_flowing(
    cluster: RabbitCluster, store: EventStore, database_url: str, topology: Topology
) -> Iterator[tuple[Orders, OutboxRelay]]:
    """Our relay and consumer on the cluster, orders placed at a steady pace and flowing."""
    create_ledger(store)
    relay = orders_relay(database_url, cluster.amqp_url, topology, batch_size=200)
    consumer = ledger_consumer(
        store=store, amqp_url=cluster.amqp_url, topology=topology, prefetch=20
    )
    with running_relay(relay), running_consumer(consumer), placing_orders(store) as orders:
        wait_until(lambda: applied(store, orders.since(0)[:20]) == 20, "orders flow", 60)
        yield orders, relay


def test_clients_reconnect_to_a_live_node_when_theirs_or_the_queue_leader_dies(
    cluster: RabbitCluster, store: EventStore, database_url: str, topology: Topology
) -> None:
    with orders_flowing(cluster, store, database_url, topology) as (orders, relay):
        victim = consumer_node(cluster)
        cluster.kill(victim)
        killed = time.monotonic()
        recovered = carries_on_after(store, orders, killed)
        survivor = consumer_node(cluster)
        print(f"\nkilled the consumer's node {victim}: orders applied again after {recovered:.1f}s")
        assert survivor != victim
        cluster.start(victim)
        booted = time.monotonic()
        cluster.wait_healthy(HEAL_TIMEOUT_S)
        print(f"{victim} back, cluster whole {time.monotonic() - booted:.1f}s after its boot")

        leader = cluster.leader_of_most_queues()
        cluster.kill(leader)
        killed = time.monotonic()
        recovered = carries_on_after(store, orders, killed)
        print(
            f"killed {leader}, leader of most queues: orders applied again after {recovered:.1f}s"
        )
        assert consumer_node(cluster) != leader
        cluster.start(leader)
        cluster.wait_healthy(HEAL_TIMEOUT_S)
        everything_applied_once(store, orders, cluster)
    print(
        f"{len(orders.appended)} orders, each applied once;"
        f" relay reconnects {relay.stats.reconnects}"
    )


def test_a_node_cut_off_then_back_heals_with_nothing_lost(
    cluster: RabbitCluster, store: EventStore, database_url: str, topology: Topology
) -> None:
    with orders_flowing(cluster, store, database_url, topology) as (orders, _relay):
        cut_off = consumer_node(cluster)
        cluster.pause(cut_off)
        paused = time.monotonic()
        recovered = carries_on_after(store, orders, paused)
        print(
            f"\ncut off the consumer's node {cut_off}: orders applied again after {recovered:.1f}s"
        )
        cluster.resume(cut_off)
        resumed = time.monotonic()
        cluster.wait_healthy(HEAL_TIMEOUT_S)
        print(f"{cut_off} back: cluster whole {time.monotonic() - resumed:.1f}s after it ended")
        everything_applied_once(store, orders, cluster)
    print(f"{len(orders.appended)} orders, each applied once")


def test_a_staff_console_subscription_moves_to_a_live_node_when_its_node_dies(
    cluster: RabbitCluster, topology: Topology
) -> None:
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    sent: set[UUID] = set()

    def publish() -> None:
        envelope = order_envelope(f"console-{len(sent)}", 1)
        with blocking_connection(cluster.amqp_url) as connection:
            channel = connection.channel()
            channel.confirm_delivery()
            key = topology.routing_key("orders.OrderPlaced", envelope.ordering_key)
            channel.basic_publish(topology.exchange, key, encode_envelope(envelope))
        sent.add(envelope.event_id)

    with Subscription.open(cluster.amqp_url, topology) as subscription:
        victim = consumer_node(cluster)
        cluster.kill(victim)
        killed = time.monotonic()
        # Events published while it reconnects are not shown (a live view): publish one each
        # quiet second until one arrives on the subscription's new queue.
        for envelope in subscription.with_pauses():
            if envelope is not None and envelope.event_id in sent:
                break
            assert time.monotonic() < deadline, "the subscription never showed an event again"
            if envelope is None:
                publish()
        print(f"\nconsole subscription shows events {time.monotonic() - killed:.1f}s after")
        assert consumer_node(cluster) != victim
    cluster.start(victim)
    cluster.wait_healthy(HEAL_TIMEOUT_S)
