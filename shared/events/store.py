"""The event store: append with optimistic concurrency, read a stream, read everything in
commit order. One per service database; the `events` table is also the outbox."""

from __future__ import annotations

import contextlib
import functools
import json
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, Protocol, TypeVar, cast
from uuid import UUID, uuid4

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from shared.events import errors
from shared.events.database import translate, translated, with_retry
from shared.events.deadlines import Deadlines, SqlDeadlines
from shared.observability import events as observed

T = TypeVar("T")
Row = dict[str, Any]
# A connection outside any transaction: nothing ran since the last commit or rollback.
_IDLE = psycopg.pq.TransactionStatus.IDLE


@dataclass(frozen=True, order=True)
class Position:
    """A place in the commit order: the writing transaction, then the global position."""

    tx_id: int
    position: int

    def __str__(self) -> str:
        return f"{self.tx_id}:{self.position}"


START = Position(0, 0)


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended; `data` is JSON-ready."""

    type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: UUID = field(default_factory=uuid4)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored, upcast to the current schema version of its type."""

    position: int
    tx_id: int
    stream_id: str
    version: int
    event_id: UUID
    type: str
    schema_version: int
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]
    recorded_at: datetime

    @property
    def commit_position(self) -> Position:
        """Where this event stands in the commit order (what checkpoints store)."""
        return Position(self.tx_id, self.position)


class Upcaster(Protocol):
    """Brings an old stored payload to the current schema version of its type."""

    def upcast(
        self, event_type: str, schema_version: int, data: Mapping[str, Any]
    ) -> tuple[int, Mapping[str, Any]]: ...


class NoUpcasting:
    """For stores whose event types have only ever had one version."""

    def upcast(
        self, event_type: str, schema_version: int, data: Mapping[str, Any]
    ) -> tuple[int, Mapping[str, Any]]:
        return schema_version, data


_COLUMNS = (
    "position, tx_id::text AS tx_id, stream_id, version, event_id, type, schema_version, "
    "data, metadata, recorded_at"
)

# One event: the version guard and the insert in one statement, so a single-event append is a
# single round trip plus the commit. Two writers that both see the guard pass collide on
# UNIQUE (stream_id, version): the second waits for the first to commit, then fails.
_INSERT_ONE = """
INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata)
SELECT %(stream)s, %(expected)s + 1, %(event_id)s, %(type)s, %(schema_version)s,
       %(data)s::jsonb, %(metadata)s::jsonb
WHERE {guard}
  (SELECT coalesce(max(version), 0) FROM events WHERE stream_id = %(stream)s) = %(expected)s
RETURNING position, tx_id::text AS tx_id, version, recorded_at
"""

# The arrays go in binary (%b): psycopg dumps a list of UUIDs or strings in binary at a
# third of the cost of the text format, which quotes and escapes each element.
_INSERT_MANY = """
INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata)
SELECT %(stream)s, %(expected)s + e.ord, e.event_id, e.type, e.schema_version,
       e.data::jsonb, e.metadata::jsonb
FROM unnest(%(event_ids)b::uuid[], %(types)b::text[], %(schema_versions)b::int[],
            %(datas)b::text[], %(metadatas)b::text[])
     WITH ORDINALITY AS e(event_id, type, schema_version, data, metadata, ord)
WHERE {guard}
  (SELECT coalesce(max(version), 0) FROM events WHERE stream_id = %(stream)s) = %(expected)s
ORDER BY e.ord
RETURNING position, tx_id::text AS tx_id, version, recorded_at
"""

# The same, with the consumer's inbox row in the same statement: a message's effects cost the
# round trips of a plain insert. A duplicate message (inbox row already there) appends nothing
# and says so in `inbox_new`; one row always comes back to carry that flag.
_WITH_INBOX = """
WITH inbox_row AS (
    INSERT INTO inbox (consumer, message_id) VALUES (%(consumer)s, %(message_id)s)
    ON CONFLICT DO NOTHING RETURNING 1
), appended AS ({insert}){riders}
SELECT appended.*, EXISTS (SELECT 1 FROM inbox_row) AS inbox_new
FROM (SELECT 1) AS one LEFT JOIN appended ON true
"""
_INBOX_GUARD = "EXISTS (SELECT 1 FROM inbox_row) AND"
# An append that carries riders (see `Rider`) without an inbox row.
_WITH_RIDERS = """
WITH appended AS ({insert}){riders}
SELECT * FROM appended
"""

