"""Deadlines stored as rows, fired once each by competing schedulers, on a movable clock."""

from __future__ import annotations

import threading
from datetime import timedelta

from shared.events.clock import ManualClock
from shared.events.scheduler import Deadline, Scheduler, cancel, schedule
from shared.events.store import EventStore, NewEvent, Transaction


def _fire_into_stream(tx: Transaction, deadline: Deadline, now: object) -> None:
    # A deadline's effect is an event; a second firing would conflict on the stream version.
    tx.append(f"deadline-{deadline.key}", [NewEvent("DeadlineFired", {"key": deadline.key})], 0)


def test_a_deadline_fires_only_once_its_time_has_come(store: EventStore) -> None:
    clock = ManualClock()
    scheduler = Scheduler(store, clock, {"auto-cancel": _fire_into_stream})
    store.transact(
        lambda tx: schedule(tx, Deadline("auto-cancel", "o1", clock.now() + timedelta(days=7), {}))
    )
    assert scheduler.fire_due() == 0
    clock.advance(timedelta(days=6, hours=23))
    assert scheduler.fire_due() == 0
    clock.advance(timedelta(hours=1))
    assert scheduler.fire_due() == 1
    assert scheduler.fire_due() == 0
    assert [e.type for e in store.read_stream("deadline-o1")] == ["DeadlineFired"]


def test_a_cancelled_deadline_never_fires(store: EventStore) -> None:
    clock = ManualClock()
    scheduler = Scheduler(store, clock, {"auto-cancel": _fire_into_stream})
    store.transact(lambda tx: schedule(tx, Deadline("auto-cancel", "o2", clock.now(), {})))
    store.transact(lambda tx: cancel(tx, "auto-cancel", "o2"))
    clock.advance(timedelta(days=30))
    assert scheduler.fire_due() == 0


def test_competing_schedulers_fire_each_deadline_exactly_once(store: EventStore) -> None:
    clock = ManualClock()
    keys = [f"o{n}" for n in range(200)]

    def add_all(tx: Transaction) -> None:
        for n, key in enumerate(keys):
            schedule(tx, Deadline("auto-cancel", key, clock.now() + timedelta(minutes=n), {}))

    store.transact(add_all)
    clock.advance(timedelta(days=1))
    schedulers = [Scheduler(store, clock, {"auto-cancel": _fire_into_stream}) for _ in range(4)]
    fired = [0] * len(schedulers)

    def run(index: int) -> None:
        fired[index] = schedulers[index].fire_due(limit=1000)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(schedulers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(fired) == len(keys)
    assert all(len(store.read_stream(f"deadline-{key}")) == 1 for key in keys)
