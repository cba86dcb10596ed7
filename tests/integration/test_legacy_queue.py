"""A broker that ran CNNECT before partitions has one queue per service: declaring the
topology moves what it still holds into the partition queues and deletes it, unless an old
worker still consumes from it."""

from __future__ import annotations

import uuid

import pika.exceptions
import pytest

from shared.events.bus import blocking_connection
from shared.events.contracts import Envelope, decode_envelope, encode_envelope
from shared.events.partitions import partition_of
from shared.events.topology import Topology
from tests.support.bus import drain_queue
from tests.support.infra import Infra
from tests.support.ledger import CONSUMER, ROUTING_KEY, order_envelope, queue_depth
from tests.support.waiting import wait_until


def declare_legacy_queue(infra: Infra, topology: Topology) -> None:
    """The billing queue as it was declared before partitions, bound without a partition."""
    with blocking_connection(infra.amqp_url) as connection:
        channel = connection.channel()
        topology.declare_exchanges(channel)
        channel.queue_declare(
            topology.legacy_queue(CONSUMER),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": topology.delivery_limit,
                "x-dead-letter-exchange": topology.dead_letter_exchange,
                "x-dead-letter-routing-key": topology.legacy_queue(CONSUMER),
            },
        )
        channel.queue_bind(topology.legacy_queue(CONSUMER), topology.exchange, ROUTING_KEY)


def legacy_queue_exists(infra: Infra, topology: Topology) -> bool:
    with blocking_connection(infra.amqp_url) as connection:
        try:
            connection.channel().queue_declare(topology.legacy_queue(CONSUMER), passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            assert exc.reply_code == 404
            return False
        return True


def test_what_the_old_queue_holds_moves_to_the_partitions_and_the_old_queue_goes(
    infra: Infra, topology: Topology
) -> None:
    declare_legacy_queue(infra, topology)
    left_over = [order_envelope(f"ord-old-{n}-{uuid.uuid4().hex[:4]}", 1) for n in range(12)]
    with blocking_connection(infra.amqp_url) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for envelope in left_over:  # as the relay published before partitions
            channel.basic_publish(topology.exchange, ROUTING_KEY, _body(envelope))
    wait_until(lambda: queue_depth(infra.amqp_url, topology.legacy_queue(CONSUMER)) == 12, "queued")

    topology.declare_all(infra.amqp_url, {CONSUMER: [ROUTING_KEY]})

    assert not legacy_queue_exists(infra, topology)
    for partition, queue in enumerate(topology.queues(CONSUMER)):
        moved = [decode_envelope(body) for _, body in drain_queue(infra.amqp_url, queue)]
        expected = [e for e in left_over if partition_of(e.ordering_key, 8) == partition]
        assert [e.event_id for e in moved] == [e.event_id for e in expected], partition
    topology.declare_all(infra.amqp_url, {CONSUMER: [ROUTING_KEY]})  # again: nothing to do


def test_an_old_queue_an_old_worker_still_consumes_from_stays_unbound(
    infra: Infra, topology: Topology, caplog: pytest.LogCaptureFixture
) -> None:
    declare_legacy_queue(infra, topology)
    with blocking_connection(infra.amqp_url) as old_worker:
        old_worker.channel().basic_consume(topology.legacy_queue(CONSUMER), lambda *_: None)
        topology.declare_all(infra.amqp_url, {CONSUMER: [ROUTING_KEY]})
        assert legacy_queue_exists(infra, topology)
        assert "1 consumer(s) still attached" in caplog.text
        # Unbound: what is published now reaches the partition queues only.
        with blocking_connection(infra.amqp_url) as connection:
            channel = connection.channel()
            channel.confirm_delivery()
            envelope = order_envelope("ord-new", 1)
            key = topology.routing_key(envelope.routing_key, envelope.ordering_key)
            channel.basic_publish(topology.exchange, key, _body(envelope))
            channel.basic_publish(topology.exchange, ROUTING_KEY, _body(envelope))
        wait_until(lambda: queue_depth(infra.amqp_url, *topology.queues(CONSUMER)) == 1, "routed")
        assert queue_depth(infra.amqp_url, topology.legacy_queue(CONSUMER)) == 0
    # The old worker gone, the next declaration retires the queue.
    topology.declare_all(infra.amqp_url, {CONSUMER: [ROUTING_KEY]})
    assert not legacy_queue_exists(infra, topology)


def _body(envelope: Envelope) -> bytes:
    return encode_envelope(envelope)
