"""Competing consumers on the real RabbitMQ that keep each order's order: two consumer
processes share a service's partition queues, each active on its own partitions; when one
dies (SIGKILL, its connection gone) the other takes its partitions over, and every order's
events are still applied once each, in the order they were published, by one process at a
time."""

from __future__ import annotations

import dataclasses
import itertools
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shared.events.bus import blocking_connection
from shared.events.contracts import Envelope, encode_envelope
from shared.events.partitions import partition_of
from shared.events.store import EventStore
from shared.events.topology import Topology, persistent_properties
from tests.support.consumer_process import start_consumer_process
from tests.support.infra import Infra
from tests.support.ledger import create_ledger, declare_billing, order_envelope, queue_depth
from tests.support.waiting import wait_until

PARTITIONS = 4
ORDERS = 24
EVENTS_PER_ORDER = 6


def publish(infra: Infra, topology: Topology, envelopes: list[Envelope]) -> None:
    """Publish as the relay does: in order, partition in the key, confirmed."""
    with blocking_connection(infra.amqp_url) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for envelope in envelopes:
            channel.basic_publish(
                topology.exchange,
                topology.routing_key(envelope.routing_key, envelope.ordering_key),
                encode_envelope(envelope),
                properties=persistent_properties(),
                mandatory=True,
            )


@pytest.fixture
def partitioned(topology: Topology) -> Topology:
    return dataclasses.replace(topology, partitions=PARTITIONS)


@contextmanager
def workers_running(
    infra: Infra, database_url: str, topology: Topology, logs: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two consumer processes of the billing service: worker 0 and worker 1 of 2, each
    subscribed to its own partitions before this yields."""
    processes = []
    for index in range(2):
        with (logs / f"worker-{index}.log").open("wb") as log:
            processes.append(
                start_consumer_process(
                    database_url=database_url,
                    amqp_url=infra.amqp_url,
                    namespace=topology.namespace,
                    delivery_limit=topology.delivery_limit,
                    crash_after_first_commit=False,
                    log=log,
                    extra=[
                        *("--partitions", str(topology.partitions), "--prefetch", "5"),
                        *("--worker-index", str(index), "--workers", "2"),
                        *("--standby-delay", "1.0", "--handler-delay", "0.01"),
                    ],
                )
            )
    try:
        for index in range(2):
            log_path = logs / f"worker-{index}.log"
            wait_until(
                lambda path=log_path: "standing by on" in path.read_text(),  # type: ignore[misc]
                f"worker {index} subscribed to its own partitions",
                timeout=30,
            )
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)


def applications(store: EventStore) -> list[dict[str, object]]:
    """Every application of an event, in the order they were applied."""
    return store.transact(
        lambda tx: tx.conn.execute(
            "SELECT event_id, order_id, pid FROM applied_events ORDER BY applied_at"
        ).fetchall()
    )


def test_a_worker_killed_mid_stream_hands_its_partitions_over_and_no_order_is_reordered(
    infra: Infra,
    store: EventStore,
    partitioned: Topology,
    database_url: str,
    tmp_path: Path,
) -> None:
    create_ledger(store)
    declare_billing(partitioned, infra.amqp_url)
    with workers_running(infra, database_url, partitioned, tmp_path) as (first, second):
        order_ids = [f"ord-{n:02d}" for n in range(ORDERS)]
        assert {partition_of(o, PARTITIONS) for o in order_ids} == set(range(PARTITIONS))
        # Round robin over the orders: the events of different orders interleave in each
        # queue, as they do when customers act at the same time.
        envelopes = [
            order_envelope(order_id, version)
            for version in range(1, EVENTS_PER_ORDER + 1)
            for order_id in order_ids
        ]
        version_of = {e.event_id: e.stream_version for e in envelopes}
        total = len(envelopes)
        publish(infra, partitioned, envelopes)

        wait_until(lambda: len(applications(store)) >= total // 3, "a third is applied")
        before_kill = applications(store)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=20) == -signal.SIGKILL
        wait_until(
            lambda: len({r["event_id"] for r in applications(store)}) == total,
            "every event is applied",
            timeout=60,
        )
        wait_until(
            lambda: queue_depth(infra.amqp_url, *partitioned.queues("billing")) == 0,
            "the queues are empty",
        )
        assert second.poll() is None, "the survivor still runs"

    rows = applications(store)
    assert len(rows) == total, "each event applied once (a redelivery is dropped as duplicate)"

    def even(row: dict[str, object]) -> bool:
        """Whether the row's order is in a partition of worker 0 (the killed one)."""
        return partition_of(str(row["order_id"]), PARTITIONS) % 2 == 0

    # Single active consumers: while both lived, each consumed only its own partitions
    # (each stood by on the other's), and the survivor took the dead one's over.
    assert all(even(r) for r in rows if r["pid"] == first.pid)
    assert all(r["pid"] == second.pid for r in rows if not even(r))
    assert any(r["pid"] == first.pid for r in before_kill)
    assert any(r["pid"] == second.pid and even(r) for r in rows), "the partitions failed over"
    # Per order: applied in the published order, by one process at a time: the dead one,
    # then (after the kill) the survivor, never back and forth.
    for order_id in order_ids:
        mine = [r for r in rows if r["order_id"] == order_id]
        versions = [version_of[r["event_id"]] for r in mine]  # type: ignore[index]
        assert versions == list(range(1, EVENTS_PER_ORDER + 1)), order_id
        pids = [r["pid"] for r in mine]
        switches = sum(1 for a, b in itertools.pairwise(pids) if a != b)
        assert switches == 0 or (switches == 1 and pids[0] == first.pid), (order_id, pids)
