"""The event store's contract (tests/support/store_contract.py) on the memory store, which the
fast handler tests run on: no PostgreSQL needed."""

from __future__ import annotations

import pytest

from shared.events.contracts import CONTRACTS
from shared.events.memory import MemoryEventStore
from shared.events.store import EventStore
from tests.support.store_contract import EventStoreContract


class TestMemoryEventStore(EventStoreContract):
    """The contract in memory."""

    @pytest.fixture
    def store(self) -> EventStore:
        return MemoryEventStore(CONTRACTS)