_APPEND_ONE = _INSERT_ONE.format(guard="")
_APPEND_MANY = _INSERT_MANY.format(guard="")
_APPEND_ONE_WITH_INBOX = _WITH_INBOX.format(
    insert=_INSERT_ONE.format(guard=_INBOX_GUARD), riders=""
)
_APPEND_MANY_WITH_INBOX = _WITH_INBOX.format(
    insert=_INSERT_MANY.format(guard=_INBOX_GUARD), riders=""
)

# A statement that a layer above the store has a transaction's first append carry, as a CTE
# of the append's own statement (see `EventStore.add_append_rider`): its SQL, with named
# parameters of its own, and their values; or None, nothing to carry this time. The SQL may
# read `appended`, the rows the append inserted (none when the version guard refused it).
Rider = tuple[str, Mapping[str, Any]] | None


@functools.lru_cache(maxsize=64)
def _carrying(many: bool, inbox: bool, riders: tuple[str, ...]) -> str:
    """The append's statement (one event or `many`, with an `inbox` row or not) with `riders`
    as data-modifying CTEs, which PostgreSQL runs exactly once, read or not."""
    guard = _INBOX_GUARD if inbox else ""
    insert = (_INSERT_MANY if many else _INSERT_ONE).format(guard=guard)
    ctes = "".join(f", rider{n} AS ({sql})" for n, sql in enumerate(riders))
    return (_WITH_INBOX if inbox else _WITH_RIDERS).format(insert=insert, riders=ctes)


# The horizon: the oldest transaction still running that may write to this database. Every
# event below it is committed (or rolled back) for good, so nothing can still join the commit
# order below it; events above it wait. Transactions that pg_stat_activity shows connected to
# another database cannot write here and are skipped, so one long transaction elsewhere on the
# server does not stall this service (an owner we cannot see counts as ours: we only wait).
HORIZON_SQL = """
coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
     WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity a
        WHERE a.backend_xid::text = (x::text::numeric %% 4294967296)::text
          AND a.datname IS DISTINCT FROM current_database())),
    pg_snapshot_xmax(pg_current_snapshot()))
"""

# Events after a position in commit order, below the horizon. The columns are qualified:
# `tx_id` alone would name the text output column, and text sorts '100000' before '99998'.
READ_ALL_SQL = f"""
SELECT {_COLUMNS} FROM events
WHERE (events.tx_id, events.position) > (%(tx_id)s::xid8, %(position)s)
  AND events.tx_id < {HORIZON_SQL}
ORDER BY events.tx_id, events.position
LIMIT %(limit)s
"""

# READ_ALL_SQL's batch, and whether stored events follow it that the horizon held back (after
# its last event, or after the position read from when there is none): one row, its event
# columns NULL, when the batch is empty. A reader that finds nothing learns in the same
# statement whether to look again soon or wait for news. READ_AHEAD_BODY is its CTEs and final
# SELECT, for a statement that does more first (the relay saves its checkpoint in the same
# statement: shared/events/relay.py).
READ_AHEAD_BODY = f"""batch AS ({READ_ALL_SQL}
), last AS (
    SELECT tx_id::xid8 AS tx_id, position FROM batch
    UNION ALL SELECT %(tx_id)s::xid8, %(position)s
    ORDER BY tx_id DESC, position DESC LIMIT 1
)
SELECT batch.*, (
    SELECT e.position FROM events e
    WHERE (e.tx_id, e.position) > ((SELECT tx_id FROM last), (SELECT position FROM last))
    ORDER BY e.tx_id, e.position LIMIT 1
) IS NOT NULL AS behind
FROM (SELECT 1) AS one LEFT JOIN batch ON true
"""
READ_AHEAD_SQL = f"WITH {READ_AHEAD_BODY}"

# Whether any stored event follows a position (%(tx_id)s, %(position)s), as an expression. Not
# EXISTS: with a generic plan (prepared statements get one after five runs) PostgreSQL answers
# EXISTS with a sequential scan that, when nothing follows, reads the whole table; ORDER BY
# inside EXISTS is dropped. The first row in commit order, by the index, is a bounded read.
EVENTS_FOLLOW_SQL = """(
    SELECT position FROM events WHERE (tx_id, position) > (%(tx_id)s::xid8, %(position)s)
    ORDER BY tx_id, position LIMIT 1
) IS NOT NULL"""

_HEAD = """
SELECT count(*) AS behind FROM events
WHERE (tx_id, position) > (%(tx_id)s::xid8, %(position)s)
"""


