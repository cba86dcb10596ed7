"""The shape every event-sourced aggregate shares: built by folding its history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self


class EventSourced:
    """An aggregate rebuilt from its events; `version` counts the events folded in.

    Subclasses are dataclasses whose first field is the aggregate's id and which define
    `apply(event)`, calling `super().apply(event)` to count it."""

    version: int

    @classmethod
    def replay(cls, aggregate_id: str, history: Iterable[object]) -> Self:
        """The aggregate after `history`."""
        aggregate = cls(aggregate_id)  # type: ignore[call-arg]
        for event in history:
            aggregate.apply(event)
        return aggregate

    def apply(self, event: object) -> None:
        """Count one more event; subclasses fold it into their state."""
        self.version += 1
