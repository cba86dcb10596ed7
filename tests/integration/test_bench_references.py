"""`make bench` measures the broker's own rates beside the kit's (the references the relay
and consumer figures are judged against), through throwaway queues it deletes."""

from __future__ import annotations

import pika
import pika.exceptions
import pytest

from bench import broker
from bench.common import Env
from shared.events.bus import blocking_connection
from tests.support.infra import Infra


def test_the_broker_references_are_measured_and_their_queues_deleted(
    infra: Infra, capsys: pytest.CaptureFixture[str]
) -> None:
    env = Env(postgres_url=infra.postgres_url, amqp_url=infra.amqp_url)
    try:
        broker.run(env, count=400, batch=100)
        assert env.results["broker_confirmed_publish_events_per_s"] > 0
        assert env.results["broker_consume_ack_events_per_s"] > 0
        with blocking_connection(env.amqp_url) as connection:
            for queue in env.topology.queues(broker.REFERENCE):
                channel = connection.channel()
                with pytest.raises(pika.exceptions.ChannelClosedByBroker, match="NOT_FOUND"):
                    channel.queue_declare(queue, passive=True)
    finally:
        env.cleanup()
    out = capsys.readouterr().out
    assert '"reference_for": "relay_publish_events_per_s"' in out
    assert '"reference_for": "consume_events_per_s"' in out