# One encoder for every payload: `json.dumps` with non-default separators builds a new
# JSONEncoder on each call, a fifth of the cost of encoding an event's payload.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


def dumps(value: Mapping[str, Any]) -> str:
    """JSON text of a payload (compact; payloads are JSON-ready already)."""
    return _ENCODE(value)


class Transaction(ABC):
    """One transaction of an event store, what handlers see of it: appends, reads, the inbox
    row, the deadlines. PostgreSQL's is below; the memory store's (shared/events/memory.py)
    keeps the same contract (tests/support/store_contract.py runs one set of cases on both)."""

    deadlines: Deadlines

    def __init__(self, upcaster: Upcaster) -> None:
        self._upcaster = upcaster
        self._pending_inbox: tuple[str, UUID] | None = None
        self.appended: list[RecordedEvent] = []  # reported once the transaction committed

    @property
    def conn(self) -> psycopg.Connection[Row]:
        """The SQL connection, for a service's own tables (photos, rates, the mail queue)."""
        raise errors.ProgrammingError("this event store keeps no SQL tables")

    @abstractmethod
    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> list[RecordedEvent]:
        """Append `events` to `stream_id` if the stream is at `expected_version`."""

    def record_inbox(self, consumer: str, message_id: UUID) -> None:
        """Record that `consumer` handled `message_id`, in this transaction; a second time fails.

        The row is written with this transaction's next append, in the same statement, or at
        the latest before the commit (`flush`); a duplicate then raises DuplicateMessageError
        and the whole transaction rolls back."""
        self.flush()
        self._pending_inbox = (consumer, message_id)

    @abstractmethod
    def flush(self) -> None:
        """Before commit: the inbox row no append has carried yet."""

    @abstractmethod
    def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        """The events of one stream, oldest first."""

    @abstractmethod
    def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 for a stream that does not exist)."""

    @abstractmethod
    def read_all(self, after: Position = START, limit: int = 1000) -> list[RecordedEvent]:
        """Events after `after` in commit order, never one that could still be overtaken."""

    @abstractmethod
    def count_after(self, after: Position) -> int:
        """How many stored events come after `after` (a reader's lag)."""

    def read_ahead(self, after: Position, limit: int) -> tuple[list[RecordedEvent], bool]:
        """`read_all(after, limit)`, and whether stored events follow what it returned that
        the horizon holds back (or that committed since)."""
        events = self.read_all(after, limit)
        last = events[-1].commit_position if events else after
        return events, self.count_after(last) > 0

    def to_event(self, row: Row) -> RecordedEvent:
        """A stored row as an event, upcast to the current schema version."""
        return row_to_event(row, self._upcaster)

    def _recorded(
        self, stream_id: str, events: Sequence[NewEvent], rows: Sequence[Row]
    ) -> list[RecordedEvent]:
        """The appended `events` as recorded in their `rows` (in version order), noted in
        `appended`."""
        recorded = [
            _recorded_event(
                position=row["position"],
                tx_id=int(row["tx_id"]),
                stream_id=stream_id,
                version=row["version"],
                event_id=event.event_id,
                type=event.type,
                schema_version=event.schema_version,
                data=event.data,
                metadata=event.metadata,
                recorded_at=row["recorded_at"],
            )
            for event, row in zip(events, rows, strict=True)
        ]
        self.appended += recorded
        return recorded


def _by_version(row: Row) -> int:
    """The sort key of appended rows: their stream version."""
    return int(row["version"])


class PostgresTransaction(Transaction):
    """One PostgreSQL transaction of the event store."""

    def __init__(
        self,
        conn: psycopg.Connection[Row],
        upcaster: Upcaster,
        riders: Sequence[Callable[[], Rider]] = (),
    ) -> None:
        super().__init__(upcaster)
        self._conn = conn
        self.deadlines = SqlDeadlines(conn)
        self._riders = tuple(riders)
        # The riders an append carried (asked, and their statements run): the first append
        # that inserts carries them; a refused one leaves them for the next.
        self.riders_asked: tuple[Callable[[], Rider], ...] = ()

    @property
    def conn(self) -> psycopg.Connection[Row]:
        """The transaction's connection."""
        return self._conn

    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> list[RecordedEvent]:
        """Append `events` to `stream_id` if the stream is at `expected_version`."""
        if not events:
            return []
        inbox, self._pending_inbox = self._pending_inbox, None
        try:
            rows = self._insert(stream_id, events, expected_version, inbox)
        except pg_errors.UniqueViolation as exc:
            if "event_id" in str(exc.diag.constraint_name or ""):
                raise errors.IntegrityError(
                    f"an event of {stream_id!r} was appended before"
                ) from exc
            raise errors.ConcurrencyError(stream_id, expected_version, None) from exc
        except psycopg.Error as exc:
            raise translate(exc) from exc
        if inbox is not None:
            if not rows[0]["inbox_new"]:
                raise errors.DuplicateMessageError(f"{inbox[0]} handled message {inbox[1]} before")
            rows = [row for row in rows if row["position"] is not None]
        if len(rows) != len(events):
            raise errors.ConcurrencyError(stream_id, expected_version, None)
        # Appended: the riders rode along (a refused append leaves them for the next one).
        self.riders_asked = self._riders
        if len(rows) > 1:
            rows = sorted(rows, key=_by_version)
        return self._recorded(stream_id, events, rows)

    def _insert(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected: int,
        inbox: tuple[str, UUID] | None,
    ) -> list[Row]:
        params: dict[str, Any]
        if len(events) == 1:
            event = events[0]
            params = {
                "stream": stream_id,
                "expected": expected,
                "event_id": event.event_id,
                "type": event.type,
                "schema_version": event.schema_version,
                "data": dumps(event.data),
                "metadata": dumps(event.metadata),
            }
            sql = _APPEND_ONE if inbox is None else _APPEND_ONE_WITH_INBOX
        else:
            params = {
                "stream": stream_id,
                "expected": expected,
                "event_ids": [e.event_id for e in events],
                "types": [e.type for e in events],
                "schema_versions": [e.schema_version for e in events],
                "datas": [dumps(e.data) for e in events],
                "metadatas": [dumps(e.metadata) for e in events],
            }
            sql = _APPEND_MANY if inbox is None else _APPEND_MANY_WITH_INBOX
        if inbox is not None:
            params["consumer"], params["message_id"] = inbox
        if self._riders and not self.riders_asked:
            riders = [rider for ask in self._riders if (rider := ask()) is not None]
            if riders:
                sql = _carrying(len(events) > 1, inbox is not None, tuple(r[0] for r in riders))
                for _, rider_params in riders:
                    params.update(rider_params)
        return self.conn.execute(sql, params, prepare=True).fetchall()

    def flush_last(self) -> None:
        """At commit, after every other statement: the inbox row no append has carried yet,
        alone in autocommit if the transaction ran no statement (nothing then to be atomic
        with: the row is its whole effect)."""
        conn = self.conn
        if self._pending_inbox is None or conn.info.transaction_status != _IDLE:
            self.flush()
            return
        conn.autocommit = True
        try:
            self.flush()
        finally:
            if not conn.closed:
                conn.autocommit = False  # back to the pool as it came

    def flush(self) -> None:
        """Before commit: the inbox row no append has carried yet."""
        if self._pending_inbox is None:
            return
        consumer, message_id = self._pending_inbox
        self._pending_inbox = None
        with translated():
            row = self.conn.execute(
                "INSERT INTO inbox (consumer, message_id) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                (consumer, message_id),
                prepare=True,
            ).fetchone()
        if row is None:
            raise errors.DuplicateMessageError(f"{consumer} handled message {message_id} before")

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        """The events of one stream, oldest first."""
        return self._events(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = %s AND version > %s ORDER BY version",
            (stream_id, after_version),
        )

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 for a stream that does not exist)."""
        with translated():
            row = self.conn.execute(
                "SELECT coalesce(max(version), 0) AS v FROM events WHERE stream_id = %s",
                (stream_id,),
                prepare=True,
            ).fetchone()
        return int(row["v"]) if row else 0

    def read_all(self, after: Position = START, limit: int = 1000) -> list[RecordedEvent]:
        """Events after `after` in commit order, never one that could still be overtaken."""
        return self._events(
            READ_ALL_SQL, {"tx_id": str(after.tx_id), "position": after.position, "limit": limit}
        )

    def read_ahead(self, after: Position, limit: int) -> tuple[list[RecordedEvent], bool]:
        """`read_all(after, limit)`, and whether stored events follow what it returned that
        the horizon holds back: one statement."""
        params = {"tx_id": str(after.tx_id), "position": after.position, "limit": limit}
        with translated():
            rows = self.conn.execute(READ_AHEAD_SQL, params, prepare=True).fetchall()
        events = [self.to_event(row) for row in rows if row["position"] is not None]
        return events, bool(rows and rows[0]["behind"])

    def _events(self, sql: str, params: tuple[Any, ...] | dict[str, Any]) -> list[RecordedEvent]:
        """The events a prepared query of stored rows selects, upcast, in its order."""
        with translated():
            rows = self.conn.execute(sql, params, prepare=True).fetchall()
        return [self.to_event(row) for row in rows]

    def count_after(self, after: Position) -> int:
        """How many stored events come after `after` (a reader's lag)."""
        with translated():
            row = self.conn.execute(
                _HEAD, {"tx_id": str(after.tx_id), "position": after.position}
            ).fetchone()
        return int(row["behind"]) if row else 0


def _recorded_event(**fields: Any) -> RecordedEvent:
    """A RecordedEvent from all its fields, without the frozen dataclass's __init__.

    That __init__ sets each of the ten fields through object.__setattr__ (it is frozen): three
    times the cost of filling the instance's dict at once, and every appended and every read
    event is built here. The caller passes every field; the result compares, hashes and
    stays frozen as one built by the constructor."""
    event = _new_object(RecordedEvent)
    event.__dict__.update(fields)
    return event


_new_object = object.__new__


def row_to_event(row: Row, upcaster: Upcaster) -> RecordedEvent:
    """A stored row as an event, upcast to the current schema version of its type."""
    schema_version, data = upcaster.upcast(row["type"], row["schema_version"], row["data"])
    return _recorded_event(
        position=row["position"],
        tx_id=int(row["tx_id"]),
        stream_id=row["stream_id"],
        version=row["version"],
        event_id=row["event_id"],
        type=row["type"],
        schema_version=schema_version,
        data=data,
        metadata=row["metadata"],
        recorded_at=row["recorded_at"],
    )


class EventStore:
    """The event store of one service database, over a psycopg connection pool."""

    # What every transaction does last, in its own commit, for a layer above the store (the
    # web layer marks a request's Idempotency-Key as carried out: shared/web/idempotency.py).
    commit_hooks: tuple[Callable[[Transaction], None], ...] = ()
    # What is told of every committed transaction (a write request collects where its
    # appends reached, to answer with: shared/web/read_your_writes.py).
    after_commit_hooks: tuple[Callable[[Transaction], None], ...] = ()
    # What a transaction's first append carries in its own statement (see `add_append_rider`).
    append_riders: tuple[Callable[[], Rider], ...] = ()

    def __init__(self, pool: ConnectionPool, upcaster: Upcaster | None = None) -> None:
        self.pool = pool
        self.upcaster: Upcaster = upcaster or NoUpcasting()

    def add_commit_hook(self, hook: Callable[[Transaction], None]) -> None:
        """Run `hook` in each transaction of this store, just before it commits (once however
        often it is added: every app over this store adds its hooks)."""
        if hook not in self.commit_hooks:
            self.commit_hooks = (*self.commit_hooks, hook)

    def add_append_rider(self, rider: Callable[[], Rider]) -> None:
        """Have `rider` asked, at each transaction's first append, for a statement to run in
        that append's own statement (a statement's worth of round trip saved where a commit
        hook would run it on its own); once however often it is added."""
        if rider not in self.append_riders:
            self.append_riders = (*self.append_riders, rider)

    def add_after_commit_hook(self, hook: Callable[[Transaction], None]) -> None:
        """Tell `hook` of each transaction of this store once it has committed (once however
        often it is added)."""
        if hook not in self.after_commit_hooks:
            self.after_commit_hooks = (*self.after_commit_hooks, hook)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction, committed when the block ends, rolled back if it raises.

        It begins with its first statement (psycopg sends BEGIN then, the connection not being
        in autocommit): a transaction that ran none has nothing to commit, and one whose only
        statement is its inbox row (a message its handler had nothing to do for) writes that
        row alone, in autocommit: one statement where BEGIN, the row and COMMIT were three."""
        with translated():
            # getconn/putconn rather than `pool.connection()`: its usage statistics cost more
            # than they tell (nobody reads them). putconn still rolls back, or replaces, a
            # connection returned mid-transaction or broken.
            conn = self.pool.getconn()
            try:
                # The pool hands out dict-row connections (see open_pool).
                tx = PostgresTransaction(
                    cast(psycopg.Connection[Row], conn), self.upcaster, self.append_riders
                )
                try:
                    yield tx
                    # The hooks first: the inbox row may then be the last statement, or the
                    # only one (see `flush_last`).
                    for hook in self.commit_hooks:
                        hook(tx)
                    tx.flush_last()
                except BaseException:
                    if not conn.closed and conn.info.transaction_status != _IDLE:
                        # A broken connection cannot roll back: the error that broke it is
                        # the one to raise, and putconn replaces the connection.
                        with contextlib.suppress(psycopg.Error):
                            conn.rollback()
                    raise
                if conn.info.transaction_status != _IDLE:
                    conn.commit()
            finally:
                self.pool.putconn(conn)
        self.committed(tx)

    def committed(self, tx: Transaction) -> None:
        """Report a committed transaction's appends: to the metrics and the after-commit
        hooks."""
        if tx.appended:  # a read-only transaction has nothing to report
            observed.appended(tx.appended)
        for hook in self.after_commit_hooks:
            hook(tx)

    def transact(self, work: Callable[[Transaction], T], *, decide_again: int = 0) -> T:
        """Run `work` in a transaction, retried as a whole on transient errors (bounded).

        With `decide_again`, a concurrency conflict runs `work` again (up to that many more
        times, after a short random pause): `work` that loads, decides and appends then
        decides on the fresh state, so the loser of a race gets the answer the new state
        gives (a clear refusal, or success) instead of a bare conflict."""

        def attempt() -> T:
            with self.transaction() as tx:
                return work(tx)

        for retry in range(decide_again + 1):
            try:
                return with_retry(attempt)
            except errors.ConcurrencyError as exc:
                if retry < decide_again:
                    time.sleep(random.uniform(0, min(0.05, 0.002 * 2**retry)))
                    continue
                self._conflict(exc)
        raise AssertionError("unreachable")

    def _conflict(self, exc: errors.ConcurrencyError) -> NoReturn:
        """Re-raise a conflict, naming the stream's actual version."""
        if exc.actual_version is not None:
            raise exc
        # The failed transaction is gone; look the version up so the error names it.
        actual = self.stream_version(exc.stream_id)
        raise errors.ConcurrencyError(exc.stream_id, exc.expected_version, actual) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement as a transaction of its own (autocommit): one round trip where
        `transact` takes three (BEGIN, the statement, COMMIT). Its rows (none for a write
        without RETURNING). A single statement is atomic on its own; anything that needs two
        statements to agree, or to commit together, uses `transact`."""

        def attempt() -> list[Row]:
            with translated(), self.pool.connection() as pooled:
                # The pool hands out dict-row connections (see open_pool).
                conn = cast(psycopg.Connection[Row], pooled)
                conn.autocommit = True
                try:
                    cursor = conn.execute(sql, params, prepare=True)
                    rows = cursor.fetchall() if cursor.description else []
                finally:
                    if not conn.closed:
                        conn.autocommit = False  # back to the pool as it came
                return rows

        return with_retry(attempt)

    def single(self, work: Callable[[Transaction], T]) -> T:
        """Run `work`, which runs one statement, without a transaction around it (autocommit):
        one round trip where `transact` takes three. Only for one statement: two would each
        see their own snapshot, and a write would not wait for the other to commit."""

        def attempt() -> T:
            with translated(), self.pool.connection() as pooled:
                # The pool hands out dict-row connections (see open_pool).
                conn = cast(psycopg.Connection[Row], pooled)
                conn.autocommit = True
                try:
                    return work(PostgresTransaction(conn, self.upcaster))
                finally:
                    if not conn.closed:
                        conn.autocommit = False  # back to the pool as it came

        return with_retry(attempt)

    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> list[RecordedEvent]:
        """Append `events` in their own transaction (see `Transaction.append`)."""
        return self.transact(lambda tx: tx.append(stream_id, events, expected_version))

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        """The events of one stream, oldest first (one statement, no transaction around it)."""
        return self.single(lambda tx: tx.read_stream(stream_id, after_version))

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 if it does not exist)."""
        return self.single(lambda tx: tx.stream_version(stream_id))

    def read_all(self, after: Position = START, limit: int = 1000) -> list[RecordedEvent]:
        """Events after `after` in commit order (see `Transaction.read_all`)."""
        return self.single(lambda tx: tx.read_all(after, limit))

    def iter_all(self, after: Position = START, batch: int = 2000) -> Iterator[RecordedEvent]:
        """Every event after `after`, in commit order, fetched in batches."""
        while True:
            events = self.read_all(after, batch)
            yield from events
            if len(events) < batch:
                return
            after = events[-1].commit_position
