"""The faults of a chaos run: a random process killed (SIGKILL) and started again every few
seconds, one paused (SIGSTOP) and resumed now and then, the broker and the database each
crashed and restarted once."""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.system import System

log = logging.getLogger(__name__)
KINDS = ("api", "worker", "relay", "gateway")


def _kind(process: str) -> str:
    """The kind of a Procfile process: `orders-api` is an api, `gateway` the gateway."""
    return process.rsplit("-", 1)[-1]


@dataclass
class FaultCounts:
    """How much harm was done."""

    kills: dict[str, int] = field(default_factory=dict)
    pauses: int = 0
    broker_restarts: int = 0
    database_restarts: int = 0

    @property
    def total_kills(self) -> int:
        """Processes killed, all names together."""
        return sum(self.kills.values())


class FaultInjector(threading.Thread):
    """Harms the system on a schedule until stopped; every process is running when it ends."""

    def __init__(
        self,
        system: System,
        restart_broker: Callable[[], None],
        restart_database: Callable[[], None],
        duration_s: float,
        every_s: float = 3.0,
        seed: int = 7,
    ) -> None:
        super().__init__(name="chaos-faults", daemon=True)
        self.system = system
        self.restart_broker = restart_broker
        self.restart_database = restart_database
        self.duration_s = duration_s
        self.every_s = every_s
        self.random = random.Random(seed)
        self.counts = FaultCounts()
        self.stopping = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        """Kill, pause and crash until the duration is over or `stop()`."""
        try:
            self._harm()
        except BaseException as exc:
            self.failure = exc
            log.exception("the fault injector failed")

    def stop(self) -> None:
        """Stop harming; wait until every process runs again."""
        self.stopping.set()
        self.join(timeout=120)

    def _harm(self) -> None:
        # The servers crash on their own schedule, while processes keep being killed.
        crashes = threading.Thread(target=self._crash_servers, name="chaos-crashes", daemon=True)
        crashes.start()
        started = time.monotonic()
        names = sorted(self.system.commands)
        tick = 0
        while not self.stopping.wait(self.every_s):
            if time.monotonic() - started > self.duration_s:
                break
            # Each kind of process in turn (API, worker, relay, gateway), a random one of it.
            kind = KINDS[tick % len(KINDS)]
            name = self.random.choice([n for n in names if _kind(n) == kind])
            if tick % 5 == 2:
                self._pause(name)
            else:
                self._kill(name)
            tick += 1
        crashes.join()

    def _crash_servers(self) -> None:
        """The broker at a third of the run, the database at two thirds: both, always (a
        slow broker restart delays the database's, never skips it)."""
        started = time.monotonic()
        time.sleep(self.duration_s / 3)
        log.warning("chaos: restarting the broker")
        self.restart_broker()
        self.counts.broker_restarts += 1
        time.sleep(max(1.0, started + 2 * self.duration_s / 3 - time.monotonic()))
        log.warning("chaos: restarting the database (-m immediate)")
        self.restart_database()
        self.counts.database_restarts += 1

    def _kill(self, name: str) -> None:
        log.warning("chaos: SIGKILL %s", name)
        self.system.kill(name, signal.SIGKILL)
        self.counts.kills[name] = self.counts.kills.get(name, 0) + 1
        time.sleep(self.random.uniform(0.2, 1.5))
        self.system.start(name)

    def _pause(self, name: str) -> None:
        log.warning("chaos: SIGSTOP %s", name)
        self.system.kill(name, signal.SIGSTOP)
        self.counts.pauses += 1
        time.sleep(self.random.uniform(1.0, 4.0))
        self.system.kill(name, signal.SIGCONT)
