"""Retiring the one queue per service of the time before partitions (`<namespace>.<service>`).

A broker that ran CNNECT before issue 8 still has it, bound to `<producer>.<EventName>`
without a partition: nothing is published with such keys any more, so it only holds what was
left unconsumed. `Topology.declare_all` (what `make run` and a deployment's topology step
run) unbinds it, moves what it still holds into the service's partition queues, and deletes
it. A queue some old worker still consumes from is left alone, with a warning: deleting it
would drop the messages that worker holds unacknowledged; stop the old workers, then declare
again. Quorum queues refuse `if-empty` deletes, hence the explicit checks."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pika
import pika.exceptions

from shared.events.bus import broker_errors
from shared.events.contracts import decode_envelope
from shared.events.errors import ContractError
from shared.events.partitions import partition_of

if TYPE_CHECKING:
    from shared.events.topology import Topology

log = logging.getLogger(__name__)

NOT_FOUND = 404


def retire_legacy_queue(
    connection: pika.BlockingConnection,
    topology: Topology,
    consumer: str,
    routing_keys: Iterable[str],
) -> int:
    """Move the legacy queue's messages into the partition queues and delete it; how many moved."""
    queue = topology.legacy_queue(consumer)
    with broker_errors():
        channel = connection.channel()
        try:
            with _quiet_channel_close():
                channel.queue_declare(queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == NOT_FOUND:
                return 0  # never existed, or already retired
            raise
        for key in routing_keys:
            channel.queue_unbind(queue, topology.exchange, routing_key=key)
        channel.confirm_delivery()
        moved = 0
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            # Straight into the partition queue (default exchange), not through the topic
            # exchange, which would hand a copy to every other subscriber of the event too.
            target = topology.queue(consumer, _partition(topology, body))
            channel.basic_publish("", target, body, properties=properties, mandatory=True)
            # Acked only after the broker confirmed the copy: a crash here duplicates (the
            # consumer's inbox drops the copy), never loses.
            channel.basic_ack(method.delivery_tag)
            moved += 1
        left = channel.queue_declare(queue, passive=True).method
        if left.consumer_count or left.message_count:
            log.warning(
                "%s: %d consumer(s) still attached, %d message(s) left; stop the old workers "
                "and declare the topology again to retire it",
                queue,
                left.consumer_count,
                left.message_count,
            )
        else:
            channel.queue_delete(queue)
            log.info("retired %s (moved %d message(s) to its partitions)", queue, moved)
        channel.close()
    return moved


@contextlib.contextmanager
def _quiet_channel_close() -> Iterator[None]:
    """Silence pika's warning about the channel the broker closes when the queue is missing:
    the expected answer here on every broker but a pre-partition one."""
    channel_log = logging.getLogger("pika.channel")
    muted = _Mute()
    channel_log.addFilter(muted)
    try:
        yield
    finally:
        channel_log.removeFilter(muted)


class _Mute(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "NOT_FOUND" not in record.getMessage()


def _partition(topology: Topology, body: bytes) -> int:
    try:
        ordering_key = decode_envelope(body).ordering_key
    except ContractError:
        return 0  # poison either way: the consumer of partition 0 dead-letters it
    return partition_of(ordering_key, topology.partitions)
