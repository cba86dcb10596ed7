"""Deadlines of the orders service, fired by the scheduler."""

from __future__ import annotations

from datetime import datetime

from services.orders.handlers.common import ORDERS
from shared.events.repository import meta
from shared.events.scheduler import Deadline, DeadlineHandler
from shared.events.store import Transaction
from shared.runtime import Context

AUTO_CANCEL = "auto-cancel"  # R16: 7 days after the estimate, unpaid
AUTO_COMPLETE = "auto-complete"  # R24: 30 days after shipment, no reception report


def auto_cancel(tx: Transaction, deadline: Deadline, now: datetime) -> None:
    """Cancel an order still unpaid 7 days after its estimate (R16)."""
    order = ORDERS.get(tx, deadline.key)
    ORDERS.save(tx, deadline.key, order, order.auto_cancel(now), meta("scheduler", deadline.key))


def auto_complete(tx: Transaction, deadline: Deadline, now: datetime) -> None:
    """Complete an order shipped 30 days ago without a reception report (R24)."""
    order = ORDERS.get(tx, deadline.key)
    ORDERS.save(
        tx, deadline.key, order, order.complete_without_report(now), meta("scheduler", deadline.key)
    )


def deadline_handlers(ctx: Context) -> dict[str, DeadlineHandler]:
    """Routing of fired deadlines."""
    return {AUTO_CANCEL: auto_cancel, AUTO_COMPLETE: auto_complete}
