"""Leader election among a service's worker processes with a PostgreSQL advisory lock.

The leader holds a session-level advisory lock on a connection of its own and runs the loops
it was given; the other workers try to take the lock every second and stand by. When the
leader dies its session ends, PostgreSQL releases the lock, and a standby takes over within a
second. A leader whose lock connection breaks stops its loops before trying again.

The lock only saves work; correctness never depends on it. A leader cut off from the database
may still run a moment after another worker took the lock; what runs under it must stay
correct when it briefly runs twice (the projection runner does: it locks its checkpoint row
and drops a batch another runner applied meanwhile)."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Sequence

import psycopg

from shared.events.database import process_identity, translated
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
        database_url: str,
        name: str,
        loops: Sequence[Loop],
        *,
        retry_interval: float = 1.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.database_url = database_url
        self.name = name
        self.loops = list(loops)
        self.retry_interval = retry_interval
        self.connect_timeout = connect_timeout
        self.leading = threading.Event()  # set while this process leads (tests watch it)
        self.terms = 0  # how many times it became the leader
        self.attempts = 0  # how many times it tried to take the lock

    def run(self, stop: threading.Event) -> None:
        """Stand by, lead when the lock is free, until `stop` is set."""
        while not stop.is_set():
            try:
                self._term(stop)
            except PersistenceError as exc:
                log.warning("leadership %s: %s; trying again", self.name, exc)
            stop.wait(self.retry_interval)

    def _term(self, stop: threading.Event) -> None:
        """Connect, wait for the lock, lead until stopped or until the connection breaks."""
        with translated(), self._connect() as conn:
            while not self._try_lock(conn):
                if stop.wait(self.retry_interval):
                    return
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
                # broken connection (a lost lock) ends the term within about a second.
                while not stop.wait(self.retry_interval):
                    conn.execute("SELECT 1")
            finally:
                self.leading.clear()
                term.set()
                for thread in threads:
                    thread.join(timeout=10)
                log.info("leadership %s: this process no longer leads", self.name)

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            self.database_url,
            autocommit=True,
            connect_timeout=int(self.connect_timeout),
            application_name=process_identity(self.name),
        )

    def _try_lock(self, conn: psycopg.Connection[tuple[object, ...]]) -> bool:
        self.attempts += 1
        row = conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, lock_key(self.name))
        ).fetchone()
        return bool(row and row[0])
