"""Loading an aggregate from its stream and appending what it decided, with the version it
was loaded at as the expected version (optimistic concurrency)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from shared.events.codec import EventCodec
from shared.events.store import Transaction


class Aggregate(Protocol):
    """Anything folded from its events, counting them in `version`."""

    version: int

    def apply(self, event: Any) -> None: ...


A = TypeVar("A", bound=Aggregate)


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
