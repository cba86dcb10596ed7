"""Projections (read models) and the runner that keeps them up to date.

A projection is a function of the service's own event stream. The runner applies events in
commit order and stores its checkpoint in the same transaction as the rows it writes, so a
crash never applies an event twice nor skips one. `rebuild` empties the tables and replays
from position zero; a rebuilt projection equals the live one. A projection that can fold a
whole batch (`BatchProjection.apply_batch`) writes one statement per table per batch."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

import psycopg

from shared.events.appends import POLL_S, AppendWaiter
from shared.events.projection_batches import Raced, apply_batch, read_and_apply
from shared.events.store import START, EventStore, Position, RecordedEvent, Row

log = logging.getLogger(__name__)


class Outcome(Enum):
    """What a runner does after a batch."""

    MORE = "more"  # read again at once: the batch was full, or more has come
    CAUGHT_UP = "caught up"  # nothing follows: wait for news of appends
    HELD_BACK = "held back"  # newer events wait behind a transaction still open: look soon
    RACED = "raced"  # another runner (a rebuild) moved the checkpoint: start again from it


class Projection(Protocol):
    """A read model built from events."""

    name: str
    schema: str  # CREATE TABLE IF NOT EXISTS ... for its tables
    tables: Sequence[str]  # emptied by rebuild, compared by snapshot (each has a primary key)

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one event into the tables (only through `conn`, inside the runner's transaction)."""


class BatchProjection(Projection, Protocol):
    """A projection that can also fold a whole batch at once: one statement per table per
    batch instead of one per event. The runner uses `apply_batch` when a projection has it."""

    def apply_batch(self, conn: psycopg.Connection[Row], events: Sequence[RecordedEvent]) -> None:
        """Fold `events` (in commit order) into the tables: the same rows as `apply` on each
        of them in turn, so a rebuilt projection equals the live one whatever the batches."""


