"""Money is conserved (the architecture's invariant), over random histories of one customer:
orders placed and changed, payments partial, full and over by deposit, bank, staff and card,
transfers reported and withdrawn (a pending report withholds the card), bank notices matched
by their transfer reference or held when it is mistyped, duplicate notices, items unavailable,
staff, customer and automatic cancels, notices for voided billings and for no billing at all,
the orders side's events delivered to billing in any order. It drives the domain code the
billing handlers use (Billing, Deposit, HeldPayment, deposit_credits) the way the handlers
do, and checks after every step:

    received from outside - paid out by staff == what billings keep + deposit + held + card fees

and per billing: 0 <= refunded <= received (refunded <= paid), what it keeps never exceeds
its amount, and once an order is cancelled and its events delivered it keeps nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.domain.billing import (
    Billing,
    BillingIssued,
    CardPaymentStarted,
    deposit_credits,
)
from services.billing.domain.deposit import Deposit
from services.billing.domain.held import HeldPayment
from services.billing.domain.pricing import PricedItem, PricingRule, first_billing_lines, total
from services.billing.domain.transfer import billing_of_reference, transfer_reference
from shared.domain_errors import InvalidTransitionError
from shared.money import Money

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RULE = PricingRule()
CARD_FEE = Decimal("3.9")
PRICES = ("12.00", "45.50", "173.00", "0.10")
SHIPPINGS = ("0.00", "6.00", "14.80")


def eur(amount: Decimal | str) -> Money:
    return Money(Decimal(amount), "EUR")


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


@dataclass
class Order:
    """What the orders service knows of one order (it accepts changes only while applied)."""

    order_id: str
    items: dict[str, PricedItem]
    status: str = "applied"  # applied | purchasing | cancelled


@dataclass
class World:
    """One customer's money, kept by the same aggregates the billing service keeps."""

    deposit: Deposit = field(default_factory=lambda: Deposit("cus-1"))
    billings: dict[str, Billing] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    held: list[HeldPayment] = field(default_factory=list)
    pending: list[tuple[str, str, object]] = field(default_factory=list)  # to billing
    inbox: set[str] = field(default_factory=set)
    received: Money = field(default_factory=lambda: eur("0"))  # from outside
    paid_out: Money = field(default_factory=lambda: eur("0"))  # staff debits
    fees: Money = field(default_factory=lambda: eur("0"))  # card fees kept
    ids: int = 0

    def next_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}-{self.ids}"

    def save(self, billing: Billing, new: list[object]) -> None:
        """What save_with_credits does: the billing's events, then the deposit credits."""
        for event in new:
            billing.apply(event)
        for entry, amount, kind, reason in deposit_credits(new):
            for credit in self.deposit.credit(entry, amount, kind, reason, "b", NOW):
                self.deposit.apply(credit)

    # --- the billing handlers --------------------------------------------------------------
    def place(self, items: list[PricedItem]) -> None:
        self.ids += 1
        order_id = f"ord-{self.ids:012x}"  # the orders service's form: transfer references
        self.orders[order_id] = Order(order_id, {f"itm-{n}": i for n, i in enumerate(items)})
        lines = first_billing_lines(items, RULE)
        billing = Billing(f"{order_id}-1")
        issued = BillingIssued(
            billing.billing_id,
            order_id,
            "cus-1",
            "first",
            1,
            total(lines, "EUR"),
            lines,
            RULE.cny_rate,
            NOW,
            eur("0"),
        )
        self.save(billing, billing.issue(issued))
        self.billings[order_id] = billing

    def pay_with_deposit(self, billing: Billing) -> None:
        if billing.voided or billing.settled:
            return
        usable = self.deposit.usable_for(billing.open_amount)
        if usable.is_zero:
            return
        for event in self.deposit.debit(self.next_id("d"), usable, "payment", "p", "b", NOW):
            self.deposit.apply(event)
        new, _ = billing.record_payment(self.next_id("p"), usable, "deposit", NOW)
        self.save(billing, new)

    def receive(self, billing: Billing, amount: Money, method: str, notice: str) -> None:
        """A bank notice, a staff confirmation or a card capture (recorded once)."""
        if notice in self.inbox:
            return
        self.inbox.add(notice)
        new, _ = billing.receive_money(self.next_id("p"), amount, method, NOW)
        self.save(billing, new)

    def deliver(self, kind: str, order_id: str, payload: object) -> bool:
        """One orders event reaching billing; False when it must wait (NotYetApplicable)."""
        billing = self.billings[order_id]
        if kind == "changed":
            assert isinstance(payload, list)
            if payload:
                lines = first_billing_lines(payload, RULE)
                self.save(
                    billing,
                    billing.revise(
                        lines, total(lines, "EUR"), NOW, self.next_id("x"), every_change=True
                    ),
                )
        elif kind == "unavailable":
            if billing.item_refund_waits:
                return False
            assert isinstance(payload, PricedItem)
            new = billing.refund_item(
                self.next_id("i"),
                payload.quantity,
                payload.unit_price,
                payload.domestic_shipping,
                "gone",
                NOW,
            )
            self.save(billing, new)
        else:
            self.save(billing, billing.cancel(self.next_id("c"), str(payload), NOW))
        return True

    # --- the invariants ---------------------------------------------------------------------
    def check(self) -> None:
        kept = sum((b.kept for b in self.billings.values()), eur("0"))
        held = sum((h.holds or eur("0") for h in self.held), eur("0"))
        balance = self.deposit.balance or eur("0")
        assert balance.amount >= 0
        assert self.received - self.paid_out == kept + balance + held + self.fees
        for billing in self.billings.values():
            assert billing.issued is not None and billing.refunded is not None
            assert billing.refunded <= (billing.received or eur("0"))
            assert billing.kept <= billing.issued.amount or billing.voided
            assert not billing.voided or billing.kept.is_zero
            # a pending transfer report only on a billing that still waits for money (R9)
            assert billing.pending_report is None or not (billing.voided or billing.settled)


