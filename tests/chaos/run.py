"""A chaos run from start to verdict: private servers, the whole system as `make run` starts
it, simulated customers and staff, the faults, then the checks and the counts."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.chaos import checks
from tests.chaos.client import Client, Counters, signed_in
from tests.chaos.faults import FaultInjector
from tests.chaos.lifecycle import Lifecycle, Outcome
from tests.support.infra import Infra
from tests.support.private_postgres import private_postgres
from tests.support.private_rabbitmq import private_rabbitmq
from tests.support.system import BANK_SECRET, System, create_staff, running_system

log = logging.getLogger(__name__)
STAFF = ("chaos-staff@cnnect.example", "chaos staff password")


@dataclass(frozen=True)
class ChaosConfig:
    """How long, how busy and how harmful a run is."""

    duration_s: float = 120.0
    orders_per_s: float = 1.0
    parallel: int = 16
    fault_every_s: float = 3.0
    seed: int = 7


@dataclass
class ChaosReport:
    """The verdict: violations (none is a pass) and the counts."""

    violations: list[str]
    counts: dict[str, int]

    def lines(self) -> list[str]:
        """The report as printed: the counts, then each violation, then the verdict."""
        out = [f"{name:>28}: {value}" for name, value in self.counts.items()]
        out += [f"VIOLATION {v}" for v in self.violations]
        out.append("chaos: PASS" if not self.violations else "chaos: FAIL")
        out.append(json.dumps({"violations": len(self.violations), **self.counts}))
        return out


def run_chaos(config: ChaosConfig, log_dir: Path) -> ChaosReport:
    """Start private servers and the system, take orders under fire, check, report."""
    with private_postgres() as database, private_rabbitmq() as broker:
        infra = Infra(database.url, broker.amqp_url, uuid.uuid4().hex[:8])

        def restart_broker() -> None:
            broker.kill()
            time.sleep(1)
            broker.start()

        with running_system(infra, log_dir) as system:
            return _under_fire(system, config, restart_broker, database.restart)


def _under_fire(
    system: System,
    config: ChaosConfig,
    restart_broker: Callable[[], None],
    restart_database: Callable[[], None],
) -> ChaosReport:
    gateway = system.url("gateway", "")
    create_staff(system, *STAFF)
    staff = signed_in(gateway, *STAFF, sign_up=False)
    bank = Client(gateway)
    faults = FaultInjector(
        system,
        restart_broker,
        restart_database,
        config.duration_s,
        config.fault_every_s,
        config.seed,
    )
    customers: list[Client] = []
    futures: list[Future[Outcome]] = []
    started = time.monotonic()
    faults.start()
    with ThreadPoolExecutor(config.parallel, thread_name_prefix="customer") as pool:
        number = 0
        while time.monotonic() - started < config.duration_s:
            futures.append(pool.submit(customer_life, number, gateway, staff, bank, customers))
            number += 1
            time.sleep(1 / config.orders_per_s)
        faults.stop()
        _all_running(system)
        outcomes = [f.result() for f in futures]
    return _verdict(system, outcomes, faults, staff, bank, customers, time.monotonic() - started)


def customer_life(
    number: int, gateway: str, staff: Client, bank: Client, customers: list[Client]
) -> Outcome:
    """Sign a new customer up and live one order's whole life with the staff and the bank."""
    try:
        customer = signed_in(gateway, f"chaos-{number}@example.com", "chaos password 1", True)
    except Exception as exc:
        return Outcome(error=f"sign-up: {exc}")
    customers.append(customer)
    return Lifecycle(number, customer, staff, bank, BANK_SECRET).run()


def _all_running(system: System) -> None:
    for name, process in system.processes.items():
        if process.poll() is not None:
            system.start(name)


def _verdict(
    system: System,
    outcomes: list[Outcome],
    faults: FaultInjector,
    staff: Client,
    bank: Client,
    customers: list[Client],
    elapsed_s: float,
) -> ChaosReport:
    verdict = checks.Verdict()
    if faults.failure is not None:
        verdict.violations.append(f"the fault injector failed: {faults.failure!r}")
    found = checks.check_under_fire(verdict, system, outcomes)
    seen = Counters()
    for client in (staff, bank, *customers):
        seen.add(client.counters)
    absorbed = sum(
        log_file.read_text(errors="replace").count("absorbed a duplicate")
        for log_file in system.log_dir.glob("*.log")
    )
    counts = {
        "seconds": round(elapsed_s),
        "orders placed": len(found.placed),
        "orders completed": sum(o.completed for o in outcomes),
        "events stored": checks.event_count(system),
        "integration events checked": found.consumed,
        "processes killed": faults.counts.total_kills,
        "processes paused": faults.counts.pauses,
        "broker restarts": faults.counts.broker_restarts,
        "database restarts": faults.counts.database_restarts,
        "http requests": seen.requests,
        "http retries": seen.retries,
        "repeats answered by replay": seen.replays,
        "answers lost, effect kept": seen.answers_lost,
        "bank notices sent twice": sum(o.duplicate_notices for o in outcomes),
        "duplicate deliveries absorbed": absorbed,
    }
    return ChaosReport(verdict.violations, counts)
