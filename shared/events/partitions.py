"""Partitions: which queue of a consuming service carries the events of one order, and which
worker process of that service consumes it first.

Every integration event has an ordering key (the order id for everything about an order).
The relay puts `partition_of(ordering_key, P)` into the routing key, each consuming service
has P single-active-consumer queues, and partition k's queue is bound to the keys ending in
`.k`: the events of one order all travel through one queue, which only one consumer at a time
takes from, so adding worker processes never reorders an order's events.

The hash is CRC-32 (IEEE, as in zlib, Java's CRC32 and Go's hash/crc32) of the key's UTF-8
bytes: stable across processes, restarts and languages. Python's `hash()` is salted per
process and would send one order to different partitions from different relays."""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import DEFAULT_PARTITIONS, ConfigurationError

__all__ = ["DEFAULT_PARTITIONS", "Placement", "partition_of", "placement_from_env"]

# How long a worker waits before standing by on the partitions of the other workers: long
# enough for its peers, started at the same time, to take their own first (see Placement).
DEFAULT_STANDBY_DELAY_S = 5.0


def partition_of(ordering_key: str, partitions: int) -> int:
    """The partition (0..partitions-1) of an ordering key; the same everywhere, forever."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    return zlib.crc32(ordering_key.encode("utf-8")) % partitions


@dataclass(frozen=True)
class Placement:
    """Worker `index` of `workers` for one service, and the order it subscribes in.

    Every worker subscribes to every partition, so a dead worker's partitions fail over to a
    live one (the broker activates the next waiting consumer). Its own partitions
    (k % workers == index) it subscribes to at once, the others `standby_delay_s` later:
    RabbitMQ makes the first subscriber of a single-active-consumer queue the active one, so
    workers started together each end up active on their own share.

    After a restart the share is not restored: the restarted worker waits behind whichever
    worker took its partitions over, until that one stops (RabbitMQ 3.10 has no priority
    between single active consumers of a quorum queue). Restarting all workers of a service
    together spreads them again."""

    index: int = 0
    workers: int = 1
    standby_delay_s: float = DEFAULT_STANDBY_DELAY_S

    def __post_init__(self) -> None:
        if self.workers < 1 or not 0 <= self.index < self.workers:
            raise ConfigurationError(
                f"worker index {self.index} of {self.workers} workers: "
                "CNNECT_WORKER_INDEX must be in 0..CNNECT_WORKERS-1"
            )
        if self.standby_delay_s < 0:
            raise ConfigurationError("CNNECT_STANDBY_DELAY_S must not be negative")

    def owns(self, partition: int) -> bool:
        """Whether this worker subscribes to `partition` first."""
        return partition % self.workers == self.index

    def first_and_later(self, partitions: int) -> tuple[list[int], list[int]]:
        """The partitions to subscribe to at once, and those to stand by on after the delay."""
        own = [k for k in range(partitions) if self.owns(k)]
        return own, [k for k in range(partitions) if not self.owns(k)]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, not {raw!r}") from exc


def placement_from_env(environ: Mapping[str, str] | None = None) -> Placement:
    """This worker's place: `CNNECT_WORKER_INDEX` of `CNNECT_WORKERS`, `CNNECT_STANDBY_DELAY_S`."""
    env = os.environ if environ is None else environ
    raw_delay = env.get("CNNECT_STANDBY_DELAY_S", "").strip()
    try:
        delay = float(raw_delay) if raw_delay else DEFAULT_STANDBY_DELAY_S
    except ValueError as exc:
        raise ConfigurationError(f"CNNECT_STANDBY_DELAY_S must be a number: {raw_delay!r}") from exc
    return Placement(
        index=_int(env, "CNNECT_WORKER_INDEX", 0),
        workers=_int(env, "CNNECT_WORKERS", 1),
        standby_delay_s=delay,
    )
