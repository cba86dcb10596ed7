"""Local shipping costs of exchanges and returns staff recorded for an order (R19), charged
with the 2nd billing (R21)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.events.aggregate import EventSourced
from shared.money import Money


@dataclass(frozen=True)
class LocalCostRecorded:
    order_id: str
    item_id: str
    cost: Money  # in CNY, as staff paid it
    at: datetime


EVENT_TYPES: tuple[type, ...] = (LocalCostRecorded,)


@dataclass
class OrderCharges(EventSourced):
    """Extra costs to add to an order's 2nd billing."""

    order_id: str
    costs: list[LocalCostRecorded] = field(default_factory=list)
    version: int = 0

    def apply(self, event: object) -> None:
        """Keep each recorded cost."""
        super().apply(event)
        if isinstance(event, LocalCostRecorded):
            self.costs.append(event)

    def record(self, item_id: str, cost: Money, now: datetime) -> list[object]:
        """A local cost to charge."""
        return [LocalCostRecorded(self.order_id, item_id, cost, now)]