class ProjectionRunner:
    """Applies new events to one projection, batch by batch."""

    def __init__(self, store: EventStore, projection: Projection, batch_size: int = 1000) -> None:
        self.store = store
        self.projection = projection
        self.checkpoint_name = checkpoint_name(projection)
        # Its batches are those of a group of one.
        self._group = ProjectionGroup(store, [projection], batch_size)

    @property
    def batch_size(self) -> int:
        """How many events one transaction applies at most."""
        return self._group.batch_size

    def checkpoint(self) -> Position:
        """How far the projection got."""
        return self.store.transact(lambda tx: _read_checkpoint(tx.conn, self.checkpoint_name))

    def catch_up(self, timeout: float = 30.0, on_batch: Callable[[int], None] | None = None) -> int:
        """Apply batches until no stored event is left; returns how many were applied.

        An event of a transaction still open somewhere in the cluster cannot be read yet
        (see `READ_ALL_SQL`): catching up waits for it, up to `timeout` seconds. `on_batch`
        hears the size of each batch applied (a progress bar)."""
        total = 0
        deadline = time.monotonic() + timeout
        while True:
            applied, outcome = self._group.step()
            total += applied
            if applied > 0 and on_batch is not None:
                on_batch(applied)
            if outcome is Outcome.CAUGHT_UP or time.monotonic() > deadline:
                return total
            if outcome is Outcome.HELD_BACK:
                time.sleep(POLL_S)  # wait for the open transaction to end

    def total(self) -> int:
        """How many events the store holds (what a rebuild will replay)."""
        return self.store.transact(lambda tx: tx.count_after(START))

    def lag(self) -> int:
        """How many stored events the projection has not applied yet."""
        return self.store.transact(
            lambda tx: tx.count_after(_read_checkpoint(tx.conn, self.checkpoint_name))
        )

    def reset(self) -> None:
        """Empty the projection's tables and move its checkpoint back to zero."""

        def work(tx: Any) -> None:
            conn = tx.conn
            conn.execute(self.projection.schema)
            _read_checkpoint(conn, self.checkpoint_name, lock=True)
            conn.execute("TRUNCATE " + ", ".join(self.projection.tables))
            _save_checkpoint(conn, self.checkpoint_name, START)

        self.store.transact(work)
        self._group.forget()

    def rebuild(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Drop the projection's rows and replay every event from position zero."""
        self.reset()
        applied = self.catch_up(on_batch=on_batch)
        log.info("projection %s rebuilt from %d events", self.projection.name, applied)
        return applied

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in primary-key order (what rebuild tests compare)."""

        def work(tx: Any) -> dict[str, list[tuple[Any, ...]]]:
            result = {}
            for table in self.projection.tables:
                keys = [r["attname"] for r in tx.conn.execute(_PRIMARY_KEY, (table,)).fetchall()]
                order = ", ".join(f'"{k}"' for k in keys) or "1"
                cursor = tx.conn.cursor(row_factory=psycopg.rows.tuple_row)
                result[table] = cursor.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            return result

        return self.store.transact(work)

    def run(
        self, stop: threading.Event, news: AppendWaiter | None = None, idle_wait: float = 0.05
    ) -> None:
        """Keep the projection up to date until `stop` is set (see `keep_up`)."""
        self._group.run(stop, news, idle_wait)


class ProjectionGroup:
    """Keeps all the projections of a service up to date together: one read of the events
    and one transaction per batch for all of them, where one runner each would read every
    batch once per projection (billing has four)."""

    def __init__(
        self, store: EventStore, projections: Sequence[Projection], batch_size: int = 1000
    ) -> None:
        self.store = store
        self.named = {checkpoint_name(p): p for p in projections}
        self.batch_size = batch_size
        # The checkpoints as this group last saved (or read) them. Each batch's transaction
        # checks them as it moves them (shared/events/projection_batches.py), so they need not
        # be read again before every batch; forgotten when another runner moved one.
        self._known: dict[str, Position] | None = None
        # Whether the next step likely finds events: after one that found some (once caught
        # up, the runner waits for news of appends), not after one that found none.
        self._expecting = False

    def forget(self) -> None:
        """Read the checkpoints again before the next batch (another runner moved them)."""
        self._known = None

    def step(self) -> tuple[int, Outcome]:
        """Apply the next batch to every projection: how many events, and what next.

        A step that likely finds events (woken by news, or after a batch) reads them in its
        transaction's first statement, which also moves the checkpoints they cover. One that
        polls for events held back reads without a transaction (one statement: events below
        the horizon never change), and opens one only when it found some."""
        positions = self._known
        try:
            if positions is not None and self._expecting:
                known = positions
                events, moved, behind = self.store.transact(
                    lambda tx: read_and_apply(tx, self.named, known, self.batch_size)
                )
            else:
                events, moved, behind = self._read_then_apply()
        except Raced:
            self._known = None
            return 0, Outcome.RACED
        except BaseException:
            self._known = None  # the transaction may or may not have committed
            raise
        outcome = self._outcome(events, behind)
        # A step that found nothing (the news that woke it was of events already applied)
        # or events held back: the next reads first.
        self._expecting = bool(events) and outcome is not Outcome.HELD_BACK
        if events:
            last = events[-1].commit_position
            assert self._known is not None
            self._known = {n: last if n in moved else at for n, at in self._known.items()}
        return len(events), outcome

    def _read_then_apply(self) -> tuple[list[RecordedEvent], list[str], bool]:
        """Read the batch without a transaction; apply it, if any, in one."""
        names = list(self.named)
        positions = self._known
        if positions is None:
            positions = self.store.single(lambda tx: _read_checkpoints(tx.conn, names))
        self._known = known = positions
        after = min(positions.values())
        events, held = self.store.single(lambda tx: tx.read_ahead(after, self.batch_size))
        if not events:
            return [], [], held
        moved, behind = self.store.transact(lambda tx: apply_batch(tx, self.named, known, events))
        return events, moved, behind

    def _outcome(self, events: Sequence[RecordedEvent], behind: bool) -> Outcome:
        """What to do after a batch of `events`, events following it or not."""
        if len(events) == self.batch_size:
            return Outcome.MORE
        return Outcome.HELD_BACK if behind else Outcome.CAUGHT_UP

    def run(
        self, stop: threading.Event, news: AppendWaiter | None = None, idle_wait: float = 0.05
    ) -> None:
        """Keep every projection up to date until `stop` is set (see `keep_up`)."""
        names = ", ".join(p.name for p in self.named.values())
        keep_up(self.step, names, stop, news, idle_wait)


def values_of(data: Mapping[str, Any], paths: str) -> tuple[Any, ...]:
    """An event's fields at `paths` (space-separated; `amount.currency` reads a nested
    field), in that order, as the values of a row."""
    found: list[Any] = []
    for path in paths.split():
        value: Any = data
        for key in path.split("."):
            value = value[key]
        found.append(value)
    return tuple(found)


def checkpoint_name(projection: Projection) -> str:
    """The name of a projection's row in `checkpoints`."""
    return f"projection:{projection.name}"


