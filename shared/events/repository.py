"""Loading an aggregate from its stream and appending what it decided, with the version it
was loaded at as the expected version (optimistic concurrency): the service layer's
load-decide-append, and the metadata of the events a command causes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from shared.events.codec import EventCodec
from shared.events.store import EventStore, Transaction
from shared.observability.context import correlation_id

# The one answer to a concurrent change of a stream: decide again on the fresh state, at most
# this many more times (each after a short random pause, see EventStore.transact).
DECIDE_AGAIN = 30


class Aggregate(Protocol):
    """Anything folded from its events, counting them in `version`."""

    version: int

    def apply(self, event: Any) -> None: ...


A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


def meta(actor: str, ordering_key: str | None = None) -> dict[str, Any]:
    """Metadata of events a command caused: who, the current correlation, the ordering key."""
    found = {"actor": actor, "correlation_id": correlation_id()}
    return found if ordering_key is None else {**found, "ordering_key": ordering_key}


def decide_again(store: EventStore, work: Callable[[Transaction], T]) -> T:
    """Run `work` (load, decide, append) in a transaction, run again on fresh state after a
    concurrent change: the loser of a race (a payment arriving while the customer cancels)
    gets the answer the new state gives (a clear refusal, or success), not a bare conflict."""
    return store.transact(work, decide_again=DECIDE_AGAIN)


class Repository(Generic[A]):
    """Streams named `<prefix>-<id>` holding one aggregate each."""

    def __init__(
        self, prefix: str, codec: EventCodec, replay: Callable[[str, list[Any]], A]
    ) -> None:
        self.prefix = prefix
        self.codec = codec
        self._replay = replay

    def stream_id(self, aggregate_id: str) -> str:
        """The stream of one aggregate."""
        return f"{self.prefix}-{aggregate_id}"

    def get(self, tx: Transaction, aggregate_id: str) -> A:
        """The aggregate as its stream has it now (an empty one if the stream is new)."""
        history = [self.codec.decode(e) for e in tx.read_stream(self.stream_id(aggregate_id))]
        return self._replay(aggregate_id, history)

    def save(
        self,
        tx: Transaction,
        aggregate_id: str,
        aggregate: A,
        new_events: Sequence[Any],
        metadata: Mapping[str, Any],
    ) -> None:
        """Append `new_events` if nobody appended since `aggregate` was loaded."""
        if not new_events:
            return
        tx.append(
            self.stream_id(aggregate_id),
            [self.codec.encode(e, metadata) for e in new_events],
            expected_version=aggregate.version,
        )
        for event in new_events:
            aggregate.apply(event)

    def decide(
        self,
        store: EventStore,
        aggregate_id: str,
        decision: Callable[[Transaction, A], Sequence[Any]],
        metadata: Mapping[str, Any],
    ) -> A:
        """Load the aggregate, let `decision` decide, append; decided again on a concurrent
        change (`decide_again`). The aggregate, with what it decided applied."""

        def work(tx: Transaction) -> A:
            aggregate = self.get(tx, aggregate_id)
            self.save(tx, aggregate_id, aggregate, decision(tx, aggregate), metadata)
            return aggregate

        return decide_again(store, work)
