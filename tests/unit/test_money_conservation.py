"""Money is conserved (docs/rules.md, "Money, beyond single rules"), over random histories of one
customer: orders placed and changed, payments partial, full and over by deposit, bank, staff and
card, transfers reported and withdrawn (a pending report withholds the card), bank notices
matched by their transfer reference or held when it is mistyped, duplicate notices, items
unavailable, staff, customer and automatic cancels, notices for voided billings and for no
billing at all, the orders side's events delivered to billing in any order. The orders and
billing handlers run in this process on memory event stores (tests/support/in_process.py),
and after every step what billing keeps (its billings, the deposit, held payments) satisfies

    received from outside - paid out by staff == what billings keep + deposit + held + card fees

and per billing: 0 <= refunded <= received, what it keeps never exceeds its amount, and once an
order is cancelled and its events delivered it keeps nothing."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.adapters.paypal_client import CreatedOrder, PayPalClient
from services.billing.adapters.paypal_webhooks import CaptureNotice
from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.domain.billing import Billing
from services.billing.domain.transfer import billing_of_reference, transfer_reference
from services.billing.handlers import bank, card, payments
from services.billing.handlers.common import BILLINGS, DEPOSITS, HELD, billing_id
from services.orders.bootstrap import DEFINITION as ORDERS
from services.orders.domain import events as ev
from services.orders.domain.order import Order
from services.orders.domain.status import OrderStatus
from services.orders.handlers import commands
from services.orders.handlers.common import ORDERS as ORDER_STREAMS
from shared.domain_errors import DomainError, InvalidTransitionError
from shared.events.errors import NotYetApplicableError
from shared.money import Money
from tests.support.in_process import InProcess

CUSTOMER, STAFF = "cus-1", "staff-1"
CARD_FEE = Decimal("3.9")
PRICES = ("12.00", "45.50", "173.00", "0.10")
SHIPPINGS = ("0.00", "6.00", "14.80")
ADDRESS = ev.DeliveryAddress("Alice Martin", "12 rue des Lilas", "Lyon", "69003", "FR")
ZERO = Money.zero("EUR")


def eur(amount: Decimal | str) -> Money:
    return Money(Decimal(amount), "EUR")


class _PayPal(PayPalClient):
    """PayPal answering each checkout with the order its request id names, in this process."""

    def create_order(
        self, reference_id: str, amount: Money, request_id: str, *_: Any
    ) -> CreatedOrder:
        """A new order per request id: a repeated checkout gets the first one back."""
        return CreatedOrder(f"PP-{request_id}", "https://paypal.invalid/approve", "CREATED")


PAYPAL = _PayPal("http://paypal.invalid", "client", "secret")


@dataclass
class World:
    """One customer's orders and money in the running services, and what came in or went out."""

    system: InProcess = field(default_factory=lambda: InProcess(ORDERS, BILLING))
    orders: list[str] = field(default_factory=list)
    to_billing: list[bytes] = field(default_factory=list)  # delivered in any order
    to_orders: list[bytes] = field(default_factory=list)  # delivered in order
    notices: list[bank.BankNotice | CaptureNotice] = field(default_factory=list)
    received: Money = ZERO  # from outside
    paid_out: Money = ZERO  # staff debits
    fees: Money = ZERO  # card fees kept
    ids: int = 0

    def next_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}-{self.ids}"

    def billing(self, order_id: str) -> Billing:
        bid = billing_id(order_id, "first")
        found: Billing = self.system["billing"].store.transact(lambda tx: BILLINGS.get(tx, bid))
        return found

    def order(self, order_id: str) -> Order:
        found: Order = self.system["orders"].store.transact(
            lambda tx: ORDER_STREAMS.get(tx, order_id)
        )
        return found

    def carry(self) -> None:
        """What the services published since the last step, on its way to the other one."""
        self.to_billing += self.system.take("orders", "billing")
        self.to_orders += self.system.take("billing", "orders")

    def deliver(self, service: str, waiting: list[bytes], chosen: list[bytes]) -> None:
        """Deliver `chosen` of `waiting`; one not applicable yet waits, as its consumer holds it."""
        for body in chosen:
            with contextlib.suppress(NotYetApplicableError):
                self.system.consumer(service).deliver(body)
                waiting.remove(body)

    def orders_learn(self) -> None:
        """Billing's events (issued, paid) reach orders."""
        self.carry()
        self.deliver("orders", self.to_orders, list(self.to_orders))

    def check(self) -> None:
        """The invariants, read from billing's aggregates."""
        store = self.system["billing"].store
        billings = [self.billing(order_id) for order_id in self.orders]
        kept = sum((b.kept for b in billings), ZERO)
        holds = {e.stream_id[5:] for e in store.iter_all() if e.stream_id[:5] == "held-"}
        held = store.transact(lambda tx: sum((HELD.get(tx, h).holds or ZERO for h in holds), ZERO))
        balance = store.transact(lambda tx: DEPOSITS.get(tx, CUSTOMER)).balance or ZERO
        assert balance.amount >= 0
        assert self.received - self.paid_out == kept + balance + held + self.fees
        for found in billings:
            assert found.issued is not None and found.refunded is not None
            assert found.refunded <= (found.received or ZERO)
            assert found.kept <= found.issued.amount or found.voided
            assert not found.voided or found.kept.is_zero
            # A pending transfer report only on a billing that still waits for money (R9); a
            # revision the payments already cover does not end it (ends_pending_report).
            assert found.pending_report is None or not found.voided


