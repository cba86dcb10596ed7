"""The outbox relay killed with SIGKILL, again and again, while orders are being placed:
every integration event still reaches the consumer, and each is applied exactly once.

The relay runs as a real OS process (`python -m tests.support.relay_process`), so a kill
lands anywhere: between reading a batch and publishing it, with confirms in flight, between
the last confirm and the checkpoint update. What the relay published but did not checkpoint
is published again by its next incarnation; the consumer's inbox absorbs those duplicates."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.events.store import EventStore, Position
from shared.events.topology import Topology
from tests.support.appender import OrderAppender
from tests.support.infra import Infra
from tests.support.ledger import (
    append_order,
    create_ledger,
    declare_billing,
    inbox_ids,
    ledger_consumer,
    partition_markers,
    read_ledger,
    relay_checkpoint,
    relay_lag,
)
from tests.support.relay_process import start_relay_process
from tests.support.runners import watched_consumer
from tests.support.waiting import wait_until

TOTAL = 1000
MIN_KILLS = 5
# How far the appender may run ahead of the kills: it is held back at (kills + 1) * AHEAD
# events, so the appends last across every kill and each incarnation has fresh work.
AHEAD = TOTAL // (MIN_KILLS + 1) + 1


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=15) == -signal.SIGKILL


def _stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM (the relay's clean stop); SIGKILL if it does not exit. Its exit status."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)
        raise AssertionError("the relay did not stop on SIGTERM within 20s") from None


@pytest.mark.slow
def test_a_relay_killed_repeatedly_mid_publication_still_delivers_every_event_exactly_once(
    infra: Infra,
    store: EventStore,
    database_url: str,
    topology: Topology,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    create_ledger(store)
    declare_billing(topology, infra.amqp_url)
    order_ids = [f"ord-{n:04}-{uuid.uuid4().hex[:6]}" for n in range(TOTAL)]
    appender = OrderAppender(store, order_ids, random.Random(rng.random()), allowed=AHEAD)
    consumer = ledger_consumer(store=store, amqp_url=infra.amqp_url, topology=topology)
    relay_log_path = tmp_path / "relay.log"
    context = f"(seed {seed}, relay log {relay_log_path})"

    def relay() -> subprocess.Popen[bytes]:
        return start_relay_process(
            database_url=database_url,
            amqp_url=infra.amqp_url,
            namespace=topology.namespace,
            log=relay_log,
            batch_size=100,
            idle_wait=0.02,
        )

    def progressed(before: Position) -> Callable[[], bool]:
        return lambda: (
            consumer_run.alive()
            and (
                relay_checkpoint(store) != before
                or (not appender.is_alive() and relay_lag(store) == 0)
            )
        )

    kills = 0
    with open(relay_log_path, "ab") as relay_log, watched_consumer(consumer) as consumer_run:
        appender.start()
        while kills < MIN_KILLS or appender.is_alive():
            before = relay_checkpoint(store)
            process = relay()
            try:
                # Kill it at a random moment once it has shown it is working (its checkpoint
                # moved), or, appends over, once it has nothing left to do.
                wait_until(
                    progressed(before), f"a relay incarnation makes progress {context}", timeout=30
                )
                time.sleep(rng.uniform(0.0, 0.25))  # the random moment of the kill
            finally:
                _kill(process)
            kills += 1
            appender.allow((kills + 1) * AHEAD)
        appender.join(timeout=60)
        assert appender.error is None, f"an append failed {context}: {appender.error!r}"
        assert appender.appended == TOTAL

        # The last relay is left running: it publishes whatever is not checkpointed yet and
        # then a final marker order in each partition. Each incarnation publishes in commit
        # order and each partition queue is FIFO, so once every marker is applied, every
        # earlier publish has been consumed.
        final = relay()
        try:
            markers = partition_markers(topology)
            for marker in markers:
                append_order(store, marker)
            wait_until(
                lambda: consumer_run.alive() and set(markers) <= set(read_ledger(store).order_ids),
                f"the marker order is applied {context}",
                timeout=60,
            )
            # The relay saves its checkpoint with its next read, at the latest SAVE_WITHIN_S after
            # it fell idle.
            wait_until(
                lambda: relay_lag(store) == 0, f"the relay's checkpoint reaches the head {context}"
            )
        finally:
            status = _stop(final)
        assert status == 0, f"the relay did not stop cleanly {context}"

    ledger = read_ledger(store)
    duplicates = consumer.stats.duplicate
    record_property("relay_kills", kills)
    record_property("duplicates_absorbed_by_inbox", duplicates)
    print(
        f"relay killed {kills} times; the inbox absorbed {duplicates} duplicate deliveries; "
        f"seed {seed}"
    )
    assert ledger.applied_more_than_once() == {}, context
    assert ledger.rows == TOTAL + len(markers), context
    assert ledger.distinct == TOTAL + len(markers), context
    assert set(ledger.order_ids) == {*order_ids, *markers}, context
    assert len(inbox_ids(store)) == TOTAL + len(markers)
    assert consumer.stats.applied == TOTAL + len(markers)
    assert consumer.stats.dead_lettered == consumer.stats.requeued == 0
