"""What a consumer works with: a consumed integration event, the handler that applies it, and
what became of its delivery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from shared.events.contracts import Envelope
from shared.events.store import Transaction


@dataclass(frozen=True)
class IncomingEvent:
    """A consumed integration event: its envelope and its validated payload."""

    envelope: Envelope
    data: dict[str, Any]

    @property
    def type(self) -> str:
        """The event type, e.g. `OrderPlaced`."""
        return self.envelope.type

    def metadata(self, **extra: Any) -> dict[str, Any]:
        """Metadata for events caused by this one (same correlation, this as the cause)."""
        return {
            "correlation_id": str(self.envelope.correlation_id),
            "causation_id": str(self.envelope.event_id),
            "ordering_key": self.envelope.ordering_key,
            **extra,
        }


Handler = Callable[[Transaction, IncomingEvent], None]


class Outcome(Enum):
    """What became of one delivery."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    HELD = "held"
    DEAD_LETTERED = "dead_lettered"
    REQUEUED = "requeued"
