"""Services run in this process on memory event stores (shared/events/memory.py): their command,
event and deadline handlers in milliseconds, as cosmicpython's tests/unit/test_handlers.py runs
its handlers on fakes. The integration events between services travel the way the relay and
the consumer carry them (the envelope's wire form, the contract's validation, the inbox row in
the handler's transaction), without a broker or a process."""

from __future__ import annotations

from collections.abc import Mapping

from shared.config import Settings
from shared.events.clock import ManualClock
from shared.events.contracts import CONTRACTS
from shared.events.contracts.envelope import decode_envelope, encode_envelope
from shared.events.errors import DuplicateMessageError
from shared.events.incoming import IncomingEvent
from shared.events.memory import MemoryEventStore
from shared.events.relay import envelope_of
from shared.events.repository import decide_again
from shared.events.scheduler import Scheduler
from shared.events.store import START, Position, Transaction
from shared.events.topology import Topology
from shared.runtime import Context, ServiceDefinition


def in_memory(
    definition: ServiceDefinition,
    clock: ManualClock | None = None,
    extra: Mapping[str, str] | None = None,
) -> Context:
    """A service's context over a memory event store (`extra`: its CNNECT_<SERVICE>_* settings)."""
    settings = Settings(definition.name, extra=dict(extra or {}))
    clock = clock or ManualClock()
    return Context(
        settings=settings,
        store=MemoryEventStore(CONTRACTS, clock),
        clock=clock,
        topology=Topology(),
        config=definition.config(settings),
    )


class InProcess:
    """Several services in this process, sharing one clock that tests move."""

    def __init__(self, *definitions: ServiceDefinition) -> None:
        self.clock = ManualClock()
        self.definitions = {d.name: d for d in definitions}
        self.contexts = {d.name: in_memory(d, self.clock) for d in definitions}
        # How far each consumer has read each producer's outbox (as the relay's checkpoint).
        self._read: dict[tuple[str, str], Position] = {}

    def __getitem__(self, service: str) -> Context:
        return self.contexts[service]

    def settle(self) -> int:
        """Deliver every integration event not delivered yet, and what it causes, until none
        is left; how many were delivered."""
        delivered = 0
        while moved := sum(
            self._deliver_new(producer, consumer)
            for producer in self.contexts
            for consumer in self.contexts
            if producer != consumer
        ):
            delivered += moved
        return delivered

    def fire_deadlines(self, service: str) -> int:
        """Fire the service's deadlines due by the shared clock, as its worker does."""
        ctx = self.contexts[service]
        return Scheduler(ctx.store, self.clock, self.definitions[service].deadlines(ctx)).fire_due()

    def take(self, producer: str, consumer: str) -> list[bytes]:
        """The integration events of `producer` for `consumer` not taken yet, on the wire: a
        test that delivers them itself (`consumer(name).deliver`) chooses their order."""
        handlers = self.definitions[consumer].handlers
        after = self._read.get((producer, consumer), START)
        bodies = []
        for event in self.contexts[producer].store.iter_all(after):
            self._read[(producer, consumer)] = event.commit_position
            if event.type in handlers and CONTRACTS.contract(event.type).producer == producer:
                bodies.append(encode_envelope(envelope_of(event, producer)))
        return bodies

    def consumer(self, service: str) -> Consumer:
        """The service's consumer, delivering messages to its handlers."""
        return Consumer(self.contexts[service], self.definitions[service])

    def _deliver_new(self, producer: str, consumer: str) -> int:
        bodies = self.take(producer, consumer)
        for body in bodies:
            self.consumer(consumer).deliver(body)
        return len(bodies)


class Consumer:
    """A service's consumer in this process: a message on the wire decoded, validated against
    its contract and applied by the service's handler in one transaction with its inbox row,
    as shared/events/consumer.py applies it. An event that is not applicable yet raises: the
    broker's consumer would hold it, a test wants to know."""

    def __init__(self, ctx: Context, definition: ServiceDefinition) -> None:
        self.ctx = ctx
        self.definition = definition

    def deliver(self, body: bytes) -> bool:
        """Apply one message; False for a duplicate, which changes nothing (its inbox row is
        there already)."""
        envelope = decode_envelope(body)
        data = CONTRACTS.load(envelope.type, envelope.schema_version, envelope.data)
        incoming = IncomingEvent(envelope, data)
        handler = self.definition.handlers[envelope.type]

        def work(tx: Transaction) -> None:
            tx.record_inbox(self.definition.name, envelope.event_id)
            handler(self.ctx, tx, incoming)

        try:
            decide_again(self.ctx.store, work)
        except DuplicateMessageError:
            return False
        return True
