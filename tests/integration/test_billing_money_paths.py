"""Billing's money paths that need PostgreSQL: a staff confirmation under an Idempotency-Key
(its reservation is a table). The rest run in-process: tests/unit/test_billing_money_paths.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.billing.bootstrap import DEFINITION as BILLING
from shared.events.consumer import EventConsumer
from shared.runtime import Context
from shared.web.identity import Identity, issue_token
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context
from tests.unit.test_billing_money_paths import ITEM_1, _cancelled, _deposit, _eur


@pytest.fixture
def billing(infra: Infra) -> Iterator[tuple[Context, EventConsumer]]:
    with service_context(infra, BILLING) as context:
        yield context, consumer(context, BILLING)


def test_staff_confirming_money_for_a_voided_billing_credits_the_deposit(
    billing: tuple[Context, EventConsumer],
) -> None:
    context, consumer_ = billing
    deliver(consumer_, message("OrderPlaced", "orders", "ord-m6e", items=[ITEM_1]))
    deliver(consumer_, _cancelled("ord-m6e"))
    staff = Identity("staff-1", "staff")
    headers = {
        "Authorization": f"Bearer {issue_token(context.settings.identity_secret, staff)}",
        "Idempotency-Key": "confirm-m6e",
    }
    client = BILLING.create_app(context).test_client()
    answer = client.post(
        "/billings/ord-m6e-1/payments",
        json={"amount": "25.31", "currency": "EUR"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["applied"], body["to_deposit"], body["open"]) == ("0.00", "25.31", "0")
    assert _deposit(context) == _eur("25.31")
