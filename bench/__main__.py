"""`python -m bench`: run every measurement once, printing one JSON object per figure."""

from __future__ import annotations

import logging
import signal
import sys
import time
from types import FrameType

from bench import broker, consuming, latency, personal, reads, relaying, writes
from bench.common import Env, note, phase
from shared.events.contracts import CONTRACTS

# Goals as ratios to the references measured in the same run (issue 19): the relay at half
# the broker's confirmed publish rate; the consumer, each message in a transaction with its
# inbox row, at 0.12 of the broker's consume-and-ack rate.
RELAY_GOAL = 0.5
CONSUME_GOAL = 0.12


def _stop_on_term(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the clean-up still runs."""
    raise SystemExit(128 + signum)


def main() -> int:
    """Set up temporary databases and a broker namespace, measure, clean up."""
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    signal.signal(signal.SIGTERM, _stop_on_term)
    env = Env()
    started = time.perf_counter()
    note(f"run {env.run_id}: databases bench_{env.run_id}_*, namespace {env.topology.namespace}")
    try:
        url_w = env.database("writes", writes.PLAIN_SCHEMA)
        url_a = env.database("orders")
        url_b = env.database("billing", consuming.RECEIVED_SCHEMA)
        store_w, store_a = env.store(url_w), env.store(url_a)
        store_b = consuming.TimedStore(env.pool(url_b), CONTRACTS)
        with phase("plain inserts and appends"):
            writes.run(env, url_w, store_w)
        with phase("read_all and projection rebuild"):
            reads.run(env)
        with phase("broker references: confirmed publish, consume and ack"):
            broker.run(env)
        with phase("relay"):
            relaying.run(env, url_a, store_a)
        env.ratio(
            "relay_publish_ratio",
            "relay_publish_events_per_s",
            "broker_confirmed_publish_events_per_s",
            RELAY_GOAL,
        )
        with phase("consumer"):
            consuming.run_consume(env, store_b)
        env.ratio(
            "consume_ratio", "consume_events_per_s", "broker_consume_ack_events_per_s", CONSUME_GOAL
        )
        with phase("end-to-end latency"):
            latency.run_latency(env, url_a, store_a, store_b)
        with phase("sealing personal data"):
            personal.run(env)
    finally:
        env.cleanup()
        note(f"finished in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
