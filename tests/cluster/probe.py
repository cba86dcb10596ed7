"""How long the system needs to carry on after a failure: a probe customer places an order
every fraction of a second and waits for its billing, a path through every part a node failure
can break (the gateway, the orders API and its database, the relay, the broker, the billing
worker and its database, the billing API), then cancels it so it owes nothing."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.chaos.client import Client, signed_in
from tests.support.journey import ORDER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    """One probe: when it started, when its billing showed (None: it never did)."""

    started: float
    reached: float | None
    order_id: str = ""
    error: str = ""


@dataclass
class ProbeLog:
    """Every probe so far, and the orders they placed (all cancelled by the end)."""

    probes: list[Probe] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, probe: Probe) -> None:
        """Record a finished probe."""
        with self.lock:
            self.probes.append(probe)

    def recovered_after(self, moment: float) -> float | None:
        """Seconds from `moment` until the first probe started after it reached its billing."""
        with self.lock:
            reached = [
                p.reached for p in self.probes if p.started >= moment and p.reached is not None
            ]
        return min(reached) - moment if reached else None

    def orders(self) -> list[str]:
        """The orders the probes placed."""
        with self.lock:
            return [p.order_id for p in self.probes if p.order_id]


class RecoveryProbe(threading.Thread):
    """Starts a probe every `every_s` seconds (up to `parallel` at a time) until stopped."""

    def __init__(
        self, gateway: str, every_s: float = 0.5, parallel: int = 8, patience_s: float = 180.0
    ) -> None:
        super().__init__(name="cluster-probe", daemon=True)
        self.gateway = gateway
        self.every_s = every_s
        self.parallel = parallel
        self.patience_s = patience_s
        self.log = ProbeLog()
        self.stopping = threading.Event()
        self._customers: list[Client] = []
        self._numbers = itertools.count()

    def run(self) -> None:
        """Probe until `stop()`; each probe's outcome lands in `self.log`."""
        # A few customers take turns: a probe's order is cancelled before its customer's
        # next one, and no single customer holds hundreds of orders.
        self._customers = [
            signed_in(self.gateway, f"probe-{n}@example.com", "probe password 1", True)
            for n in range(self.parallel)
        ]
        for customer in self._customers:
            customer.patience_s = self.patience_s
        running: list[Future[None]] = []
        with ThreadPoolExecutor(self.parallel, thread_name_prefix="probe") as pool:
            while not self.stopping.wait(self.every_s):
                running = [f for f in running if not f.done()]
                if len(running) < self.parallel:
                    running.append(pool.submit(self._probe, next(self._numbers)))

    def stop(self) -> None:
        """Start no more probes; wait for the running ones (each cancels its order)."""
        self.stopping.set()
        self.join(timeout=self.patience_s * 2 + 30)

    def _probe(self, number: int) -> None:
        customer = self._customers[number % len(self._customers)]
        started = time.monotonic()
        order_id, reached, error = "", None, ""
        try:
            placed = customer.change("/api/orders/orders", f"probe-{number}-place", ORDER)
            if placed.status_code != 201:
                raise AssertionError(f"place: {placed.status_code} {placed.text[:200]}")
            order_id = placed.json()["order_id"]
            customer.wait_for(
                f"/api/billing/orders/{order_id}/billings",
                lambda b: any(x["kind"] == "first" for x in b["billings"]),
                "first billing",
            )
            reached = time.monotonic()
            cancelled = customer.change(
                f"/api/orders/orders/{order_id}/cancel", f"probe-{number}-cancel"
            )
            if cancelled.status_code >= 300 and "answer_lost" not in cancelled.text:
                raise AssertionError(f"cancel: {cancelled.status_code} {cancelled.text[:200]}")
        except Exception as exc:  # a probe that failed is part of the record
            error = f"{type(exc).__name__}: {exc}"
            log.warning("probe %s failed: %s", number, error)
        self.log.add(Probe(started, reached, order_id, error))

    def clients(self) -> list[Client]:
        """The probe customers (for their acknowledged writes and counters)."""
        return list(self._customers)
