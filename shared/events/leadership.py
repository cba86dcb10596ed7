"""Leader election among a service's worker processes with a PostgreSQL advisory lock.

The leader holds a session-level advisory lock on a connection it keeps to itself for its
term and runs the loops it was given; the other workers try to take the lock every second
and stand by. When the leader dies its session ends, PostgreSQL releases the lock, and a
standby takes over within a second. A leader whose lock connection breaks stops its loops
before trying again.

The connection comes from the worker's pool: a standby borrows one for each attempt and gives
it back at once, and only the leader keeps one. A dedicated connection per standby would cost
the database server one session per worker for nothing (a service with three workers and
PostgreSQL's default of 100 connections make that count).

The lock only saves work; correctness never depends on it. A leader cut off from the database
may still run a moment after another worker took the lock; what runs under it must stay
correct when it briefly runs twice (the projection runner does: it locks its checkpoint row
and drops a batch another runner applied meanwhile)."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from shared.events.database import translated
from shared.events.errors import PersistenceError

log = logging.getLogger(__name__)

Loop = Callable[[threading.Event], None]

# The advisory lock's first key: ours, apart from any other advisory lock in the database
# (`migrate` takes the one-key lock 7253; two-key and one-key locks never collide anyway).
LOCK_SPACE = 0x434E4E  # "CNN"


def lock_key(name: str) -> int:
    """The advisory lock's second key for a leadership name (stable: CRC-32, as a signed int)."""
    return zlib.crc32(name.encode("utf-8")) - 2**31


class Leadership:
    """Runs `loops` in this process only while it holds the lock named `name`."""

    def __init__(
        self,
        pool: ConnectionPool,
        name: str,
        loops: Sequence[Loop],
        *,
        retry_interval: float = 1.0,
    ) -> None:
        self.pool = pool
        self.name = name
        self.loops = list(loops)
        self.retry_interval = retry_interval
        self.leading = threading.Event()  # set while this process leads (tests watch it)
        self.terms = 0  # how many times it became the leader
        self.attempts = 0  # how many times it tried to take the lock

    def run(self, stop: threading.Event) -> None:
        """Stand by, lead when the lock is free, until `stop` is set."""
        while not stop.is_set():
            try:
                conn = self._take_lock()
                if conn is not None:
                    self._lead(conn, stop)
            except PersistenceError as exc:
                log.warning("leadership %s: %s; trying again", self.name, exc)
            stop.wait(self.retry_interval)

    def _take_lock(self) -> psycopg.Connection[Any] | None:
        """A pooled connection holding the lock, kept out of the pool; None if another has it."""
        self.attempts += 1
        with translated():
            conn = self.pool.getconn()
            try:
                got = self._execute(conn, "SELECT pg_try_advisory_lock(%s::int, %s::int) AS got")[
                    "got"
                ]
            except BaseException:
                self.pool.putconn(conn)
                raise
            if not got:
                self.pool.putconn(conn)
                return None
            return conn

    def _lead(self, conn: psycopg.Connection[Any], stop: threading.Event) -> None:
        """Run the loops until stopped or until the lock's session breaks; then let go."""
        self.terms += 1
        log.info("leadership %s: this process leads (%d loops)", self.name, len(self.loops))
        term = threading.Event()
        threads = [
            threading.Thread(target=loop, args=(term,), name=f"{self.name}-{n}", daemon=True)
            for n, loop in enumerate(self.loops)
        ]
        self.leading.set()
        for thread in threads:
            thread.start()
        try:
            # The lock lives as long as this session: ask the server every interval, so a
            # broken connection (a lost lock) ends the term within about an interval.
            with translated():
                while not stop.wait(self.retry_interval):
                    self._execute(conn, "SELECT 1")
        finally:
            self.leading.clear()
            term.set()
            for thread in threads:
                thread.join(timeout=10)
            log.info("leadership %s: this process no longer leads", self.name)
            self._give_back(conn)

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        """Unlock and return the connection to the pool (closed instead, if it broke)."""
        try:
            with translated():
                self._execute(conn, "SELECT pg_advisory_unlock(%s::int, %s::int)")
        except PersistenceError:
            conn.close()  # the session is gone, and the lock with it
        # A closed connection is discarded by the pool, never handed out again.
        self.pool.putconn(conn)

    def _execute(self, conn: psycopg.Connection[Any], sql: str) -> dict[str, Any]:
        params = (LOCK_SPACE, lock_key(self.name)) if "%s" in sql else None
        # Pooled connections are not autocommit: commit at once, so the connection never
        # idles in a transaction (which would hold back the event store's read horizon).
        with conn.transaction():
            row = conn.execute(sql, params).fetchone()
        return dict(row) if row else {}
