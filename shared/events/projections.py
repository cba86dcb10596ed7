"""Projections (read models) and the runner that keeps them up to date.

A projection is a function of the service's own event stream. The runner applies events in
commit order and stores its checkpoint in the same transaction as the rows it writes, so a
crash never applies an event twice nor skips one. `rebuild` empties the tables and replays
from position zero; a rebuilt projection equals the live one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import psycopg

from shared.events.appends import POLL_S, AppendWaiter
from shared.events.store import START, EventStore, Position, RecordedEvent, Row

log = logging.getLogger(__name__)

RACED = -1  # another runner (a rebuild) moved the checkpoint: start again from it
HELD_BACK = -2  # newer events exist but wait behind a transaction still open


class Projection(Protocol):
    """A read model built from events."""

    name: str
    schema: str  # CREATE TABLE IF NOT EXISTS ... for its tables
    tables: Sequence[str]  # emptied by rebuild, compared by snapshot (each has a primary key)

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        """Fold one event into the tables (only through `conn`, inside the runner's transaction)."""


class ProjectionRunner:
    """Applies new events to one projection, batch by batch."""

    def __init__(self, store: EventStore, projection: Projection, batch_size: int = 1000) -> None:
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        self.checkpoint_name = f"projection:{projection.name}"

    def checkpoint(self) -> Position:
        """How far the projection got."""
        return self.store.transact(lambda tx: _read_checkpoint(tx.conn, self.checkpoint_name))

    def run_once(self) -> int:
        """Apply the next batch; returns how many events it applied (0 when caught up)."""
        return max(self._step(), 0)

    def _step(self) -> int:
        """Apply the next batch: its size, 0 when caught up, RACED when another runner moved
        the checkpoint, HELD_BACK when newer events wait behind a transaction still open."""

        def work(tx: Any) -> int:
            conn = tx.conn
            # Read the checkpoint and the events before writing anything, so this transaction
            # has no transaction id yet and its own id cannot hold back the snapshot horizon.
            after = _read_checkpoint(conn, self.checkpoint_name)
            events = tx.read_all(after, self.batch_size)
            if not events:
                # Nothing readable: caught up, or held back behind a transaction still open.
                return HELD_BACK if tx.count_after(after) > 0 else 0
            # Then lock the checkpoint: if another runner (a rebuild) moved it meanwhile, drop
            # this batch; the next call starts again from where that runner left off.
            if _read_checkpoint(conn, self.checkpoint_name, lock=True) != after:
                return RACED
            # Pipeline mode sends the batch's statements without waiting for each answer.
            with conn.pipeline():
                for event in events:
                    self.projection.apply(conn, event)
                _save_checkpoint(conn, self.checkpoint_name, events[-1].commit_position)
            return len(events)

        applied: int = self.store.transact(work)
        return applied

    def catch_up(self, timeout: float = 30.0, on_batch: Callable[[int], None] | None = None) -> int:
        """Apply batches until no stored event is left; returns how many were applied.

        An event of a transaction still open somewhere in the cluster cannot be read yet
        (see `READ_ALL_SQL`): catching up waits for it, up to `timeout` seconds. `on_batch`
        hears the size of each batch applied (a progress bar)."""
        total = 0
        deadline = time.monotonic() + timeout
        while True:
            applied = self._step()
            total += max(applied, 0)
            if applied > 0 and on_batch is not None:
                on_batch(applied)
            if applied > 0 or applied == RACED:
                continue
            if applied == 0 or time.monotonic() > deadline:
                return total
            time.sleep(POLL_S)  # held back: wait for the open transaction to end

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
        """Keep the projection up to date until `stop` is set.

        Caught up, it waits for `news` of appended events (or polls every `idle_wait` without
        it); events held back behind an open transaction are read again soon, since that
        transaction may append nothing and so never notify."""
        while not stop.is_set():
            try:
                applied = self._step()
                if applied == 0:
                    if news is None:
                        stop.wait(idle_wait)
                    else:
                        news.wait(stop)
                elif applied == HELD_BACK:
                    stop.wait(POLL_S)
            except Exception:
                log.exception("projection %s failed; retrying", self.projection.name)
                stop.wait(1.0)


_PRIMARY_KEY = """
SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = %s::regclass AND i.indisprimary
ORDER BY array_position(i.indkey, a.attnum)
"""


def _read_checkpoint(conn: psycopg.Connection[Row], name: str, lock: bool = False) -> Position:
    if lock:
        # Make sure the row exists, so FOR UPDATE has something to lock.
        conn.execute(
            "INSERT INTO checkpoints (name, tx_id, position) VALUES (%s, '0', 0) "
            "ON CONFLICT DO NOTHING",
            (name,),
        )
    row = conn.execute(
        "SELECT tx_id::text AS tx_id, position FROM checkpoints WHERE name = %s"
        + (" FOR UPDATE" if lock else ""),
        (name,),
        prepare=True,
    ).fetchone()
    return Position(int(row["tx_id"]), int(row["position"])) if row else START


def _save_checkpoint(conn: psycopg.Connection[Row], name: str, position: Position) -> None:
    conn.execute(
        "UPDATE checkpoints SET tx_id = %s::xid8, position = %s, updated_at = now() "
        "WHERE name = %s",
        (str(position.tx_id), position.position, name),
        prepare=True,
    )
