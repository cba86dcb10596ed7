"""The event store in memory: the same contract as the PostgreSQL one (tests/support/
store_contract.py proves it on both), for tests that run handlers in-process in milliseconds.

What it keeps is what the event store keeps: the events (append with optimistic concurrency,
streams, the commit order), the inbox and the deadlines. A service's own tables (photos, the
mail queue, rates) are SQL reached through `tx.conn`, which it does not have: code that
touches them is tested against PostgreSQL. Transactions run one at a time (a lock; one may
run inside another in the same thread, and then commits before it, as in PostgreSQL); a
transaction's writes are buffered and stored only when it ends without an error."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from shared.events import errors
from shared.events.clock import Clock, SystemClock
from shared.events.deadlines import Deadline
from shared.events.store import (
    START,
    EventStore,
    NewEvent,
    NoUpcasting,
    Position,
    RecordedEvent,
    Row,
    Transaction,
    Upcaster,
    dumps,
)

T = TypeVar("T")


class _Tables:
    """The stored rows of one memory store, shaped as the PostgreSQL rows are."""

    def __init__(self) -> None:
        self.events: list[Row] = []  # in commit order
        self.versions: dict[str, int] = {}
        self.event_ids: set[UUID] = set()
        self.inbox: set[tuple[str, UUID]] = set()
        self.last_position = 0
        self.last_tx_id = 0
        self.running: set[int] = set()  # transactions begun and not ended (nested ones)
        self.deadlines: dict[tuple[str, str], _DeadlineRow] = {}


# A stored deadline and when it fired (None: not yet).
_DeadlineRow = tuple[Deadline, datetime | None]


class MemoryDeadlines:
    """The deadlines as one memory transaction sees them: its own changes over the stored
    rows, stored when it commits."""

    def __init__(self, tables: _Tables) -> None:
        self._tables = tables
        self.changed: dict[tuple[str, str], _DeadlineRow | None] = {}  # None: deleted

    def _row(self, kind: str, key: str) -> _DeadlineRow | None:
        if (kind, key) in self.changed:
            return self.changed[(kind, key)]
        return self._tables.deadlines.get((kind, key))

    def put(self, deadline: Deadline) -> None:
        """Store a deadline, or move one of the same (kind, key), to fire again."""
        self.changed[(deadline.kind, deadline.key)] = (deadline, None)

    def drop(self, kind: str, key: str) -> None:
        """Forget a deadline that has not fired."""
        row = self._row(kind, key)
        if row is not None and row[1] is None:
            self.changed[(kind, key)] = None

    def claim_due(self, now: datetime, kinds: Sequence[str]) -> Deadline | None:
        """The earliest unfired deadline of `kinds` due by `now`, or None."""
        rows = [self._row(*ids) for ids in {*self._tables.deadlines, *self.changed}]
        due = [
            row[0]
            for row in rows
            if row is not None and row[1] is None and row[0].due_at <= now and row[0].kind in kinds
        ]
        return min(due, key=lambda deadline: deadline.due_at, default=None)

    def mark_fired(self, deadline: Deadline, now: datetime) -> None:
        """Record that `deadline` fired."""
        row = self._row(deadline.kind, deadline.key)
        if row is not None:
            self.changed[(deadline.kind, deadline.key)] = (row[0], now)

    def commit(self) -> None:
        """Store this transaction's changes."""
        for ids, row in self.changed.items():
            if row is None:
                self._tables.deadlines.pop(ids, None)
            else:
                self._tables.deadlines[ids] = row


