"""One applied item of an order: its status and what staff recorded about it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from services.orders.domain.events import OrderedItem
from services.orders.domain.status import ITEM_TRANSITIONS, ItemStatus
from shared.domain_errors import InvalidTransitionError


@dataclass
class Item:
    """An item's state within its order."""

    ordered: OrderedItem
    status: ItemStatus = ItemStatus.PRE_PAYMENT
    condition: str | None = None  # "confirm before purchasing" text (R13)
    seller_answer: str | None = None
    checked_quantity: int | None = None
    photo_ids: list[str] = field(default_factory=list)
    weight_grams: int | None = None
    exchange_kind: str | None = None

    @property
    def item_id(self) -> str:
        """The item's id within the order."""
        return self.ordered.item_id

    @property
    def awaits_seller_confirmation(self) -> bool:
        """A purchase condition is set and the seller's answer is not recorded yet (R13)."""
        return self.condition is not None and self.seller_answer is None

    def require(self, action: str) -> ItemStatus | None:
        """Refuse `action` unless the table allows it from this status; returns the target."""
        sources, target = ITEM_TRANSITIONS[action]
        if self.status not in sources:
            allowed = ", ".join(sorted(s.value for s in sources))
            raise InvalidTransitionError(
                f"cannot {action.split(' (')[0]}: item {self.item_id} is {self.status.value} "
                f"(allowed only when {allowed})"
            )
        return target

    def with_quantity(self, quantity: int) -> OrderedItem:
        """The ordered item with another quantity."""
        return replace(self.ordered, quantity=quantity)
