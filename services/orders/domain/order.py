"""The order aggregate: its state is a fold of its events; its methods decide new events and
never change the state themselves (the repository applies what was appended).

Statuses and allowed transitions are in `status.py` (and the service README)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.orders.domain import events as ev
from services.orders.domain.item import Item
from services.orders.domain.status import (
    ORDER_TRANSITIONS,
    REMAINING,
    ItemStatus,
    OrderStatus,
)
from shared.domain_errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.events.aggregate import EventSourced
from shared.money import Money

AUTO_COMPLETE_AFTER = timedelta(days=30)  # R24
AUTO_CANCEL_AFTER = timedelta(days=7)  # R16
PROGRESSED = frozenset({ItemStatus.PURCHASED, ItemStatus.ARRIVED, ItemStatus.INSPECTED})


@dataclass
class Order(EventSourced):
    """What an order's history adds up to."""

    order_id: str
    customer_id: str = ""
    status: OrderStatus | None = None
    items: dict[str, Item] = field(default_factory=dict)
    destination_country: str = ""
    shipping_method: str = ""
    second_billing_paid: bool = False
    feedback_left: bool = False
    photos_checked: bool = False  # the customer confirmed the inspection photos (R18)
    items_changes: int = 0  # OrderItemsChanged so far: each is one more 1st-billing revision
    version: int = 0

    @property
    def exists(self) -> bool:
        """False until OrderPlaced."""
        return self.status is not None

    @property
    def remaining(self) -> list[Item]:
        """Items still part of the order."""
        return [i for i in self.items.values() if i.status in REMAINING]

    # --- the fold ---------------------------------------------------------------------------
    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        match event:
            case ev.OrderPlaced():
                self.customer_id = event.customer_id
                self.items = {i.item_id: Item(i) for i in event.items}
                self.destination_country = event.destination_country
                self.shipping_method = event.shipping_method
                self.status = OrderStatus.APPLIED
            case ev.OrderItemsChanged():
                self.items_changes += 1
                kept = {i.item_id: i for i in event.items}
                for item in self.items.values():
                    if item.item_id in kept:
                        item.ordered = kept[item.item_id]
                    else:
                        item.status = ItemStatus.CANCELLED
            case ev.PurchaseConditionSet():
                self.items[event.item_id].condition = event.text
            case ev.SellerConfirmationRecorded():
                self.items[event.item_id].seller_answer = event.answer
            case ev.FirstBillingPaid():
                self.status = OrderStatus.PURCHASING
                for item in self.remaining:
                    item.status = ItemStatus.PURCHASING
            case ev.ItemPurchased():
                self.items[event.item_id].status = ItemStatus.PURCHASED
            case ev.ItemUnavailable():
                self.items[event.item_id].status = ItemStatus.CANCELLED
            case ev.ItemArrived():
                self.items[event.item_id].status = ItemStatus.ARRIVED
            case ev.ItemInspected():
                item = self.items[event.item_id]
                item.status = ItemStatus.INSPECTED
                item.checked_quantity = event.checked_quantity
                item.photo_ids = list(event.photo_ids)
                item.weight_grams = event.weight_grams
                # New photos (a re-inspection after an exchange) are to be checked again.
                self.photos_checked = False
            case ev.InspectionPhotosChecked():
                self.photos_checked = True
            case ev.ItemsInspected():
                self.status = OrderStatus.INSPECTED
            case ev.ExchangeOpened():
                self.items[event.item_id].status = ItemStatus.EXCHANGE_OR_RETURN
                self.items[event.item_id].exchange_kind = event.kind
            case ev.ExchangeAnswered():
                item = self.items[event.item_id]
                if not event.accepted:
                    item.status = ItemStatus.INSPECTED
                elif item.exchange_kind == "exchange":
                    item.status = ItemStatus.PURCHASED
                    self.status = OrderStatus.AWAITING_ARRIVAL
            case ev.SecondBillingIssued():
                self.status = OrderStatus.AWAITING_SECOND_PAYMENT
            case ev.SecondBillingPaid():
                self.second_billing_paid = True
            case ev.OrderShipped():
                self.status = OrderStatus.SHIPPED
                for item in self.remaining:
                    item.status = ItemStatus.SHIPPED
            case ev.OrderCompleted():
                self.status = OrderStatus.COMPLETED
            case ev.OrderCancelled():
                self.status = OrderStatus.CANCELLED
            case ev.FeedbackLeft():
                self.feedback_left = True
        self._progress()

    def _progress(self) -> None:
        # Between payment and inspection the order's status follows its items.
        if self.status in (OrderStatus.PURCHASING, OrderStatus.AWAITING_ARRIVAL) and all(
            i.status in PROGRESSED for i in self.remaining
        ):
            self.status = OrderStatus.AWAITING_ARRIVAL
        elif self.status is OrderStatus.AWAITING_ARRIVAL:
            self.status = OrderStatus.PURCHASING

    # --- guards -----------------------------------------------------------------------------
    def require(self, action: str) -> None:
        """Refuse `action` unless the transition table allows it from the current status."""
        if not self.exists:
            raise NotFoundError(f"order {self.order_id} not found")
        sources, _ = ORDER_TRANSITIONS[action]
        if self.status not in sources:
            current = self.status.value if self.status else "unknown"
            allowed = ", ".join(sorted(s.value for s in sources))
            raise InvalidTransitionError(
                f"cannot {action.split(' (')[0]}: order {self.order_id} is {current} "
                f"(allowed only when {allowed})"
            )

    def item(self, item_id: str) -> Item:
        """One item of the order (404 if unknown)."""
        if not self.exists or item_id not in self.items:
            raise NotFoundError(f"item {item_id} of order {self.order_id} not found")
        return self.items[item_id]

    def _then(self, new: list[object], now: datetime) -> list[object]:
        """`new`, followed by what it implies for the whole order (inspected, or empty)."""
        probe = copy.deepcopy(self)
        for event in new:
            probe.apply(event)
        if not probe.remaining and probe.status not in (None, OrderStatus.CANCELLED):
            reason = (
                "customer_request"
                if probe.status is OrderStatus.APPLIED
                else ("nothing_purchasable")
            )
            return [*new, ev.OrderCancelled(self.order_id, self.customer_id, reason, now)]
        if probe.status in (OrderStatus.PURCHASING, OrderStatus.AWAITING_ARRIVAL) and all(
            i.status is ItemStatus.INSPECTED for i in probe.remaining
        ):
            inspected = [
                ev.InspectedItem(i.item_id, i.checked_quantity or 0, i.weight_grams)
                for i in probe.remaining
            ]
            return [
                *new,
                ev.ItemsInspected(
                    self.order_id,
                    self.customer_id,
                    inspected,
                    self.destination_country,
                    self.shipping_method,
                    now,
                ),
            ]
        return new

    # --- customer decisions -----------------------------------------------------------------
    def change_items(self, quantities: dict[str, int], now: datetime) -> list[object]:
        """Cancel items (quantity 0) or change quantities before payment (R17)."""
        self.require("change items before payment (R17)")
        if not quantities:
            raise ValidationError("no item to change")
        for item_id, quantity in quantities.items():
            item = self.item(item_id)
            item.require("cancel item (R17)" if quantity == 0 else "change quantity (R17)")
            if quantity < 0:
                raise ValidationError("a quantity cannot be negative")
        kept = [
            i.with_quantity(quantities.get(i.item_id, i.ordered.quantity))
            for i in self.remaining
            if quantities.get(i.item_id, i.ordered.quantity) > 0
        ]
        changed = ev.OrderItemsChanged(self.order_id, self.customer_id, kept, now)
        return self._then([changed], now)

    def set_purchase_condition(self, item_id: str, text: str, now: datetime) -> list[object]:
        """'Confirm the following before purchasing the item' (R13)."""
        self.require("change items before payment (R17)")
        self.item(item_id).require("set purchase condition (R13)")
        if not text.strip():
            raise ValidationError("say what to confirm with the seller")
        return [ev.PurchaseConditionSet(self.order_id, item_id, text.strip(), now)]

    def cancel(self, reason: str, now: datetime, by_staff: bool = False) -> list[object]:
        """Cancel: the customer before the 1st billing is paid (R15), staff later too (R25)."""
        if by_staff:
            self.require("cancel by staff: nothing purchasable or forwardable (R25)")
        else:
            self.require("cancel by customer (R15)")
        return [ev.OrderCancelled(self.order_id, self.customer_id, reason, now)]

    def auto_cancel(self, now: datetime) -> list[object]:
        """7 days after the estimate without payment, the order is cancelled (R16)."""
        if self.status is not OrderStatus.APPLIED:
            return []
        return [ev.OrderCancelled(self.order_id, self.customer_id, "unpaid_7_days", now)]

    def report_reception(
        self, all_well: bool, comment: str, now: datetime, photo_ids: list[str] | None = None
    ) -> list[object]:
        """The customer reports reception; all well completes the order, a problem (with its
        pictures) goes to a conversation instead (R23)."""
        self.require("reception reported, all well (R23)")
        reported = ev.ReceptionReported(
            self.order_id, self.customer_id, all_well, comment, now, list(photo_ids or [])
        )
        if not all_well:
            return [reported]
        completed = ev.OrderCompleted(self.order_id, self.customer_id, "reception_reported", now)
        return [reported, completed]

    def complete_without_report(self, now: datetime) -> list[object]:
        """30 days after shipment without a report, the order completes (R24)."""
        if self.status is not OrderStatus.SHIPPED:
            return []
        return [ev.OrderCompleted(self.order_id, self.customer_id, "no_report_in_30_days", now)]

    def leave_feedback(self, rating: int, text: str, now: datetime) -> list[object]:
        """Feedback on a completed order, once (R28)."""
        self.require("leave feedback (R28)")
        if self.feedback_left:
            raise InvalidTransitionError(f"feedback on order {self.order_id} was left already")
        if not 1 <= rating <= 5:
            raise ValidationError("the rating is 1 to 5")
        return [ev.FeedbackLeft(self.order_id, rating, text.strip(), now)]

    def confirm_inspection_photos(self, now: datetime) -> list[object]:
        """The customer checked the inspection photos (R18): the next step of R2 is done.
        Once is enough: checking again records nothing."""
        self.require("check inspection photos (R18)")
        if self.photos_checked:
            return []
        return [ev.InspectionPhotosChecked(self.order_id, self.customer_id, now)]

    # --- what other services tell ----------------------------------------------------------
    # These never refuse: a redelivered or late event that no longer applies changes nothing.
    def record_first_billing(self, billing_id: str, amount: Money, now: datetime) -> list[object]:
        """The estimate (1st billing), or a recalculation of it (R17)."""
        if self.status is not OrderStatus.APPLIED:
            return []
        return [ev.FirstBillingIssued(self.order_id, billing_id, amount, now)]

    def record_first_payment(
        self, billing_id: str, now: datetime, revision: int | None = None
    ) -> list[object]:
        """The 1st billing is paid: purchasing starts. Not when the payment settled a revision
        older than the order's items (they changed while it was in flight, R17): billing
        revises the bill, and its settled revision or the next payment moves the order on."""
        if self.status is not OrderStatus.APPLIED:
            return []
        if revision is not None and revision < 1 + self.items_changes:
            return []
        return [ev.FirstBillingPaid(self.order_id, billing_id, now)]

    def record_second_billing(self, billing_id: str, amount: Money, now: datetime) -> list[object]:
        """The 2nd billing (international shipping) was issued, or revised before payment."""
        if self.status is OrderStatus.AWAITING_SECOND_PAYMENT and self.second_billing_paid:
            return []
        if self.status not in (OrderStatus.INSPECTED, OrderStatus.AWAITING_SECOND_PAYMENT):
            return []
        return [ev.SecondBillingIssued(self.order_id, billing_id, amount, now)]

    def record_second_payment(self, billing_id: str, now: datetime) -> list[object]:
        """The 2nd billing is paid: the parcels may leave."""
        if self.second_billing_paid or self.status is not OrderStatus.AWAITING_SECOND_PAYMENT:
            return []
        return [ev.SecondBillingPaid(self.order_id, billing_id, now)]

    def record_shipment(self, tracking_numbers: list[str], now: datetime) -> list[object]:
        """The parcels left with their tracking numbers (R6)."""
        if self.status is not OrderStatus.AWAITING_SECOND_PAYMENT or not self.second_billing_paid:
            return []
        return [ev.OrderShipped(self.order_id, tracking_numbers, now)]

    # --- staff decisions --------------------------------------------------------------------
    def record_seller_confirmation(self, item_id: str, answer: str, now: datetime) -> list[object]:
        """Staff record the seller's answer to the customer's purchase condition (R13)."""
        item = self.item(item_id)
        item.require("record seller confirmation (R13)")
        if item.condition is None:
            raise InvalidTransitionError(f"item {item_id} has no purchase condition")
        return [ev.SellerConfirmationRecorded(self.order_id, item_id, answer.strip(), now)]

    def mark_purchased(self, item_id: str, now: datetime) -> list[object]:
        """Staff bought the item; never before the seller confirmed a condition (R13)."""
        item = self.item(item_id)
        item.require("mark purchased")
        if item.awaits_seller_confirmation:
            raise InvalidTransitionError(
                f"item {item_id} waits for the seller's confirmation of the customer's condition"
            )
        return self._then([ev.ItemPurchased(self.order_id, item_id, now)], now)

    def mark_unavailable(self, item_id: str, reason: str, now: datetime) -> list[object]:
        """The item cannot be purchased or forwarded: it is cancelled and refunded (R20)."""
        self.require("mark an item unavailable (R20)")
        item = self.item(item_id)
        item.require("mark unavailable (R20)")
        return self._then([self._unavailable(item, reason, now)], now)

    def _unavailable(self, item: Item, reason: str, now: datetime) -> ev.ItemUnavailable:
        """`item` is cancelled and refunded (R20): what was ordered of it, and why."""
        o = item.ordered
        return ev.ItemUnavailable(
            self.order_id,
            self.customer_id,
            item.item_id,
            o.quantity,
            o.unit_price,
            o.domestic_shipping,
            reason,
            now,
        )

    def record_arrival(self, item_id: str, now: datetime) -> list[object]:
        """The item arrived at the China warehouse."""
        self.item(item_id).require("record arrival")
        return [ev.ItemArrived(self.order_id, item_id, now)]

    def inspect_item(
        self,
        item_id: str,
        checked_quantity: int,
        type_matches: bool,
        photo_ids: list[str],
        weight_grams: int | None,
        now: datetime,
    ) -> list[object]:
        """Staff checked quantity and type and took pictures (R18)."""
        self.item(item_id).require("inspect (R18)")
        if not photo_ids:
            raise ValidationError("an inspection needs at least one photo")
        inspected = ev.ItemInspected(
            self.order_id, item_id, checked_quantity, type_matches, photo_ids, weight_grams, now
        )
        return self._then([inspected], now)

    def open_exchange(self, item_id: str, kind: str, now: datetime) -> list[object]:
        """The customer asked for an exchange or a return; staff open it (R19)."""
        if self.status is not OrderStatus.INSPECTED:
            raise InvalidTransitionError(
                f"exchanges and returns are opened only after inspection and before the 2nd "
                f"billing; order {self.order_id} is {self.status.value if self.status else '-'}"
            )
        if kind not in ("exchange", "return"):
            raise ValidationError("kind is exchange or return")
        self.item(item_id).require("open exchange or return (R19)")
        return [ev.ExchangeOpened(self.order_id, item_id, kind, now)]

    def answer_exchange(
        self, item_id: str, accepted: bool, local_cost: Money | None, now: datetime
    ) -> list[object]:
        """Staff record the seller's answer and any local shipping cost to charge (R19)."""
        item = self.item(item_id)
        item.require("seller refuses exchange or return (R19)")
        new: list[object] = [ev.ExchangeAnswered(self.order_id, item_id, accepted, now)]
        if local_cost is not None and not local_cost.is_zero:
            new.append(
                ev.ReturnShippingCharged(self.order_id, self.customer_id, item_id, local_cost, now)
            )
        if accepted and item.exchange_kind == "return":
            new.append(self._unavailable(item, "returned", now))
        return self._then(new, now)
