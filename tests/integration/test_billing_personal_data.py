"""Billing on its database after issue 21: staff learn the money still open with a customer
(what holds their forgetting back), and a transfer report's payer name is stored sealed and
read plain by staff."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.billing.bootstrap import DEFINITION as BILLING
from services.billing.handlers import bank
from services.billing.handlers.payments import adjust_deposit, record_payment
from shared.events.projections import ProjectionRunner
from shared.money import Money
from shared.runtime import Context
from shared.web.identity import Identity, issue_token
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context
from tests.unit.test_billing_money_paths import ITEM_1

ORDER = "ord-open"


@pytest.fixture
def billing(infra: Infra) -> Iterator[tuple[Context, str]]:
    """Billing with a 1st billing of 25.31 EUR for a customer of this test's own."""
    customer = f"cus-{uuid.uuid4().hex[:12]}"
    with service_context(infra, BILLING) as context:
        placed = message("OrderPlaced", "orders", ORDER, customer_id=customer, items=[ITEM_1])
        deliver(consumer(context, BILLING), placed)
        yield context, customer


def _get(context: Context, path: str, subject: str = "staff-1", role: str = "staff") -> Any:
    for projection in BILLING.projections():
        ProjectionRunner(context.store, projection).catch_up()
    token = issue_token(context.settings.identity_secret, Identity(subject, role))
    client = BILLING.create_app(context).test_client()
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def _eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def test_staff_see_a_customers_open_money_until_it_is_settled_both_ways(
    billing: tuple[Context, str],
) -> None:
    context, customer = billing
    path = f"/customers/{customer}/open-money"
    assert _get(context, path).get_json() == {
        "billings": [
            {
                "billing_id": f"{ORDER}-1",
                "order_id": ORDER,
                "kind": "first",
                "owed": {"amount": "25.31", "currency": "EUR"},
                "reason": "unpaid",
            }
        ]
    }
    record_payment(context, f"{ORDER}-1", _eur("30.00"), "staff_confirmation", "staff-1")
    # Paid, and 4.69 more than was due: the deposit holds the customer's money.
    [deposit] = _get(context, path).get_json()["billings"]
    assert deposit == {
        "billing_id": None,
        "order_id": None,
        "kind": "deposit",
        "owed": {"amount": "4.69", "currency": "EUR"},
        "reason": "deposit balance",
    }
    adjust_deposit(context, customer, _eur("-4.69"), "paid out to the customer", "staff-1")
    assert _get(context, path).get_json() == {"billings": []}
    assert _get(context, path, customer, "customer").status_code == 403


@pytest.mark.rule("R27")
def test_R27_a_payer_name_is_stored_sealed_and_staff_read_and_find_it_plain(
    billing: tuple[Context, str],
) -> None:
    context, customer = billing
    today = datetime(2026, 11, 27, tzinfo=UTC).date()
    bank.report_payment(
        context, f"{ORDER}-1", customer, "ALICE MARTIN", today, _eur("25.31"), customer
    )
    reports = _get(context, "/queues/payment-reports").get_json()["reports"]
    assert [r["payer_name"] for r in reports] == ["ALICE MARTIN"]
    # Staff still find it by part of the name (R27), sealed as it is.
    found = _get(context, "/queues/payment-reports?q=alice").get_json()["reports"]
    assert [r["billing_id"] for r in found] == [f"{ORDER}-1"]
    assert _get(context, "/queues/payment-reports?q=bob").get_json()["reports"] == []
    stored = context.store.query(
        "SELECT (SELECT string_agg(data::text, ' ') FROM events) AS events, "
        "(SELECT string_agg(payer_name, ' ') FROM payment_reports) AS reports",
        (),
    )[0]
    assert "ALICE" not in stored["events"] and "ALICE" not in stored["reports"]