def keep_up(
    step: Callable[[], tuple[int, Outcome]],
    name: str,
    stop: threading.Event,
    news: AppendWaiter | None,
    idle_wait: float,
) -> None:
    """Run `step` until `stop` is set. Caught up, wait for `news` of appended events (or poll
    every `idle_wait` without it); events held back behind an open transaction are read
    again soon, since that transaction may append nothing and so never notify."""
    while not stop.is_set():
        try:
            _, outcome = step()
            if outcome is Outcome.CAUGHT_UP:
                if news is None:
                    stop.wait(idle_wait)
                else:
                    news.wait(stop)
            elif outcome is Outcome.HELD_BACK:
                stop.wait(POLL_S)
        except Exception:
            log.exception("projection %s failed; retrying", name)
            stop.wait(1.0)


_PRIMARY_KEY = """
SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = %s::regclass AND i.indisprimary
ORDER BY array_position(i.indkey, a.attnum)
"""


def _read_checkpoint(conn: psycopg.Connection[Row], name: str, lock: bool = False) -> Position:
    return _read_checkpoints(conn, [name], lock)[name]


_CHECKPOINTS = "SELECT name, tx_id::text AS tx_id, position FROM checkpoints WHERE name = ANY(%s)"


def _read_checkpoints(
    conn: psycopg.Connection[Row], names: Sequence[str], lock: bool = False
) -> dict[str, Position]:
    """The checkpoints of `names` (START when missing); with `lock`, locked FOR UPDATE, in
    name order so that two runners locking overlapping sets cannot deadlock."""
    sql = _CHECKPOINTS + (" ORDER BY name FOR UPDATE" if lock else "")
    rows = conn.execute(sql, (list(names),), prepare=True).fetchall()
    if lock and len(rows) < len(names):
        # A projection's first batch: create its row, so FOR UPDATE has something to lock.
        with conn.pipeline():
            for name in sorted(set(names) - {row["name"] for row in rows}):
                conn.execute(
                    "INSERT INTO checkpoints (name, tx_id, position) VALUES (%s, '0', 0) "
                    "ON CONFLICT DO NOTHING",
                    (name,),
                )
        rows = conn.execute(sql, (list(names),), prepare=True).fetchall()
    found = {row["name"]: Position(int(row["tx_id"]), int(row["position"])) for row in rows}
    return {name: found.get(name, START) for name in names}


def _save_checkpoint(conn: psycopg.Connection[Row], name: str, position: Position) -> None:
    conn.execute(
        "UPDATE checkpoints SET tx_id = %s::xid8, position = %s, updated_at = now() "
        "WHERE name = %s",
        (str(position.tx_id), position.position, name),
        prepare=True,
    )
