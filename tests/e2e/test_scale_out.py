"""Issue 8: competing consumers that keep order. The whole system with three workers per
service; many orders driven at once through their whole life; mid-way the worker leading each
service's projections is SIGKILLed. Every order must still end right, and the services'
inboxes (which record which process handled each message, and when) must show that each
order's events were handled in the order they were published, by one process at a time."""

from __future__ import annotations

import itertools
import re
import signal
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from services.registry import SUBSCRIPTIONS
from shared.events.leadership import LOCK_SPACE, lock_key
from shared.events.partitions import Placement, partition_of
from tests.support.infra import Infra
from tests.support.journey import Journey, ok_json
from tests.support.rebuild import lags
from tests.support.system import SERVICES, System, poll, running_system
from tests.support.waiting import wait_until

# Three workers per service: a system of its own, run after the shared one stopped (both at
# once would pass PostgreSQL's default of 100 connections).
pytestmark = pytest.mark.own_system

WORKERS = 3
ORDERS = 48
CONCURRENCY = 8
# Long enough for the three workers of a service, started together on a busy machine, to
# each subscribe to their own partitions before any stands by on the others.
STANDBY_DELAY_S = 15


@pytest.fixture(scope="module")
def system(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    log_dir = tmp_path_factory.mktemp("scale-out-logs")
    env = {"CNNECT_STANDBY_DELAY_S": str(STANDBY_DELAY_S)}
    with running_system(infra, log_dir, env, workers=WORKERS) as running:
        yield running


def drive(system: System, n: int) -> str:
    """One customer's order from the form to its reception report; its id."""
    journey = Journey(system, f"cus-scale-{n}")
    journey.place()
    journey.pay("first")
    journey.inspect()
    journey.pack()
    journey.pay("second")
    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_ship", timeout=90)
    tracking = [f"EE{n:06d}0{k}CN" for k in range(2)]
    shipped = journey.ship(tracking)
    assert shipped.status_code == 200, shipped.text
    poll(journey.order, lambda o: o is not None and o["status"] == "shipped", timeout=90)
    reported = journey.post(
        "orders", f"/orders/{journey.order_id}/reception-report", {"all_well": True}
    )
    assert reported.status_code == 200, reported.text
    return journey.order_id


def test_three_workers_per_service_keep_every_order_in_order_through_a_killed_worker(
    system: System,
) -> None:
    assert all(len(system.worker_names(s)) == WORKERS for s in SERVICES)
    pids = {name: process.pid for name, process in system.processes.items()}
    # Every worker first takes its own partitions, then stands by on the others': from then
    # on, any worker's partitions can fail over.
    for name in (n for s in SERVICES for n in system.worker_names(s)):
        wait_until(
            lambda name=name: "standing by on partitions" in system.log(name),  # type: ignore[misc]
            f"{name} stands by on the other workers' partitions",
            timeout=60,
        )
    started = time.monotonic()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        futures = [pool.submit(drive, system, n) for n in range(ORDERS)]
        # Mid-way (a third done, a sixth under way, half not placed yet), the worker leading
        # each service's projections dies without a word: its partitions and its leadership
        # pass to the two others.
        wait_until(lambda: sum(f.done() for f in futures) >= ORDERS // 3, "a third done", 240)
        killed = {service: projection_leader(system, service) for service in SERVICES}
        killed_at = datetime.now().astimezone()
        for name in killed.values():
            system.kill(name, signal.SIGKILL)
        order_ids = [future.result(timeout=300) for future in futures]
    driven_s = time.monotonic() - started

    for n, order_id in enumerate(order_ids):
        assert_ended_right(Journey(system, f"cus-scale-{n}", order_id))
    for service in SERVICES:
        poll(partial(lags, system, service), lambda found: set(found.values()) == {0})

    taken_over = {}
    for service in SERVICES:
        # Reordering would have made a handler hold an event until its predecessor came.
        assert not held_messages(system, service), f"{service} had to hold an event"
        assert " holds " not in "".join(system.log(n) for n in system.worker_names(service))
        taken_over[service] = check_order_and_one_process_at_a_time(
            system, service, inbox(system, service), pids, killed[service], killed_at, order_ids
        )
    print(
        f"{ORDERS} orders through {WORKERS} workers per service in {driven_s:.0f}s; "
        f"killed {killed}; orders a survivor took over: {taken_over}"
    )
    assert all(taken_over.values()), "every killed worker's partitions failed over"


def assert_ended_right(journey: Journey) -> None:
    """Completed with its two tracking numbers, both billings paid, messaging knows."""
    order = poll(journey.order, lambda o: o is not None and o["status"] == "completed")
    assert len(order["tracking_numbers"]) == 2
    billings = journey.billings(2)
    assert {b["status"] for b in billings} == {"paid"}, billings
    path = f"/orders/{journey.order_id}/conversation"
    poll(
        lambda: ok_json(journey.get("messaging", path)),
        lambda c: c is not None and c["order_outcome"] == "completed",
    )


# --- what the databases say ------------------------------------------------------------


@dataclass(frozen=True)
class Handling:
    """One message a service's consumer handled: which event, when, by which process."""

    producer: str
    order_id: str
    commit_order: tuple[int, int]  # the producer's (transaction id, position)
    handled_at: datetime
    pid: int


def published(system: System, producer: str) -> dict[Any, tuple[str, tuple[int, int]]]:
    """Event id -> (ordering key as the relay computes it, commit order), of one producer."""
    with psycopg.connect(system.database_url(producer), row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT event_id, tx_id::text AS tx_id, position, "
            "coalesce(metadata->>'ordering_key', data->>'order_id', stream_id) AS key "
            "FROM events"
        ).fetchall()
    return {r["event_id"]: (r["key"], (int(r["tx_id"]), r["position"])) for r in rows}


def inbox(system: System, service: str) -> list[Handling]:
    """Every integration event `service` handled, in the order its processes handled them."""
    producers = {key.split(".")[0] for key in SUBSCRIPTIONS[service]}
    events = {p: published(system, p) for p in producers}
    with psycopg.connect(system.database_url(service), row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT message_id, received_at, handled_by FROM inbox WHERE consumer = %s "
            "ORDER BY received_at",
            (service,),
        ).fetchall()
    handled = []
    for row in rows:
        [(producer, (key, commit))] = [
            (p, found[row["message_id"]])
            for p, found in events.items()
            if row["message_id"] in found
        ]
        match = re.fullmatch(rf"{service}@.+:(\d+)", row["handled_by"] or "")
        assert match, row
        handled.append(Handling(producer, key, commit, row["received_at"], int(match[1])))
    return handled


def held_messages(system: System, service: str) -> list[dict[str, Any]]:
    with psycopg.connect(system.database_url(service), row_factory=dict_row) as conn:
        return conn.execute("SELECT * FROM held_messages").fetchall()


def projection_leader(system: System, service: str) -> str:
    """The Procfile name of the worker holding `service`'s projections leadership."""
    with psycopg.connect(system.database_url(service), row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s "
            "AND l.objid::bigint = %s AND a.datname = current_database()",
            (LOCK_SPACE, lock_key(f"{service}-projections") % 2**32),
        ).fetchone()
    assert row, f"no {service} worker leads the projections"
    pid = int(row["application_name"].rsplit(":", 1)[1])
    [name] = [n for n in system.worker_names(service) if system.processes[n].pid == pid]
    return name


def check_order_and_one_process_at_a_time(
    system: System,
    service: str,
    handled: list[Handling],
    pids: dict[str, int],
    killed: str,
    killed_at: datetime,
    order_ids: list[str],
) -> int:
    """Each order's events handled in publish order (per producer), by the worker active on
    the order's partition: its owner while it lived, then one survivor, never alternating.
    Returns how many of the killed worker's orders a survivor handled events of."""
    names = system.worker_names(service)
    worker_of = {pids[name]: name for name in names}
    partitions = system.topology().partitions
    owner_of = {
        k: next(n for i, n in enumerate(names) if Placement(i, WORKERS).owns(k))
        for k in range(partitions)
    }
    by_order: dict[str, list[Handling]] = defaultdict(list)
    for h in handled:
        by_order[h.order_id].append(h)
    assert set(by_order) >= set(order_ids), service
    # The spread: each worker was the active consumer of (its own) partitions.
    assert {worker_of[h.pid] for h in handled} == set(names), service
    taken_over = 0
    for order_id in order_ids:
        mine = by_order[order_id]
        for producer in {h.producer for h in mine}:
            commits = [h.commit_order for h in mine if h.producer == producer]
            assert commits == sorted(commits), (service, order_id, producer, "out of order")
        handlers = [worker_of[h.pid] for h in mine]
        runs = [name for name, _ in itertools.groupby(handlers)]
        # One process at a time: the owner of the order's partition until the kill...
        owner = owner_of[partition_of(order_id, partitions)]
        before = [worker_of[h.pid] for h in mine if h.handled_at < killed_at]
        assert set(before) <= {owner}, (service, order_id, owner, handlers)
        # ... and a switch only away from the killed worker, to one survivor, after the kill.
        assert len(runs) == 1 or (len(runs) == 2 and runs[0] == killed), (service, handlers)
        if owner == killed and runs[-1] != killed:
            taken_over += 1
        if len(runs) == 2:
            first_of_survivor = next(h for h in mine if worker_of[h.pid] == runs[1])
            assert first_of_survivor.handled_at >= killed_at, (service, order_id)
    return taken_over
