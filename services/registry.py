"""Every service's definition, and what follows from them all: the queue bindings of the whole
system (each service's queues bound to the events its handlers take, from their producers),
which `make run` declares. Here and not in shared/: the kit knows no service."""

from __future__ import annotations

from collections.abc import Mapping

from services.billing.bootstrap import DEFINITION as BILLING
from services.messaging.bootstrap import DEFINITION as MESSAGING
from services.orders.bootstrap import DEFINITION as ORDERS
from services.shipping.bootstrap import DEFINITION as SHIPPING
from shared.events.contracts import CONTRACTS
from shared.events.topology import subscriptions
from shared.runtime import ServiceDefinition

DEFINITIONS: tuple[ServiceDefinition, ...] = (ORDERS, BILLING, MESSAGING, SHIPPING)
# Which integration events each service consumes, as `<producer>.<EventName>`.
SUBSCRIPTIONS: Mapping[str, tuple[str, ...]] = {
    definition.name: subscriptions(definition.handlers, CONTRACTS) for definition in DEFINITIONS
}