class MemoryTransaction(Transaction):
    """One transaction of a `MemoryEventStore`: what it writes is stored when it commits."""

    def __init__(self, tables: _Tables, upcaster: Upcaster, clock: Clock) -> None:
        super().__init__(upcaster)
        self._tables = tables
        self._clock = clock
        tables.last_tx_id += 1
        self.tx_id = tables.last_tx_id
        tables.running.add(self.tx_id)
        self._written: list[Row] = []
        self._inbox: set[tuple[str, UUID]] = set()
        self.deadlines: MemoryDeadlines = MemoryDeadlines(tables)

    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> list[RecordedEvent]:
        """Append `events` to `stream_id` if the stream is at `expected_version`."""
        if not events:
            return []
        inbox, self._pending_inbox = self._pending_inbox, None
        if inbox is not None:
            self._insert_inbox(inbox)
        actual = self.stream_version(stream_id)
        if actual != expected_version:
            raise errors.ConcurrencyError(stream_id, expected_version, actual)
        ids = [event.event_id for event in events]
        taken = self._tables.event_ids | {row["event_id"] for row in self._written}
        if len(set(ids)) < len(ids) or taken.intersection(ids):
            raise errors.IntegrityError(f"an event of {stream_id!r} was appended before")
        rows = [self._row(stream_id, actual + n, event) for n, event in enumerate(events, 1)]
        self._written += rows
        return self._recorded(stream_id, events, rows)

    def _row(self, stream_id: str, version: int, event: NewEvent) -> Row:
        # Payloads go through JSON as into jsonb: what is read back is what PostgreSQL gives
        # (lists for tuples), and a payload that is not JSON-ready fails here as it does there.
        self._tables.last_position += 1  # taken even if rolled back, as an identity column
        return {
            "position": self._tables.last_position,
            "tx_id": self.tx_id,
            "stream_id": stream_id,
            "version": version,
            "event_id": event.event_id,
            "type": event.type,
            "schema_version": event.schema_version,
            "data": json.loads(dumps(event.data)),
            "metadata": json.loads(dumps(event.metadata)),
            "recorded_at": self._clock.now(),
        }

    def flush(self) -> None:
        """Before commit: the inbox row no append has carried yet."""
        inbox, self._pending_inbox = self._pending_inbox, None
        if inbox is not None:
            self._insert_inbox(inbox)

    def _insert_inbox(self, row: tuple[str, UUID]) -> None:
        if row in self._tables.inbox or row in self._inbox:
            raise errors.DuplicateMessageError(f"{row[0]} handled message {row[1]} before")
        self._inbox.add(row)

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        """The events of one stream, oldest first (this transaction's own appends included)."""
        return [
            self.to_event(row)
            for row in [*self._tables.events, *self._written]
            if row["stream_id"] == stream_id and row["version"] > after_version
        ]

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 for a stream that does not exist)."""
        mine = [row["version"] for row in self._written if row["stream_id"] == stream_id]
        return max(mine, default=self._tables.versions.get(stream_id, 0))

    def read_all(self, after: Position = START, limit: int = 1000) -> list[RecordedEvent]:
        """Committed events after `after` in commit order, below the horizon: the oldest
        transaction still running (this one, or one it runs in), as in PostgreSQL."""
        horizon = min(self._tables.running)
        later = [
            row for row in self._tables.events if after < _position(row) and row["tx_id"] < horizon
        ]
        return [self.to_event(row) for row in later[:limit]]

    def count_after(self, after: Position) -> int:
        """How many stored events come after `after` (a reader's lag)."""
        rows = [*self._tables.events, *self._written]
        return sum(1 for row in rows if _position(row) > after)

    def commit(self) -> None:
        """Store what this transaction wrote (called by the store, under its lock)."""
        tables = self._tables
        tables.events = sorted([*tables.events, *self._written], key=_position)
        tables.event_ids.update(row["event_id"] for row in self._written)
        tables.versions.update((row["stream_id"], row["version"]) for row in self._written)
        tables.inbox |= self._inbox
        self.deadlines.commit()


def _position(row: Row) -> Position:
    return Position(row["tx_id"], row["position"])


class MemoryEventStore(EventStore):
    """An event store in this process's memory (see the module's docstring)."""

    def __init__(self, upcaster: Upcaster | None = None, clock: Clock | None = None) -> None:
        # No pool: `transaction` is the only way in, and it is this class's own.
        self.upcaster = upcaster or NoUpcasting()
        self.clock: Clock = clock or SystemClock()
        self._tables = _Tables()
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction, stored when the block ends, forgotten if it raises."""
        with self._lock:
            tx = MemoryTransaction(self._tables, self.upcaster, self.clock)
            try:
                yield tx
                tx.flush()
                for hook in self.commit_hooks:
                    hook(tx)
                tx.commit()
            finally:
                self._tables.running.discard(tx.tx_id)
        self.committed(tx)

    def single(self, work: Callable[[Transaction], T]) -> T:
        """Run `work` in a transaction: here every transaction is as cheap as a statement."""
        return self.transact(work)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """SQL needs PostgreSQL: the memory store keeps only the kit's tables."""
        raise errors.ProgrammingError(f"the memory event store runs no SQL: {sql.split()[0]}")
