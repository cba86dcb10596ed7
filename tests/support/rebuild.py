"""Checking, on a running system, that a service's projections rebuilt from zero equal the
live ones (the rebuild runs as the operator runs it: `python -m services.<name> rebuild`)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from shared.events.database import open_pool
from shared.events.projections import ProjectionRunner
from shared.events.store import START, EventStore
from shared.runtime import ServiceDefinition
from tests.support.system import System, service_command
from tests.support.waiting import poll


def definition(service: str) -> ServiceDefinition:
    """The definition of `service`."""
    module = __import__(f"services.{service}.bootstrap", fromlist=["DEFINITION"])
    found: ServiceDefinition = module.DEFINITION
    return found


def lags(system: System, service: str) -> dict[str, int]:
    """Each projection's lag, as `python -m services.<name> lag` prints it."""
    output = service_command(system, service, "lag")
    found: dict[str, int] = json.loads(output.strip().splitlines()[-1])["lag"]
    return found


def assert_rebuild_equals_live(
    system: System, service: str, attempts: int = 5
) -> list[dict[str, Any]]:
    """Catch up, snapshot, rebuild from zero, snapshot again: both must be equal.

    The system keeps running meanwhile: a deadline firing or a message redelivered after a
    crash may append events between the two snapshots, and then the rebuilt projection rightly
    holds more than the live one did. Such a comparison says nothing; it is made again (up
    to `attempts` times) until no event was appended between the snapshots."""
    pool = open_pool(system.database_url(service), max_size=2)
    try:
        store = EventStore(pool)
        runners = [ProjectionRunner(store, p) for p in definition(service).projections()]
        for _ in range(attempts):
            poll(partial(lags, system, service), lambda found: set(found.values()) == {0})
            head = _head(store)
            live = [runner.snapshot() for runner in runners]
            assert any(rows for snapshot in live for rows in snapshot.values()), service
            service_command(system, service, "rebuild")
            rebuilt = [runner.snapshot() for runner in runners]
            if _head(store) != head:
                continue  # events came in between: compare again
            assert rebuilt == live, service
            return live
        raise AssertionError(f"{service}: events kept coming; no quiet moment to compare")
    finally:
        pool.close()


def _head(store: EventStore) -> int:
    """How many events the store holds (a rebuild compared at one count is meaningful)."""
    return store.transact(lambda tx: tx.count_after(START))
