"""The legal hold's money (issue 21), over random histories of one customer: payments partial,
full and over, bank notices matched, mistyped or for nobody, items changed or unavailable,
customer, staff and automatic cancels, events delivered in any order (the histories of
tests/unit/test_money_conservation.py). After every step, billing's open money for the
customer is empty exactly when nothing is owed either way (no billing left to pay, nothing
of theirs kept: no refund waiting, no deposit), what it lists adds up to what is owed, and
money is conserved: what came in is what billings keep, what they gave back to the deposit
less what it paid, and what is held."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings

from services.billing.domain.billing import Billing
from services.billing.domain.deposit import Deposit
from services.billing.domain.open_money import DEPOSIT_BALANCE, UNPAID, open_money
from services.billing.handlers.common import DEPOSITS
from shared.domain_errors import DomainError
from shared.money import Money
from tests.unit.test_money_conservation import CUSTOMER, ZERO, World, histories, step


def _check_open_money(world: World) -> None:
    billings: list[Billing] = [world.billing(order_id) for order_id in world.orders]
    deposit: Deposit = world.system["billing"].store.transact(lambda tx: DEPOSITS.get(tx, CUSTOMER))
    listed = open_money(billings, deposit)

    to_pay = [b for b in billings if not b.voided and not b.open_amount.is_zero]
    given_back = [b for b in billings if b.voided and not b.kept.is_zero]
    balance = deposit.balance or ZERO
    owed_either_way = bool(to_pay or given_back or balance.amount > 0)
    assert (listed == []) == (not owed_either_way)

    unpaid = sum((m.owed for m in listed if m.reason == UNPAID), ZERO)
    assert unpaid == sum((b.open_amount for b in to_pay), ZERO)
    held_for_them = [m.owed for m in listed if m.reason == DEPOSIT_BALANCE]
    assert held_for_them == ([balance] if balance.amount > 0 else [])
    for sum_ in listed:
        assert sum_.owed.amount > 0
    # Every billing: what it received is what it keeps plus what it refunded.
    for found in billings:
        assert found.received == found.kept + (found.refunded or ZERO)


@pytest.mark.rule("R8", "R20")
@settings(max_examples=60, deadline=None)
@given(histories(min_size=10, max_size=50))
def test_a_customer_has_open_money_exactly_while_money_is_owed_either_way(
    history: list[tuple[str, int, int]],
) -> None:
    world = World()
    for op, a, b in history:
        with contextlib.suppress(DomainError):
            step(world, op, a, b)
        world.carry()
        world.check()  # money conserved (tests/unit/test_money_conservation.py)
        _check_open_money(world)
    for _ in range(len(world.to_billing) + 1):
        world.orders_learn()
        world.deliver("billing", world.to_billing, list(world.to_billing))
        world.check()
        _check_open_money(world)


def test_a_customer_with_nothing_billed_and_no_deposit_has_no_open_money() -> None:
    assert open_money([], Deposit(CUSTOMER)) == []
    emptied = Deposit(CUSTOMER, balance=Money.zero("EUR"))
    assert open_money([], emptied) == []