OPS = (
    *("place", "top_up", "withdraw", "deposit", "bank", "staff", "report", "withdraw_report"),
    *("typo", "card", "capture", "duplicate", "unknown", "change", "unavailable"),
    *("cancel_customer", "cancel_staff", "auto_cancel", "orders_learns", "deliver"),
)
# The steps that move money or reorder events come up more often than the rest.
WEIGHTED = (
    *("bank", "bank", "report", "deliver", "deliver"),
    *("unavailable", "unavailable", "unavailable"),
)
FRACTIONS = (Decimal("1"), Decimal("0.3"), Decimal("1.5"), Decimal("0.01"), Decimal("1"))


def _item(n: int) -> ev.OrderedItem:
    price, shipping = PRICES[n % len(PRICES)], SHIPPINGS[n % 3]
    return ev.OrderedItem(
        f"itm-{n}",
        f"https://item.taobao.com/item.htm?id={n}",
        f"item {n}",
        1 + n % 3,
        Money(Decimal(price), "CNY"),
        Money(Decimal(shipping), "CNY"),
    )


def _place(world: World, items: list[ev.OrderedItem]) -> None:
    cmd = commands.PlaceOrder(CUSTOMER, items, ADDRESS, "EMS")
    world.orders.append(commands.place_order(world.system["orders"], cmd, actor=CUSTOMER))
    placed = world.system.take("orders", "billing")
    world.deliver("billing", placed, list(placed))  # billed at once
    world.orders_learn()


def _bank(world: World, reference: str, amount: Money) -> None:
    """A bank notice for `reference`, received from outside."""
    world.received = world.received + amount
    notice = bank.BankNotice(world.next_id("tx"), reference, amount, "X")
    world.notices.append(notice)
    bank.receive_bank_notice(world.system["billing"], notice)


