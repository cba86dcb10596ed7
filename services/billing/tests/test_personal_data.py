"""Payer names are stored sealed (issue 21): a transfer report's under the billing's customer,
held money's under the hold's own key until staff credit it to a customer who, forgotten,
takes it with them; money for a forgotten customer is still never refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.domain.held import HeldPayment
from services.billing.handlers import bank
from services.billing.handlers.common import BILLINGS, HELD
from services.billing.handlers.held import credit_held_payment
from services.billing.personal import PERSONAL_DATA
from shared.money import Money
from shared.personal.sealing import FORGOTTEN, is_sealed, sealed_owner
from shared.runtime import Context
from tests.support.in_process import Consumer, in_memory
from tests.support.orders_context import message

CUSTOMER = "cus-0001"  # the contract examples' customer
ORDER = "ord-pii"
ITEM = {
    "item_id": "itm-1",
    "url": "https://item.taobao.com/item.htm?id=1",
    "title": "itm-1",
    "quantity": 1,
    "unit_price": {"amount": "173.00", "currency": "CNY"},
    "domestic_shipping": {"amount": "14.80", "currency": "CNY"},
}


def _billed() -> tuple[Context, Consumer]:
    context = in_memory(BILLING)
    consumer = Consumer(context, BILLING)
    consumer.deliver(message("OrderPlaced", "orders", ORDER, items=[ITEM]))
    return context, consumer


def _stored(context: Context, stream_id: str, event_type: str) -> dict[str, object]:
    return next(dict(e.data) for e in context.store.read_stream(stream_id) if e.type == event_type)


def _forgotten_message() -> bytes:
    payload = json.loads(message("CustomerForgotten", "messaging", CUSTOMER))
    payload["data"].pop("order_id", None)
    return json.dumps(payload).encode()


def test_a_transfer_reports_payer_name_is_stored_sealed_under_the_billings_customer() -> None:
    context, _ = _billed()
    today = datetime(2026, 11, 27, tzinfo=UTC).date()
    amount = Money(Decimal("25.31"), "EUR")
    bank.report_payment(context, f"{ORDER}-1", CUSTOMER, " ALICE MARTIN ", today, amount, CUSTOMER)
    stored = _stored(context, BILLINGS.stream_id(f"{ORDER}-1"), "PaymentReported")
    name = str(stored["payer_name"])
    assert is_sealed(name) and sealed_owner(name) == CUSTOMER
    assert context.personal.reveal_text(name) == "ALICE MARTIN"


def test_held_moneys_payer_is_forgotten_with_the_customer_staff_credit_it_to() -> None:
    context, consumer = _billed()
    notice = bank.BankNotice("TX-PII", "nobody", Money(Decimal("12.00"), "EUR"), "B DUPONT")
    held = bank.receive_bank_notice(context, notice)
    assert held is not None
    name = str(_stored(context, HELD.stream_id("bank-TX-PII"), "PaymentHeld")["payer_name"])
    assert sealed_owner(name) == "bank-TX-PII"  # nobody was known: the hold's own key
    assert context.personal.reveal_text(name) == "B DUPONT"

    credit_held_payment(context, "bank-TX-PII", CUSTOMER, "staff-1")
    context.personal.forget(CUSTOMER)
    assert consumer.deliver(_forgotten_message())
    assert context.personal.reveal_text(name) == FORGOTTEN


def test_money_for_a_forgotten_customers_billing_is_still_held_not_refused() -> None:
    context, _ = _billed()
    context.personal.forget(CUSTOMER)
    notice = bank.BankNotice(
        "TX-USD", f"{ORDER}-1", Money(Decimal("30.00"), "USD"), "FORMER CUSTOMER"
    )
    held = bank.receive_bank_notice(context, notice)
    assert isinstance(held, HeldPayment) and held.holds == Money(Decimal("30.00"), "USD")
    name = str(_stored(context, HELD.stream_id("bank-TX-USD"), "PaymentHeld")["payer_name"])
    assert sealed_owner(name) == "bank-TX-USD"


def test_billings_declaration_names_the_payer_name_fields() -> None:
    declared = {(f.event_type, path) for f in PERSONAL_DATA.events for path in f.paths}
    assert declared == {("PaymentReported", "payer_name"), ("PaymentHeld", "payer_name")}
