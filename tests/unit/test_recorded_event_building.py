"""Events built on the store's fast path (without the frozen dataclass's __init__) are the same
objects the constructor builds: every field set, equal, still frozen."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from shared.events.store import NoUpcasting, RecordedEvent, row_to_event


def test_an_event_read_from_a_row_equals_one_built_by_the_constructor() -> None:
    row: dict[str, Any] = {
        "position": 7,
        "tx_id": "123",
        "stream_id": "order-1",
        "version": 2,
        "event_id": uuid4(),
        "type": "OrderPlaced",
        "schema_version": 2,
        "data": {"order_id": "1"},
        "metadata": {"correlation_id": "c"},
        "recorded_at": datetime.now(UTC),
    }
    fast = row_to_event(row, NoUpcasting())
    built = RecordedEvent(**{**row, "tx_id": 123})
    assert fast == built
    assert dataclasses.asdict(fast) == dataclasses.asdict(built)
    assert vars(fast).keys() == {f.name for f in dataclasses.fields(RecordedEvent)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.version = 3  # type: ignore[misc]