def step(world: World, op: str, a: int, b: int) -> None:
    """One thing happening, with `a` and `b` choosing what it happens to."""
    if not world.orders or (op == "place" and len(world.orders) < 3):
        _place(world, [_item(a + n) for n in range(1 + b % 3)])
        return
    ctx = world.system["billing"]
    order_id = world.orders[a % len(world.orders)]
    billing = world.billing(order_id)
    bid = billing.billing_id
    if op == "top_up":
        world.received = world.received + eur(Decimal(1 + b * 3))
        payments.adjust_deposit(ctx, CUSTOMER, eur(Decimal(1 + b * 3)), "r", STAFF)
    elif op == "withdraw":
        deposit = ctx.store.transact(lambda tx: DEPOSITS.get(tx, CUSTOMER))
        amount = deposit.usable_for(eur(Decimal(1 + b)))
        if not amount.is_zero:
            world.paid_out = world.paid_out + amount
            payments.adjust_deposit(ctx, CUSTOMER, Money(-amount.amount, "EUR"), "r", STAFF)
    elif op == "deposit":
        payments.deposit_first(ctx, bid, CUSTOMER, CUSTOMER)
    elif op in ("bank", "staff"):
        base = billing.open_amount if not billing.open_amount.is_zero else eur("5.00")
        amount = Money(base.amount * FRACTIONS[b % len(FRACTIONS)], "EUR").rounded()
        if amount.is_zero:
            return
        if op == "bank":  # the notice names the billing by its transfer reference
            _bank(world, transfer_reference(bid), amount)
            assert world.billing(order_id).pending_report is None  # it matched the report
        else:
            world.received = world.received + amount
            payments.record_payment(ctx, bid, amount, "staff_confirmation", STAFF)
    elif op == "report":
        today = world.system.clock.now().date()
        bank.report_payment(ctx, bid, CUSTOMER, "X", today, billing.open_amount, CUSTOMER)
    elif op == "withdraw_report" and billing.pending_report is not None:
        report_id = billing.pending_report.report_id
        bank.withdraw_report(ctx, bid, CUSTOMER, report_id, CUSTOMER)
    elif op == "typo":
        # One wrong character in the reference: it names no billing, the money is held.
        reference = transfer_reference(bid)
        wrong = reference[:-2] + ("A" if reference[-2] != "A" else "B") + reference[-1]
        assert billing_of_reference(wrong) is None
        _bank(world, wrong, eur(Decimal(1 + b)))
    elif op == "unknown":
        _bank(world, "nobody", eur(Decimal(1 + b)))
    elif op == "card":
        checkout = (ctx, PAYPAL, bid, CUSTOMER, CARD_FEE, "r", "c", CUSTOMER)
        if billing.pending_report is None:
            card.start_card_payment(*checkout)
        else:  # a reported transfer is awaited: the card is withheld (409)
            with pytest.raises(InvalidTransitionError):
                card.start_card_payment(*checkout)
    elif op == "capture" and billing.card_orders:
        started = list(billing.card_orders.values())[b % len(billing.card_orders)]
        pp_order = started.paypal_order_id
        notice = CaptureNotice(
            f"WH-{pp_order}", "PAYMENT.CAPTURE.COMPLETED", f"cap-{pp_order}", pp_order, bid,
            "COMPLETED", started.total,
        )  # fmt: skip
        world.notices.append(notice)
        if card.receive_capture(ctx, notice):
            world.received = world.received + started.total
            world.fees = world.fees + started.fee
    elif op == "duplicate" and world.notices:
        again = world.notices[b % len(world.notices)]  # recorded already: nothing happens
        if isinstance(again, CaptureNotice):
            assert not card.receive_capture(ctx, again)
        else:
            assert bank.receive_bank_notice(ctx, again) is None
    elif op == "change":
        order = world.order(order_id)
        if order.remaining:
            item = sorted(i.item_id for i in order.remaining)[b % len(order.remaining)]
            quantities = {item: b % 3}  # 0 cancels the item
            commands.change_items(world.system["orders"], order_id, quantities, CUSTOMER, CUSTOMER)
    elif op == "unavailable":
        world.orders_learn()  # the payment reached orders before staff acted
        order = world.order(order_id)
        if order.remaining:
            item = sorted(i.item_id for i in order.remaining)[b % len(order.remaining)]
            commands.mark_unavailable(world.system["orders"], order_id, item, "gone", STAFF)
    elif op == "cancel_customer":
        commands.cancel_order(world.system["orders"], order_id, CUSTOMER, CUSTOMER)
    elif op == "cancel_staff":
        world.orders_learn()
        commands.cancel_order(world.system["orders"], order_id, None, STAFF)
    elif op == "auto_cancel":  # a week passes: the orders still unpaid are cancelled (R16)
        world.system.clock.advance(timedelta(days=7))
        world.system.fire_deadlines("orders")
    elif op == "orders_learns":
        world.orders_learn()
    elif op == "deliver" and world.to_billing:
        # One event, any of those waiting (events arrive in any order), or all in turn.
        waiting = world.to_billing if b % 4 == 1 else list(reversed(world.to_billing))
        chosen = waiting if b % 2 else [world.to_billing[b % len(world.to_billing)]]
        world.deliver("billing", world.to_billing, list(chosen))


def histories(min_size: int, max_size: int) -> st.SearchStrategy[list[tuple[str, int, int]]]:
    """Random histories of one customer: (operation, a, b) steps for `step`."""
    return st.lists(
        st.tuples(st.sampled_from(OPS + WEIGHTED), st.integers(0, 50), st.integers(0, 50)),
        min_size=min_size,
        max_size=max_size,
    )


@pytest.mark.rule("R20", "R17", "R8")
@settings(max_examples=100, deadline=None)
@given(histories(min_size=20, max_size=60))
def test_money_received_is_always_kept_by_a_billing_the_deposit_or_staff(
    history: list[tuple[str, int, int]],
) -> None:
    world = World()
    for op, a, b in history:
        # A command the services refuse (a domain error, as the API answers it) changes nothing.
        with contextlib.suppress(DomainError):
            step(world, op, a, b)
        world.carry()
        world.check()
    # Everything the orders side said reaches billing in the end (an item refund waiting for
    # a billing that is not paid in full stays waiting, as its consumer holds it).
    for _ in range(len(world.to_billing) + 1):
        world.orders_learn()
        world.deliver("billing", world.to_billing, list(world.to_billing))
        world.check()
    for order_id in world.orders:
        if world.order(order_id).status is OrderStatus.CANCELLED:
            # A cancelled order leaves nothing paid unrefunded (R20).
            assert world.billing(order_id).kept.is_zero
