"""A cluster run from start to verdict: a three-node RabbitMQ cluster and a PostgreSQL primary
with a synchronous replica under Patroni, the whole system as `make run` starts it pointed at
both (a list of broker nodes, a multi-host database URL), customers and staff taking orders
through their life, the node failures one after another, then the chaos run's checks and the
cluster's own: every acknowledged write still there, the time each failure cost."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.chaos import checks as chaos_checks
from tests.chaos.client import Client, Counters, signed_in
from tests.chaos.lifecycle import Outcome
from tests.chaos.run import STAFF, customer_life
from tests.cluster import checks
from tests.cluster.failures import ClusterFailures, FailureRecord, FailureTimes
from tests.cluster.postgres import postgres_cluster
from tests.cluster.probe import RecoveryProbe
from tests.cluster.rabbitmq import rabbitmq_cluster
from tests.support.infra import Infra
from tests.support.system import System, create_staff, running_system
from tests.support.waiting import wait_until

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterConfig:
    """How busy a run is and how long its nodes stay down; the load lasts until every
    failure is healed, and at least `min_duration_s`."""

    orders_per_s: float = 1.0
    min_duration_s: float = 60.0
    parallel: int = 16
    times: FailureTimes = field(default_factory=FailureTimes)


@dataclass
class ClusterReport:
    """The verdict (no violation is a pass), the counts and each failure's record."""

    violations: list[str]
    counts: dict[str, int]
    failures: list[FailureRecord]

    def lines(self) -> list[str]:
        """The report as printed."""
        out = [f"{name:>30}: {value}" for name, value in self.counts.items()]
        out += [f"failure: {record.line()}" for record in self.failures]
        out += [f"VIOLATION {v}" for v in self.violations]
        out.append("cluster: PASS" if not self.violations else "cluster: FAIL")
        figures = {
            "violations": len(self.violations),
            **self.counts,
            "recovery_s": {r.name: r.recovery_s for r in self.failures},
        }
        out.append(json.dumps(figures))
        return out


def run_cluster(config: ClusterConfig, log_dir: Path) -> ClusterReport:
    """Start the clusters and the system, take orders through the failures, check, report."""
    with postgres_cluster() as database, rabbitmq_cluster() as broker:
        infra = Infra(database.url, broker.amqp_url, uuid.uuid4().hex[:8])
        with running_system(infra, log_dir) as system:
            probe = RecoveryProbe(system.url("gateway", ""))
            failures = ClusterFailures(broker, database, probe.log, config.times)
            return _through_failures(system, config, probe, failures)


def _through_failures(
    system: System, config: ClusterConfig, probe: RecoveryProbe, failures: ClusterFailures
) -> ClusterReport:
    gateway = system.url("gateway", "")
    create_staff(system, *STAFF)
    staff = signed_in(gateway, *STAFF, sign_up=False)
    bank = Client(gateway)
    customers: list[Client] = []
    futures: list[Future[Outcome]] = []
    started = time.monotonic()
    probe.start()
    # The failures start once the probe goes through: a recovery is measured from a working
    # system.
    wait_until(
        lambda: probe.log.recovered_after(started) is not None, "a first probe goes through", 180
    )
    failures.start()
    with ThreadPoolExecutor(config.parallel, thread_name_prefix="customer") as pool:
        number = 0
        while failures.is_alive() or time.monotonic() - started < config.min_duration_s:
            futures.append(pool.submit(customer_life, number, gateway, staff, bank, customers))
            number += 1
            time.sleep(1 / config.orders_per_s)
        outcomes = [f.result() for f in futures]
    probe.stop()
    return _verdict(system, outcomes, failures, probe, [staff, *customers], started)


def _settled(check: Callable[[], list[str]], timeout_s: float = 60.0) -> list[str]:
    """The check's problems once it passes, or as they stand after `timeout_s` (what the
    last cancels set off may still be on its way)."""
    deadline = time.monotonic() + timeout_s
    while True:
        problems = check()
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.5)


def _verdict(
    system: System,
    outcomes: list[Outcome],
    failures: ClusterFailures,
    probe: RecoveryProbe,
    clients: list[Client],
    started: float,
) -> ClusterReport:
    verdict = chaos_checks.Verdict()
    if failures.failure is not None:
        verdict.violations.append(f"the failure injector failed: {failures.failure!r}")
    for record in failures.records:
        if record.recovery_s is None:
            verdict.violations.append(f"the system did not carry on after: {record.name}")
        if record.healthy_s is None:
            verdict.violations.append(f"the cluster was not whole again after: {record.name}")
    found = chaos_checks.check_under_fire(verdict, system, outcomes)
    probes = probe.log.orders()
    verdict.check("probe orders", _settled(lambda: checks.probe_orders_cancelled(system, probes)))
    every_client = [*clients, *probe.clients()]
    keys = [key for client in every_client for key in client.acknowledged]
    transactions = [t for o in outcomes for t in o.bank_transactions]
    lost = checks.acknowledged_writes_kept(system, keys, transactions)
    verdict.check("acknowledged writes", lost)
    seen = Counters()
    for client in every_client:
        seen.add(client.counters)
    counts = {
        "seconds": round(time.monotonic() - started),
        "failures injected": len(failures.records),
        "orders placed": len(found.placed),
        "orders completed": sum(o.completed for o in outcomes),
        "probe orders (cancelled)": len(probes),
        "events stored": chaos_checks.event_count(system),
        "integration events checked": found.consumed,
        "acknowledged writes checked": len(keys) + len(transactions),
        "http requests": seen.requests,
        "http retries": seen.retries,
        "lost (acknowledged, then gone)": len(lost) + len(found.not_consumed),
        "doubled (charged twice)": len(found.charged_twice),
    }
    return ClusterReport(verdict.violations, counts, failures.records)
