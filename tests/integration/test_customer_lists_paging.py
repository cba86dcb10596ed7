"""A customer's own lists (orders in a tab, inquiries) come a page at a time and the pages
name the next one, so "Download my data" holds every order and inquiry, not the latest 200."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from services.messaging.bootstrap import DEFINITION as MESSAGING
from services.orders import views
from services.orders.bootstrap import DEFINITION as ORDERS
from shared.runtime import Context, ServiceDefinition
from shared.web.identity import Identity, issue_token
from shared.web.paging import LIST_PAGE
from tests.support.infra import Infra
from tests.support.orders_context import orders_context, service_context

CUSTOMER = "cus-many"
START = datetime(2026, 1, 1, tzinfo=UTC)


def _every_page(definition: ServiceDefinition, context: Context, path: str, key: str) -> list[str]:
    """Every page of the customer's list, following next_offset; the ids in order."""
    client = definition.create_app(context).test_client()
    token = issue_token(context.settings.identity_secret, Identity(CUSTOMER, "customer"))
    found: list[str] = []
    offset: int | None = 0
    while offset is not None:
        separator = "&" if "?" in path else "?"
        answer = client.get(
            f"{path}{separator}offset={offset}", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        assert len(body[key]) <= LIST_PAGE
        found += [row.get("order_id") or row["conversation_id"] for row in body[key]]
        offset = body["next_offset"]
    return found


def test_a_customer_with_more_orders_than_a_page_reads_them_all_newest_first(
    infra: Infra,
) -> None:
    status = sorted(views.TABS["ongoing"])[0]
    ids = [f"ord-{n:04d}" for n in range(LIST_PAGE + 5)]
    with orders_context(infra) as context:
        for n, order_id in enumerate(ids):
            at = START + timedelta(minutes=n)
            context.store.query(
                "INSERT INTO order_details VALUES (%s, %s, %s, %s, %s, %s::jsonb)",
                (order_id, CUSTOMER, status, at, at, json.dumps({"order_id": order_id})),
            )
        found = _every_page(ORDERS, context, "/orders?tab=ongoing", "orders")
    assert found == list(reversed(ids))


def test_a_customer_with_more_inquiries_than_a_page_reads_them_all(infra: Infra) -> None:
    ids = [f"inq-{n:04d}" for n in range(LIST_PAGE + 3)]
    with service_context(infra, MESSAGING) as context:
        for n, inquiry_id in enumerate(ids):
            context.store.query(
                "INSERT INTO conversations (conversation_id, customer_id, opened_at) "
                "VALUES (%s, %s, %s)",
                (inquiry_id, CUSTOMER, START + timedelta(minutes=n)),
            )
        found = _every_page(MESSAGING, context, "/inquiries", "inquiries")
    assert found == list(reversed(ids))
