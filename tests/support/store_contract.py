"""The event store's contract, one set of cases for every implementation: each test module
subclasses `EventStoreContract` and gives the `store` fixture (PostgreSQL in
tests/integration/test_event_store.py, memory in tests/unit/test_memory_store.py), as the
eventsourcing library runs one TestCase over each of its recorders. The deadlines are the
kit's too (shared/events/deadlines.py): their cases run on both as well."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from shared.events import errors
from shared.events.clock import ManualClock
from shared.events.contracts import CONTRACTS
from shared.events.scheduler import Deadline, Scheduler, cancel, schedule
from shared.events.store import START, EventStore, NewEvent, Transaction


def noted(n: int = 0) -> NewEvent:
    """A small event of no particular service."""
    return NewEvent("Noted", {"n": n})


def _fire_into_stream(tx: Transaction, deadline: Deadline, now: datetime) -> None:
    # A deadline's effect is an event; a second firing would conflict on the stream version.
    tx.append(f"deadline-{deadline.key}", [NewEvent("DeadlineFired", {"key": deadline.key})], 0)


class EventStoreContract:
    """What every event store does; the subclass's module gives the `store` fixture."""

    def test_appended_events_are_read_back_in_stream_order(self, store: EventStore) -> None:
        store.append("order-1", [noted(1), noted(2)], expected_version=0)
        store.append("order-1", [noted(3)], expected_version=2)
        events = store.read_stream("order-1")
        assert [e.version for e in events] == [1, 2, 3]
        assert [e.data["n"] for e in events] == [1, 2, 3]
        assert store.stream_version("order-1") == 3 and store.stream_version("none") == 0

    def test_append_at_a_stale_version_is_refused_naming_stream_and_versions(
        self, store: EventStore
    ) -> None:
        store.append("order-2", [noted()], expected_version=0)
        with pytest.raises(errors.ConcurrencyError) as info:
            store.append("order-2", [noted()], expected_version=0)
        assert info.value.stream_id == "order-2"
        assert (info.value.expected_version, info.value.actual_version) == (0, 1)
        assert "order-2" in str(info.value) and "expected version 0" in str(info.value)

    def test_append_ahead_of_the_stream_is_refused(self, store: EventStore) -> None:
        with pytest.raises(errors.ConcurrencyError):
            store.append("order-3", [noted()], expected_version=4)
        assert store.read_stream("order-3") == []

    def test_an_event_id_is_stored_once(self, store: EventStore) -> None:
        event = noted()
        store.append("order-4", [event], expected_version=0)
        with pytest.raises(errors.IntegrityError) as info:
            store.append("order-5", [event], expected_version=0)
        assert not isinstance(info.value, errors.ConcurrencyError)
        assert store.read_stream("order-5") == []

    def test_fifty_concurrent_appends_at_one_version_exactly_one_wins(
        self, store: EventStore
    ) -> None:
        store.append("order-hot", [noted()], expected_version=0)
        barrier = threading.Barrier(50)

        def attempt(n: int) -> str:
            barrier.wait()
            try:
                store.append("order-hot", [noted(n)], expected_version=1)
                return "won"
            except errors.ConcurrencyError as exc:
                assert exc.stream_id == "order-hot"
                assert exc.expected_version == 1 and exc.actual_version == 2
                return "conflict"

        with ThreadPoolExecutor(50) as executor:
            outcomes = list(executor.map(attempt, range(50)))
        assert outcomes.count("won") == 1
        assert outcomes.count("conflict") == 49
        assert [e.version for e in store.read_stream("order-hot")] == [1, 2]

    def test_a_transaction_reads_its_own_appends_and_others_only_once_committed(
        self, store: EventStore
    ) -> None:
        def work(tx: Transaction) -> None:
            tx.append("order-6", [noted(1)], 0)
            assert [e.data["n"] for e in tx.read_stream("order-6")] == [1]
            tx.append("order-6", [noted(2)], tx.stream_version("order-6"))
            assert tx.read_all() == []  # not committed yet: no reader sees it
            assert tx.count_after(START) == 2

        store.transact(work)
        assert [e.version for e in store.read_all()] == [1, 2]

    def test_read_all_gives_every_committed_event_once_in_commit_order(
        self, store: EventStore
    ) -> None:
        for n in range(7):
            store.append(f"order-{n % 3}", [noted(n)], store.stream_version(f"order-{n % 3}"))
        events = list(store.iter_all(batch=2))
        assert [e.data["n"] for e in events] == list(range(7))
        assert events == sorted(events, key=lambda e: e.commit_position)
        assert store.read_all(events[4].commit_position) == events[5:]
        assert store.transact(lambda tx: tx.count_after(events[4].commit_position)) == 2

    def test_inbox_row_commits_with_the_events_and_refuses_a_second_delivery(
        self, store: EventStore
    ) -> None:
        message = uuid.uuid4()

        def handle(tx: Transaction) -> None:
            tx.record_inbox("billing", message)
            tx.append("billing-1", [noted()], 0)

        store.transact(handle)
        with pytest.raises(errors.DuplicateMessageError):
            store.transact(handle)
        assert len(store.read_stream("billing-1")) == 1

    def test_an_inbox_row_alone_commits_and_refuses_a_second_delivery(
        self, store: EventStore
    ) -> None:
        message = uuid.uuid4()
        store.transact(lambda tx: tx.record_inbox("shipping", message))
        with pytest.raises(errors.DuplicateMessageError):
            store.transact(lambda tx: tx.record_inbox("shipping", message))
        store.transact(lambda tx: tx.record_inbox("billing", message))  # another consumer's

    def test_a_failed_handler_leaves_neither_events_nor_inbox_row(self, store: EventStore) -> None:
        message = uuid.uuid4()

        def handle(tx: Transaction) -> None:
            tx.record_inbox("billing", message)
            tx.append("billing-2", [noted()], 0)
            raise RuntimeError("handler bug")

        with pytest.raises(RuntimeError):
            store.transact(handle)
        assert store.read_stream("billing-2") == []
        store.transact(lambda tx: tx.record_inbox("billing", message))  # still free

    def test_old_schema_versions_are_upcast_on_read(self, store: EventStore) -> None:
        v1 = CONTRACTS.contract("OrderPlaced").old_examples[1]
        store.append("order-old", [NewEvent("OrderPlaced", v1, schema_version=1)], 0)
        [event] = store.read_stream("order-old")
        assert event.schema_version == 2
        assert event.data["customer_id"] == v1["customer"]
        assert event.data["shipping_method"] == "EMS"

    def test_a_conflict_decides_again_on_the_fresh_state_when_asked(
        self, store: EventStore
    ) -> None:
        store.append("order-7", [noted()], 0)
        seen: list[int] = []

        def stale_first(tx: Transaction) -> None:
            seen.append(tx.stream_version("order-7"))
            if len(seen) == 1:
                store.append("order-7", [noted()], 1)  # another writer, meanwhile
            tx.append("order-7", [noted()], seen[-1])

        store.transact(stale_first, decide_again=1)
        assert seen == [1, 2] and store.stream_version("order-7") == 3

    def test_a_deadline_fires_only_once_its_time_has_come(self, store: EventStore) -> None:
        clock = ManualClock()
        scheduler = Scheduler(store, clock, {"auto-cancel": _fire_into_stream})
        in_a_week = Deadline("auto-cancel", "o1", clock.now() + timedelta(days=7), {})
        store.transact(lambda tx: schedule(tx, in_a_week))
        assert scheduler.fire_due() == 0
        clock.advance(timedelta(days=6, hours=23))
        assert scheduler.fire_due() == 0
        clock.advance(timedelta(hours=1))
        assert scheduler.fire_due() == 1
        assert scheduler.fire_due() == 0
        assert [e.type for e in store.read_stream("deadline-o1")] == ["DeadlineFired"]

    def test_a_cancelled_deadline_never_fires(self, store: EventStore) -> None:
        clock = ManualClock()
        scheduler = Scheduler(store, clock, {"auto-cancel": _fire_into_stream})
        store.transact(lambda tx: schedule(tx, Deadline("auto-cancel", "o2", clock.now(), {})))
        store.transact(lambda tx: cancel(tx, "auto-cancel", "o2"))
        clock.advance(timedelta(days=30))
        assert scheduler.fire_due() == 0

    def test_a_deadline_scheduled_by_a_failed_transaction_never_fires(
        self, store: EventStore
    ) -> None:
        clock = ManualClock()

        def fail(tx: Transaction) -> None:
            schedule(tx, Deadline("auto-cancel", "o3", clock.now(), {}))
            raise RuntimeError("handler bug")

        with pytest.raises(RuntimeError):
            store.transact(fail)
        assert Scheduler(store, clock, {"auto-cancel": _fire_into_stream}).fire_due() == 0

    def test_competing_schedulers_fire_each_deadline_exactly_once(self, store: EventStore) -> None:
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
