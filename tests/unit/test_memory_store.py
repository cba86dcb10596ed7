"""The event store's contract (tests/support/store_contract.py) on the memory store, which the
fast handler tests run on: no PostgreSQL needed. And the kit's `transact`, which both stores
share: its bounded retry of transient errors."""

from __future__ import annotations

import pytest

from shared.events import database, errors
from shared.events.contracts import CONTRACTS
from shared.events.memory import MemoryEventStore
from shared.events.store import EventStore
from tests.support.store_contract import EventStoreContract


class TestMemoryEventStore(EventStoreContract):
    """The contract in memory."""

    @pytest.fixture
    def store(self) -> EventStore:
        return MemoryEventStore(CONTRACTS)


def test_transient_errors_are_retried_with_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pauses between attempts (up to seconds) are tenacity's; the bound is ours.
    monkeypatch.setattr(database._RETRYING, "sleep", lambda seconds: None)
    store = MemoryEventStore(CONTRACTS)
    attempts = []

    def flaky(tx: object) -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise errors.OperationalError("connection reset")
        return "done"

    assert store.transact(flaky) == "done"
    attempts.clear()

    def broken(tx: object) -> str:
        attempts.append(1)
        raise errors.OperationalError("still down")

    with pytest.raises(errors.OperationalError):
        store.transact(broken)
    assert len(attempts) == database.RETRY_ATTEMPTS == 6