OPS = (
    "place",
    "top_up",
    "withdraw",
    "deposit",
    "bank",
    "staff",
    "report",
    "withdraw_report",
    "typo",
    "card",
    "capture",
    "duplicate",
    "unknown",
    "change",
    "unavailable",
    "cancel_customer",
    "cancel_staff",
    "auto_cancel",
    "orders_learns",
    "deliver",
)
# The steps that move money or reorder events come up more often than the rest.
WEIGHTED = (
    *("bank", "bank", "report", "deliver", "deliver"),
    *("unavailable", "unavailable", "unavailable"),
)
FRACTIONS = (Decimal("1"), Decimal("0.3"), Decimal("1.5"), Decimal("0.01"), Decimal("1"))


def _item(n: int) -> PricedItem:
    return PricedItem(1 + n % 3, cny(PRICES[n % len(PRICES)]), cny(SHIPPINGS[n % 3]))


def step(world: World, op: str, a: int, b: int) -> None:
    """One thing happening, with `a` and `b` choosing what it happens to."""
    orders = list(world.orders.values())
    order = orders[a % len(orders)] if orders else None
    billing = world.billings[order.order_id] if order else None
    if order is None or billing is None or (op == "place" and len(orders) < 3):
        world.place([_item(a + n) for n in range(1 + b % 3)])
    elif op == "place":
        return
    elif op == "top_up":
        amount = eur(Decimal(1 + b * 3))
        world.received = world.received + amount
        for event in world.deposit.credit(world.next_id("a"), amount, "adjustment", "r", "s", NOW):
            world.deposit.apply(event)
    elif op == "withdraw":
        amount = world.deposit.usable_for(eur(Decimal(1 + b)))
        if not amount.is_zero:
            world.paid_out = world.paid_out + amount
            for event in world.deposit.debit(
                world.next_id("w"), amount, "adjustment", "r", "s", NOW
            ):
                world.deposit.apply(event)
    elif op == "deposit":
        world.pay_with_deposit(billing)
    elif op in ("bank", "staff"):
        base = billing.open_amount if not billing.open_amount.is_zero else eur("5.00")
        amount = Money(base.amount * FRACTIONS[b % len(FRACTIONS)], "EUR").rounded()
        if amount.amount > 0:
            world.received = world.received + amount
            if op == "bank":  # the notice names the billing by its transfer reference
                named = billing_of_reference(transfer_reference(billing.billing_id))
                assert named == billing.billing_id
                world.receive(billing, amount, "bank_transfer", world.next_id("tx"))
                assert billing.pending_report is None  # the transfer matched the report
            else:
                world.receive(billing, amount, "staff_confirmation", world.next_id("tx"))
    elif op == "report":
        if not (billing.voided or billing.settled) and billing.pending_report is None:
            amount = billing.open_amount
            world.save(
                billing,
                billing.report_payment(world.next_id("r"), "X", NOW.date(), amount, NOW, NOW),
            )
    elif op == "withdraw_report":
        pending = billing.pending_report
        if pending is not None:
            world.save(billing, billing.withdraw_report(pending.report_id, "cus-1", NOW))
    elif op == "typo":
        # One wrong character in the reference: it names no billing, the money is held.
        reference = transfer_reference(billing.billing_id)
        wrong = reference[:-2] + ("A" if reference[-2] != "A" else "B") + reference[-1]
        assert billing_of_reference(wrong) is None
        held = HeldPayment(world.next_id("h"))
        amount = eur(Decimal(1 + b))
        world.received = world.received + amount
        for event in held.hold(wrong, "bank_transfer", amount, "X", "mistyped", NOW):
            held.apply(event)
        world.held.append(held)
    elif op == "card" and billing.pending_report is not None:
        # A reported transfer is awaited: the card is withheld (409), nothing happens.
        with pytest.raises(InvalidTransitionError):
            billing.card_payment_due(CARD_FEE, eur("0"))
    elif op == "card":
        if not (billing.voided or billing.settled):
            rest, fee = billing.card_payment_due(CARD_FEE, eur("0"))
            started = CardPaymentStarted(
                billing.billing_id, world.next_id("pp"), rest, fee, rest + fee, "u", NOW
            )
            world.save(billing, [started])
    elif op == "capture":
        started_orders = list(billing.card_orders.values())
        if started_orders:
            started = started_orders[b % len(started_orders)]
            notice = f"cap-{started.paypal_order_id}"
            if notice not in world.inbox:
                world.received = world.received + started.total
                world.fees = world.fees + started.fee
            match = billing.matching_card_payment(started.paypal_order_id, started.total)
            assert match is started
            world.receive(billing, started.amount, "card", notice)
    elif op == "duplicate":
        if world.inbox:
            notice = sorted(world.inbox)[b % len(world.inbox)]
            world.receive(billing, eur("9.99"), "bank", notice)  # recorded already: nothing
    elif op == "unknown":
        held = HeldPayment(world.next_id("h"))
        amount = eur(Decimal(1 + b))
        world.received = world.received + amount
        for event in held.hold("nobody", "bank_transfer", amount, "X", "unmatched", NOW):
            held.apply(event)
        world.held.append(held)
    elif op == "change" and order.status == "applied" and order.items:
        item_id = sorted(order.items)[b % len(order.items)]
        quantity = b % 3  # 0 cancels the item
        if quantity:
            order.items[item_id] = PricedItem(
                quantity, order.items[item_id].unit_price, order.items[item_id].domestic_shipping
            )
        else:
            del order.items[item_id]
        world.pending.append(("changed", order.order_id, list(order.items.values())))
        if not order.items:
            order.status = "cancelled"
            world.pending.append(("cancelled", order.order_id, "customer_request"))
    elif op in ("unavailable", "cancel_staff") and order.status == "applied" and billing.settled:
        order.status = "purchasing"  # the payment reached orders before staff acted
        step(world, op, a, b)
    elif op == "unavailable" and order.status == "purchasing" and order.items:
        item_id = sorted(order.items)[b % len(order.items)]
        world.pending.append(("unavailable", order.order_id, order.items.pop(item_id)))
        if not order.items:
            order.status = "cancelled"
            world.pending.append(("cancelled", order.order_id, "nothing_purchasable"))
    elif op.endswith("cancel_customer") or op == "auto_cancel":
        if order.status == "applied":
            order.status = "cancelled"
            world.pending.append(("cancelled", order.order_id, op))
    elif op == "cancel_staff" and order.status in ("applied", "purchasing"):
        order.status = "cancelled"
        world.pending.append(("cancelled", order.order_id, "staff"))
    elif op == "orders_learns" and order.status == "applied" and billing.settled:
        order.status = "purchasing"  # PaymentReceived or a settled revision reached orders
    elif op == "deliver" and world.pending:
        # One event, any of those waiting (events arrive in any order), or all in turn.
        waiting = world.pending if b % 4 == 1 else list(reversed(world.pending))
        chosen = waiting if b % 2 else [world.pending[b % len(world.pending)]]
        for kind, order_id, payload in list(chosen):
            if world.deliver(kind, order_id, payload):
                world.pending.remove((kind, order_id, payload))


@pytest.mark.rule("R20")
@pytest.mark.rule("R17")
@pytest.mark.rule("R8")
@settings(max_examples=400)
@given(
    st.lists(
        st.tuples(st.sampled_from(OPS + WEIGHTED), st.integers(0, 50), st.integers(0, 50)),
        min_size=20,
        max_size=60,
    )
)
def test_money_received_is_always_kept_by_a_billing_the_deposit_or_staff(
    history: list[tuple[str, int, int]],
) -> None:
    world = World()
    for op, a, b in history:
        step(world, op, a, b)
        world.check()
    # Everything the orders side said reaches billing in the end (an item refund waiting for
    # a billing that is not paid in full stays waiting, as its consumer holds it).
    for _ in range(len(world.pending) + 1):
        for kind, order_id, payload in list(world.pending):
            if world.deliver(kind, order_id, payload):
                world.pending.remove((kind, order_id, payload))
        world.check()
    for order in world.orders.values():
        if order.status == "cancelled":
            # A cancelled order leaves nothing paid unrefunded (R20).
            assert world.billings[order.order_id].kept.is_zero
