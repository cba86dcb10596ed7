"""The orders service against the real database: a cancellation racing a payment, and the
order-details read model rebuilt from a randomised history of many orders."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from services.orders.adapters.photos import Photo
from services.orders.bootstrap import DEFINITION
from services.orders.domain.order import Order
from services.orders.domain.status import OrderStatus
from services.orders.handlers import ORDERS, commands
from shared.domain_errors import DomainError, InvalidTransitionError
from shared.events.consumer import EventConsumer
from shared.events.projections import ProjectionRunner
from shared.money import Money
from shared.runtime import Context
from tests.support.images import png
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, orders_context, place_order
from tests.support.race import race

CUSTOMER = "cus-0001"  # the contract examples' customer


def _place(context: Context, items: int = 2) -> str:
    return place_order(context, CUSTOMER, items)


def _billed(context: Context, orders: EventConsumer, order_id: str) -> None:
    deliver(orders, message("BillingIssued", "billing", order_id, billing_id=f"{order_id}-1"))


def _order(context: Context, order_id: str) -> Order:
    order: Order = context.store.transact(lambda tx: ORDERS.get(tx, order_id))
    return order


def _paid_message(order_id: str, kind: str = "first") -> bytes:
    return message(
        "PaymentReceived",
        "billing",
        order_id,
        kind=kind,
        billing_id=f"{order_id}-{1 if kind == 'first' else 2}",
    )


def _race(context: Context, orders: EventConsumer, order_id: str) -> list[Exception]:
    """The customer cancels while the 1st payment arrives; returns the cancel's refusal."""
    refusal: list[Exception] = []

    def cancel() -> None:
        try:
            commands.cancel_order(context, order_id, CUSTOMER, CUSTOMER)
        except InvalidTransitionError as exc:
            refusal.append(exc)

    def pay() -> None:
        deliver(orders, _paid_message(order_id))

    race(cancel, pay)
    return refusal


@pytest.mark.rule("R15")
def test_a_cancellation_racing_the_first_payment_has_exactly_one_winner(infra: Infra) -> None:
    with orders_context(infra) as context:
        orders = consumer(context)
        winners = {"cancel": 0, "payment": 0}
        for _ in range(25):
            order_id = _place(context)
            _billed(context, orders, order_id)
            refusal = _race(context, orders, order_id)
            types = [e.type for e in context.store.read_stream(f"order-{order_id}")]
            assert not ("OrderCancelled" in types and "FirstBillingPaid" in types)
            order = _order(context, order_id)
            if order.status is OrderStatus.CANCELLED:
                assert refusal == []
                winners["cancel"] += 1
            else:
                # The payment won: the customer is told clearly why the cancel was refused.
                assert order.status is OrderStatus.PURCHASING
                [error] = refusal
                assert "cannot cancel" in str(error) and "purchasing" in str(error)
                winners["payment"] += 1
        assert sum(winners.values()) == 25


Step = Callable[[], object]


def _journey(context: Context, orders: EventConsumer, rng: random.Random) -> list[Step]:
    """The steps of one order's random life (a step may be refused; the life then ends)."""
    order_id = _place(context, items=rng.randint(1, 3))
    staff = "staff-1"
    steps: list[Step] = [lambda: _billed(context, orders, order_id)]
    if rng.random() < 0.3:
        steps.append(
            lambda: commands.change_items(context, order_id, {"itm-1": 3}, CUSTOMER, CUSTOMER)
        )
    if rng.random() < 0.2:
        steps.append(
            lambda: commands.set_purchase_condition(
                context, order_id, "itm-1", "red?", CUSTOMER, CUSTOMER
            )
        )
        steps.append(
            lambda: commands.record_seller_confirmation(context, order_id, "itm-1", "red ok", staff)
        )
    if rng.random() < 0.15:
        steps.append(lambda: commands.cancel_order(context, order_id, CUSTOMER, CUSTOMER))
        return steps
    steps.append(lambda: deliver(orders, _paid_message(order_id)))
    order = context.store.transact(lambda tx: ORDERS.get(tx, order_id))
    for item_id in list(order.items):
        if rng.random() < 0.15:
            steps.append(
                partial(commands.mark_unavailable, context, order_id, item_id, "sold out", staff)
            )
            continue
        photo = Photo("image/png", png())
        inspection = commands.InspectItem(
            order_id, item_id, 2, True, [photo], rng.randint(100, 900)
        )
        steps += [
            partial(commands.mark_purchased, context, order_id, item_id, staff),
            partial(commands.record_arrival, context, order_id, item_id, staff),
            partial(commands.inspect_item, context, inspection, staff),
        ]
    if rng.random() < 0.2:
        steps += [
            lambda: commands.open_exchange(context, order_id, "itm-1", "return", staff),
            lambda: commands.answer_exchange(
                context, order_id, "itm-1", rng.random() < 0.5, Money(Decimal("9"), "CNY"), staff
            ),
        ]
    steps += [
        lambda: deliver(
            orders,
            message(
                "BillingIssued", "billing", order_id, kind="second", billing_id=f"{order_id}-2"
            ),
        ),
        lambda: deliver(orders, _paid_message(order_id, "second")),
        lambda: deliver(orders, message("Shipped", "shipping", order_id)),
    ]
    if rng.random() < 0.7:
        steps.append(
            lambda: commands.report_reception(
                context, order_id, rng.random() < 0.8, "", CUSTOMER, CUSTOMER
            )
        )
        steps.append(
            lambda: commands.leave_feedback(
                context, order_id, rng.randint(1, 5), "ok", CUSTOMER, CUSTOMER
            )
        )
    if rng.random() < 0.5:
        del steps[rng.randint(1, len(steps)) :]  # this order stops somewhere on its way
    return steps


def test_order_details_rebuilt_from_zero_equal_the_live_ones_after_a_random_history(
    infra: Infra,
) -> None:
    rng = random.Random(2026)
    with orders_context(infra) as context:
        orders = consumer(context)
        runners = [ProjectionRunner(context.store, p) for p in DEFINITION.projections()]
        lives = [_journey(context, orders, rng) for _ in range(60)]
        stop = threading.Event()
        live = threading.Thread(target=runners[0].run, args=(stop, 0.01))
        live.start()
        try:
            while lives:
                life = rng.choice(lives)
                try:
                    life.pop(0)()
                except DomainError:
                    life.clear()  # refused by a rule: this order's life ends here
                if not life:
                    lives.remove(life)
        finally:
            stop.set()
            live.join()
        for runner in runners:
            runner.catch_up()
            assert runner.lag() == 0
        before = [runner.snapshot() for runner in runners]
        assert len(before[0]["order_details"]) == 60
        for runner in runners:
            runner.rebuild()
        after = [runner.snapshot() for runner in runners]
        for b, a in zip(before, after, strict=True):
            for table in b:
                for x, y in zip(b[table], a[table], strict=True):
                    assert x == y, _diff(x, y)
        assert after == before
        # (That the documents show the aggregates' statuses is services/orders/tests/
        # test_order_details.py's: the projection folds each event with Order.apply.)
        statuses = {row[2] for row in before[0]["order_details"]}
        assert len(statuses) >= 4, statuses  # the random lives reached many statuses


def _diff(x: tuple[Any, ...], y: tuple[Any, ...]) -> str:
    return "; ".join(
        f"column {n}: {u!r} != {v!r}" for n, (u, v) in enumerate(zip(x, y, strict=True)) if u != v
    )
