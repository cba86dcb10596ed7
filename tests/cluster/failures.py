"""The node failures of a cluster run, one after another under load: a broker node killed,
the broker node that leads most quorum queues killed, the database primary killed (its
replica promoted, the old primary back as a replica), a broker node cut off from the others;
each healed, and the time the system needed to carry on measured by the recovery probe."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tests.cluster.probe import ProbeLog

log = logging.getLogger(__name__)


class BrokerNodes(Protocol):
    """What the failures need of the RabbitMQ cluster (tests/cluster/rabbitmq.py)."""

    nodes: list[str]

    def kill(self, node: str) -> None: ...
    def start(self, node: str) -> None: ...
    def pause(self, node: str) -> None: ...
    def resume(self, node: str) -> None: ...
    def leader_of_most_queues(self) -> str: ...
    def wait_healthy(self, timeout: float = ...) -> None: ...


class DatabaseMembers(Protocol):
    """What the failures need of the PostgreSQL cluster (tests/cluster/postgres.py)."""

    def primary(self) -> str: ...
    def kill_primary(self) -> str: ...
    def start_member(self, name: str) -> None: ...
    def wait_healthy(self, timeout: float = ...) -> None: ...


@dataclass
class FailureRecord:
    """One failure: what, on which node, and how the system and the cluster came back."""

    name: str
    node: str = ""
    injected_at: float = 0.0
    healed_at: float = 0.0  # the node back (restarted, resumed)
    healthy_s: float | None = None  # injection to the cluster whole again
    recovery_s: float | None = None  # injection to the first probe after it going through
    new_primary: str = ""

    def line(self) -> str:
        """The failure as the report prints it."""
        recovery = "never" if self.recovery_s is None else f"{self.recovery_s:.1f} s"
        healthy = "never" if self.healthy_s is None else f"{self.healthy_s:.1f} s"
        promoted = f", {self.new_primary} promoted" if self.new_primary else ""
        return (
            f"{self.name} ({self.node}{promoted}): system carried on after {recovery}, "
            f"cluster whole again after {healthy}"
        )


@dataclass
class FailureTimes:
    """How long a node stays down, and the pauses between failures."""

    down_s: float = 10.0
    partition_s: float = 20.0
    settle_s: float = 5.0
    heal_timeout_s: float = 180.0
    recovery_timeout_s: float = 120.0


class ClusterFailures(threading.Thread):
    """Injects every failure in turn, healing each before the next; `records` says how each
    went. A failure of the injector itself (a node that would not come back) is in
    `failure`."""

    def __init__(
        self,
        broker: BrokerNodes,
        database: DatabaseMembers,
        probes: ProbeLog,
        times: FailureTimes | None = None,
    ) -> None:
        super().__init__(name="cluster-failures", daemon=True)
        self.broker = broker
        self.database = database
        self.probes = probes
        self.times = times or FailureTimes()
        self.records: list[FailureRecord] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        """Every failure, in order."""
        try:
            for failure in (
                self._broker_node_killed,
                self._queue_leader_killed,
                self._primary_killed,
                self._broker_node_partitioned,
            ):
                time.sleep(self.times.settle_s)
                failure()
        except BaseException as exc:
            self.failure = exc
            log.exception("the cluster failures failed")

    def _broker_node_killed(self) -> None:
        # Not the leader of most queues (that is the next failure): a node that follows more.
        leader = self.broker.leader_of_most_queues()
        node = next(n for n in self.broker.nodes if n != leader)
        self._down_and_up(
            "broker node killed", node, self.broker.kill, self.broker.start, self.broker
        )

    def _queue_leader_killed(self) -> None:
        node = self.broker.leader_of_most_queues()
        self._down_and_up(
            "broker node leading most queues killed",
            node,
            self.broker.kill,
            self.broker.start,
            self.broker,
        )

    def _broker_node_partitioned(self) -> None:
        leader = self.broker.leader_of_most_queues()
        self._down_and_up(
            "broker node cut off from the others",
            leader,
            self.broker.pause,
            self.broker.resume,
            self.broker,
            hold_s=self.times.partition_s,
        )

    def _primary_killed(self) -> None:
        record = FailureRecord("database primary killed", injected_at=time.monotonic())
        self.records.append(record)
        log.warning("cluster: killing the database primary")
        record.node = self.database.kill_primary()
        self._await_recovery(record)
        record.new_primary = self.database.primary()
        self.database.start_member(record.node)  # back as a replica of the new primary
        record.healed_at = time.monotonic()
        self.database.wait_healthy(self.times.heal_timeout_s)
        record.healthy_s = time.monotonic() - record.injected_at

    def _down_and_up(
        self,
        name: str,
        node: str,
        down: Callable[[str], None],
        up: Callable[[str], None],
        cluster: BrokerNodes,
        hold_s: float | None = None,
    ) -> None:
        record = FailureRecord(name, node, injected_at=time.monotonic())
        self.records.append(record)
        log.warning("cluster: %s: %s", name, node)
        down(node)
        # The node stays away at least this long, and until the system carried on without it.
        hold_until = record.injected_at + (self.times.down_s if hold_s is None else hold_s)
        self._await_recovery(record)
        time.sleep(max(0.0, hold_until - time.monotonic()))
        up(node)
        record.healed_at = time.monotonic()
        cluster.wait_healthy(self.times.heal_timeout_s)
        record.healthy_s = time.monotonic() - record.injected_at

    def _await_recovery(self, record: FailureRecord) -> None:
        deadline = record.injected_at + self.times.recovery_timeout_s
        while time.monotonic() < deadline:
            recovered = self.probes.recovered_after(record.injected_at)
            if recovered is not None:
                record.recovery_s = recovered
                return
            time.sleep(0.2)
        log.warning(
            "cluster: the system did not carry on within %.0f s of %s",
            self.times.recovery_timeout_s,
            record.name,
        )
