"""A service wired in-process against a test database, and integration events delivered to
its handlers the way its consumer delivers them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.orders.bootstrap import DEFINITION as ORDERS
from services.orders.domain import events as ev
from services.orders.handlers import commands
from shared.config import Settings
from shared.events.clock import ManualClock
from shared.events.consumer import EventConsumer
from shared.events.contracts import CONTRACTS
from shared.events.database import drop_database
from shared.events.incoming import Outcome
from shared.events.topology import Topology
from shared.money import Money
from shared.runtime import Context, ServiceDefinition, bootstrap
from tests.support.infra import Infra


@contextmanager
def orders_context(infra: Infra) -> Iterator[Context]:
    """A wired orders service on its own database, with a manual clock."""
    with service_context(infra, ORDERS) as context:
        yield context


@contextmanager
def service_context(infra: Infra, definition: ServiceDefinition) -> Iterator[Context]:
    """A wired service on its own database, with a manual clock."""
    database = infra.name(definition.name)
    settings = Settings(
        service=definition.name,
        postgres_url=infra.postgres_url,
        database=database,
        amqp_url=infra.amqp_url,
        namespace=infra.name("ns"),
    )
    context = bootstrap(definition, settings, clock=ManualClock(), pool_size=60)
    try:
        yield context
    finally:
        context.close()
        drop_database(infra.postgres_url, database)


def place_order(
    context: Context,
    customer_id: str,
    items: int = 2,
    quantity: int = 2,
    address: ev.DeliveryAddress | None = None,
    note: str = "",
) -> str:
    """An order placed by `customer_id` at the orders service, `items` items itm-1.. of
    `quantity` x 45.50 + 8.00 CNY each, for EMS to `address` (else Lyon); its id."""
    ordered = [
        ev.OrderedItem(
            f"itm-{n}",
            f"https://item.taobao.com/item.htm?id={n}",
            f"Item {n}",
            quantity,
            Money(Decimal("45.50"), "CNY"),
            Money(Decimal("8.00"), "CNY"),
        )
        for n in range(1, items + 1)
    ]
    address = address or ev.DeliveryAddress("A", "1 rue", "Lyon", "69003", "FR")
    command = commands.PlaceOrder(customer_id, ordered, address, "EMS", note)
    return commands.place_order(context, command, actor=customer_id)


def consumer(context: Context, definition: ServiceDefinition = ORDERS) -> EventConsumer:
    """A service's consumer (its handlers, inbox and holds), without a broker connection."""
    return EventConsumer(
        name=definition.name,
        store=context.store,
        amqp_url=context.settings.amqp_url,
        topology=Topology(context.settings.namespace),
        contracts=CONTRACTS,
        handlers=definition.consumer_handlers(context),
        routing_keys=(),
    )


def message(event_type: str, producer: str, order_id: str, **data: Any) -> bytes:
    """An integration event on the wire, its payload the contract's example with `data`."""
    payload = dict(CONTRACTS.contract(event_type).example, order_id=order_id, **data)
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "schema_version": CONTRACTS.contract(event_type).version,
        "occurred_at": datetime.now().astimezone().isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "producer": producer,
        "stream_id": f"{producer}-{order_id}",
        "stream_version": 1,
        "ordering_key": order_id,
        "data": payload,
    }
    return json.dumps(envelope).encode()


def deliver(consumer: EventConsumer, body: bytes) -> Outcome:
    """Deliver until the consumer stops asking for a redelivery."""
    for _ in range(10):
        outcome = consumer.handle(body, "test")
        if outcome is not Outcome.REQUEUED:
            return outcome
    raise AssertionError("message kept failing")
