"""End-to-end latency: appends at a steady rate in service A, the relay and service B's
consumer running; from A's commit to the commit of B's handler, with the legs between."""

from __future__ import annotations

import time
import uuid

from bench.common import Env, order_placed, percentile, wait_until
from bench.consuming import TimedStore, make_consumer, running_consumer
from bench.noise import HorizonWatch, host_jitter
from bench.relaying import StampedRelay, make_relay, running_relay
from shared.events.store import EventStore

RATE = 200.0  # appends per second
LATENCY_SECONDS = 10.0


# Legs: A commit to relay read (poll interval and snapshot horizon), read to broker confirm,
# confirm to B's handler (a message may overtake its confirm: negative), handler to B commit.
def stages(store_b: TimedStore, relay: StampedRelay) -> dict[str, float]:
    """p50 and p99 (ms) of each leg from A's commit to B's commit (one host, one clock)."""
    legs: dict[str, list[float]] = {
        "commit_to_read": [],
        "read_to_confirm": [],
        "confirm_to_handler": [],
        "handler_to_commit": [],
    }
    for event_id, appended, handled, committed in store_b.latencies:
        read, confirmed = relay.read_at[event_id], relay.confirmed_at[event_id]
        for leg, start, end in (
            ("commit_to_read", appended, read),
            ("read_to_confirm", read, confirmed),
            ("confirm_to_handler", confirmed, handled),
            ("handler_to_commit", handled, committed),
        ):
            legs[leg].append((end - start) * 1000)
    return {
        f"{leg}_{name}_ms": round(percentile(values, fraction), 2)
        for leg, values in legs.items()
        for name, fraction in (("p50", 0.5), ("p99", 0.99))
    }


def run_latency(env: Env, url_a: str, store_a: EventStore, store_b: TimedStore) -> None:
    """Append at a steady rate in A; latency from A's commit to B's handler commit."""
    total = int(RATE * LATENCY_SECONDS)
    run = f"e2e{uuid.uuid4().hex[:6]}"
    consumer = make_consumer(env, store_b)
    store_b.latencies.clear()
    relay = make_relay(env, url_a)
    horizon = HorizonWatch(env)
    with (
        horizon.running(),
        host_jitter(LATENCY_SECONDS) as jitter,
        running_relay(relay),
        running_consumer(consumer),
    ):
        started = time.perf_counter()
        for n in range(total):
            delay = started + n / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            event = order_placed(f"ord-{run}-{n}", placed_at=time.time())
            # Commit time is taken right after the append returns; the time before it is a
            # fallback should service B commit first (it cannot in practice).
            store_b.appended_at[event.event_id] = time.time()
            store_a.append(f"order-{run}-{n}", [event], 0)
            store_b.appended_at[event.event_id] = time.time()
        achieved = total / (time.perf_counter() - started)
        wait_until(lambda: len(store_b.latencies) >= total, 15.0, 0.01)
    ms = [(done - appended) * 1000 for _, appended, _, done in store_b.latencies]
    common = {
        "events": total,
        "append_rate_per_s": round(achieved, 1),
        "mean_ms": round(sum(ms) / len(ms), 2),
        "max_ms": round(max(ms), 2),
        **stages(store_b, relay),
        "relay_idle_wait_ms": relay.idle_wait * 1000,
        "foreign_write_tx_worst_ms": round(horizon.worst_ms, 1),
        "foreign_write_tx_samples_over_10ms": horizon.samples_over_10ms,
        **{f"host_sleep_lateness_{k}": v for k, v in jitter.items()},
    }
    for name, fraction, goal in (("p50", 0.50, 10.0), ("p99", 0.99, 50.0)):
        value = percentile(ms, fraction)
        env.record(
            f"end_to_end_latency_ms_{name}",
            value,
            "ms",
            goal=f"<{goal:g}",
            met=value < goal,
            **common,
        )
