"""The broker crashes while orders are being placed and comes back a few seconds later:
placing orders never fails meanwhile (the events wait in the outbox), and once the broker is
back every order is applied by the consumer, none lost and none twice.

The broker is a private RabbitMQ node of this module (tests.support.private_rabbitmq), killed
with SIGKILL (every process of the node) and booted again on the same data; the shared broker
other tests use is never touched.

An idle relay whose broker closed its connection meets a closed channel (aiormq's
ChannelInvalidStateError, a RuntimeError) at its next publish: it must reconnect, not die."""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from shared.events.store import EventStore
from shared.events.topology import Topology
from tests.support.appender import OrderAppender
from tests.support.bus import orders_relay
from tests.support.infra import Infra
from tests.support.ledger import (
    CONSUMER,
    append_order,
    create_ledger,
    declare_billing,
    inbox_ids,
    ledger_consumer,
    partition_markers,
    queue_depth,
    read_ledger,
    relay_lag,
)
from tests.support.private_rabbitmq import (
    PrivateRabbitMQ,
    PrivateRabbitMQUnavailable,
    private_rabbitmq,
)
from tests.support.runners import watched_consumer, watched_relay
from tests.support.waiting import wait_until

TOTAL = 500
KILL_AFTER = 150  # appended (and flowing through the broker) before it crashes
DOWN_APPENDS = 100  # appended while it is down, at least
RESUME_AT = 400  # the rest is appended only once it is back
MIN_OUTAGE = 3.0  # seconds the broker stays down, at least (then it takes seconds to boot)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRabbitMQ]:
    """A private node for this module; its logs are copied under pytest's tmp dir at the end."""
    logs = tmp_path_factory.mktemp("private-rabbitmq")
    try:
        with private_rabbitmq() as node:
            try:
                yield node
            finally:
                node.save_logs(logs)
    except PrivateRabbitMQUnavailable as exc:
        pytest.skip(f"cannot start a private RabbitMQ node here: {exc}")


@pytest.fixture
def fresh_topology(infra: Infra, broker: PrivateRabbitMQ) -> Topology:
    """The billing queue of this test on the private node, persisted by the node."""
    topology = Topology(namespace=infra.name("ns"), delivery_limit=3)
    declare_billing(topology, broker.amqp_url)
    # The queues exist before any crash, as in production: have the node persist them first.
    broker.restart_app()
    return topology


def test_an_idle_relay_whose_broker_restarted_publishes_the_next_event(
    store: EventStore, database_url: str, broker: PrivateRabbitMQ, fresh_topology: Topology
) -> None:
    relay = orders_relay(
        database_url,
        broker.amqp_url,
        fresh_topology,
        max_backoff=0.5,
    )
    with watched_relay(relay) as relay_run:
        append_order(store, f"ord-before-{uuid.uuid4().hex[:6]}")
        wait_until(
            lambda: relay_run.alive() and relay.stats.published == 1, "the first order is published"
        )
        # The broker closes every connection (CONNECTION_FORCED) while the relay is idle.
        broker.restart_app()
        append_order(store, f"ord-after-{uuid.uuid4().hex[:6]}")
        wait_until(
            lambda: relay_run.alive() and relay.stats.published == 2,
            "the order placed after the broker restart is published",
            timeout=30,
        )
    assert queue_depth(broker.amqp_url, *fresh_topology.queues(CONSUMER)) == 2


@pytest.mark.slow
def test_orders_placed_while_the_broker_is_down_are_all_applied_exactly_once_when_it_is_back(
    store: EventStore,
    database_url: str,
    broker: PrivateRabbitMQ,
    fresh_topology: Topology,
    record_property: Callable[[str, object], None],
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    topology = fresh_topology
    create_ledger(store)
    order_ids = [f"ord-{n:03}-{uuid.uuid4().hex[:6]}" for n in range(TOTAL)]
    appender = OrderAppender(
        store, order_ids, rng, allowed=RESUME_AT, pause_probability=1.0, max_pause=0.008
    )
    relay = orders_relay(
        database_url,
        broker.amqp_url,
        topology,
        batch_size=100,
        idle_wait=0.01,
        max_backoff=0.5,
    )
    consumer = ledger_consumer(store=store, amqp_url=broker.amqp_url, topology=topology)
    context = f"(seed {seed}, node {broker.node}: logs in <basetemp>/private-rabbitmq*)"

    with watched_relay(relay) as relay_run, watched_consumer(consumer) as consumer_run:

        def alive() -> bool:
            relay_run.check()
            consumer_run.check()
            return True

        appender.start()
        wait_until(
            lambda: alive() and appender.appended >= KILL_AFTER and read_ledger(store).rows > 0,
            f"orders flow through the broker {context}",
        )
        applied_before = read_ledger(store).rows
        at_kill = appender.appended
        broker.kill()
        killed_at = time.monotonic()

        wait_until(
            lambda: (
                alive()
                and (appender.appended >= at_kill + DOWN_APPENDS or appender.error is not None)
            ),
            f"orders are still placed while the broker is down {context}",
        )
        assert appender.error is None, f"an append failed without a broker: {appender.error!r}"
        time.sleep(max(0.0, MIN_OUTAGE - (time.monotonic() - killed_at)))  # the outage itself
        at_restart = appender.appended
        broker.start()
        appender.allow(TOTAL)

        appender.join(timeout=60)
        assert appender.error is None, f"an append failed {context}: {appender.error!r}"
        assert appender.appended == TOTAL
        # FIFO from here on in each partition: once an order appended last is applied in every
        # partition, every publish before it (re-publishes of unconfirmed batches included)
        # has been consumed.
        markers = partition_markers(topology)
        for marker in markers:
            append_order(store, marker)
        try:
            wait_until(
                lambda: alive() and set(markers) <= set(read_ledger(store).order_ids),
                f"the marker order is applied after the outage {context}",
                timeout=90,
            )
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}; relay {relay.stats}, relay lag {relay_lag(store)}, consumer "
                f"{consumer.stats}, ledger rows {read_ledger(store).rows}"
            ) from exc
        # The relay saves its checkpoint with its next read, at the latest SAVE_WITHIN_S after
        # it fell idle.
        wait_until(
            lambda: relay_lag(store) == 0, f"the relay's checkpoint reaches the head {context}"
        )

    ledger = read_ledger(store)
    record_property("appended_while_down", at_restart - at_kill)
    record_property("duplicates_absorbed_by_inbox", consumer.stats.duplicate)
    record_property("relay_reconnects", relay.stats.reconnects)
    print(
        f"{at_restart - at_kill} orders placed while the broker was down; relay reconnects "
        f"{relay.stats.reconnects}; the inbox absorbed {consumer.stats.duplicate} duplicate "
        f"deliveries; seed {seed}"
    )
    assert at_restart - at_kill >= DOWN_APPENDS
    assert 0 < applied_before < TOTAL
    assert relay.stats.reconnects >= 1, "the relay noticed the crash and reconnected"
    assert ledger.applied_more_than_once() == {}, context
    assert ledger.rows == ledger.distinct == TOTAL + len(markers), context
    assert set(ledger.order_ids) == {*order_ids, *markers}, context
    assert len(inbox_ids(store)) == TOTAL + len(markers)
    assert consumer.stats.dead_lettered == 0
    assert queue_depth(broker.amqp_url, *topology.queues(CONSUMER)) == 0
    assert queue_depth(broker.amqp_url, topology.dead_letter_queue(CONSUMER)) == 0
