"""The deposit under concurrent payments, against the real database (R8)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.domain.deposit import InsufficientDepositError
from services.billing.handlers import DEPOSITS
from services.billing.handlers.payments import adjust_deposit, pay_with_deposit
from shared.money import Money
from shared.runtime import Context
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context
from tests.support.race import race

CUSTOMER = "cus-0001"  # the contract examples' customer
PAYMENTS = 50


def _billings(context: Context, prefix: str) -> list[str]:
    """Fifty 1st billings of 7.68 EUR each (one 60 CNY item, no domestic shipping)."""
    billing = consumer(context, BILLING)
    ids = []
    for n in range(PAYMENTS):
        order_id = f"{prefix}-{n}"
        item = {
            "item_id": "itm-1",
            "url": "https://item.taobao.com/item.htm?id=1",
            "title": "Tote",
            "quantity": 1,
            "unit_price": {"amount": "50.00", "currency": "CNY"},
            "domestic_shipping": {"amount": "0.00", "currency": "CNY"},
        }
        deliver(billing, message("OrderPlaced", "orders", order_id, items=[item]))
        ids.append(f"{order_id}-1")
    return ids


def _pay_all_at_once(context: Context, billings: list[str]) -> list[str]:
    """Every billing paid from the deposit at the same moment; "paid" or "refused" each."""
    outcomes: list[str] = []

    def pay(bid: str) -> None:
        try:
            pay_with_deposit(context, bid, CUSTOMER, CUSTOMER)
            outcomes.append("paid")
        except InsufficientDepositError:
            outcomes.append("refused")

    race(*[partial(pay, bid) for bid in billings])
    return outcomes


@pytest.mark.rule("R8")
def test_R8_fifty_concurrent_payments_never_overdraw_the_deposit(infra: Infra) -> None:
    with service_context(infra, BILLING) as context:
        for round_no in range(3):
            billings = _billings(context, f"ord-r{round_no}")
            # 50 CNY goods + 10 CNY minimum fee = 60 CNY -> 7.68 EUR at 0.128.
            affordable = 7 + round_no * 5
            balance = Money(Decimal("7.68") * affordable, "EUR")
            adjust_deposit(context, CUSTOMER, balance, "goodwill", "staff-1")
            outcomes = _pay_all_at_once(context, billings)
            assert outcomes.count("paid") == affordable, round_no
            assert outcomes.count("refused") == PAYMENTS - affordable
            deposit = context.store.transact(lambda tx: DEPOSITS.get(tx, CUSTOMER))
            assert deposit.balance == Money(Decimal("0.00"), "EUR")
