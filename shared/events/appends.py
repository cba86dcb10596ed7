"""News of appended events: the readers of a service's event store (the outbox relay, the
projection runners) wait on PostgreSQL's LISTEN/NOTIFY instead of polling the table.

Every transaction that inserts into `events` notifies `APPENDED_CHANNEL` when it commits (a
statement trigger, shared/events/database.py). A notice is only a hint to read again: the
readers still read in commit order from their checkpoints, so a notice lost while a connection
was down costs latency, never an event. Waits are bounded (`FALLBACK_S`), and while the
listening connection is down the readers poll as they used to."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

log = logging.getLogger(__name__)

APPENDED_CHANNEL = "cnnect_events_appended"
FALLBACK_S = 1.0  # a reader reads again at least this often, notice or not
POLL_S = 0.01  # how often readers poll while nobody listens (the connection is down)


class NoticeListener:
    """LISTENs on one channel of a database in a thread of its own, reconnecting after a
    failure. `on_notice` hears each notice's payload; `on_listening` is called once LISTEN
    took effect and `on_deaf` when the connection is lost (notices may have been missed)."""

    def __init__(
        self,
        database_url: str,
        channel: str,
        on_notice: Callable[[str], None],
        on_listening: Callable[[], None],
        on_deaf: Callable[[], None],
    ) -> None:
        self.database_url = database_url
        self.channel = channel
        self.on_notice = on_notice
        self.on_listening = on_listening
        self.on_deaf = on_deaf
        self.listening = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """LISTEN until `stop` is set, reconnecting after a failure."""
        backoff = 0.1
        while not stop.is_set():
            try:
                # TCP keepalives: a connection that died without a word (a host or network
                # gone) is noticed within seconds, not after the kernel's two hours.
                with psycopg.connect(
                    self.database_url,
                    autocommit=True,
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=2,
                ) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self.listening.set()
                    self.on_listening()
                    backoff = 0.1
                    while not stop.is_set():
                        heard = False
                        for notice in conn.notifies(timeout=0.5):
                            heard = True
                            self.on_notice(notice.payload)
                        # After a quiet wait, ask: a server that closed the session is noticed
                        # here even if no notice ever came. A session that just delivered a
                        # notice is alive (under load that is every wait: no statement then).
                        if not heard:
                            conn.execute("SELECT 1")
            except psycopg.Error as exc:
                log.warning("listening on %s: %r; reconnecting", self.channel, exc)
            finally:
                self.listening.clear()
                self.on_deaf()
            stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)


class AppendListener:
    """One LISTENing connection per process; wakes every `AppendWaiter` made from it."""

    def __init__(self, database_url: str, *, fallback_s: float = FALLBACK_S) -> None:
        self.fallback_s = fallback_s
        self.notices = 0  # notices received since start (a generation counter)
        self._changed = threading.Condition()
        # Anything appended before LISTEN took effect came without a notice, and while the
        # connection is down waiters go back to polling: both wake every waiter once.
        self._listener = NoticeListener(
            database_url,
            APPENDED_CHANNEL,
            lambda _: self._wake(),
            on_listening=self._wake,
            on_deaf=self._wake,
        )
        self.listening = self._listener.listening

    def waiter(self) -> AppendWaiter:
        """A waiter for one reader loop (each remembers the notices it has seen)."""
        return AppendWaiter(self)

    def run(self, stop: threading.Event) -> None:
        """LISTEN until `stop` is set, reconnecting after a failure."""
        self._listener.run(stop)

    def news_after(self, seen: int, stop: threading.Event) -> int:
        """Wait until a notice beyond `seen` came, a bound passed (short while nobody
        listens), or `stop` is set; returns the notices received by then."""
        bound = self.fallback_s if self.listening.is_set() else POLL_S
        with self._changed:
            self._changed.wait_for(lambda: self.notices != seen or stop.is_set(), timeout=bound)
            return self.notices

    def _wake(self) -> None:
        with self._changed:
            self.notices += 1
            self._changed.notify_all()


class AppendWaiter:
    """Waits until events were appended since the caller last read (or a bound passed)."""

    def __init__(self, listener: AppendListener) -> None:
        self.listener = listener
        self.seen = listener.notices

    def wait(self, stop: threading.Event) -> None:
        """Return when news came since the last call, after a bound, or when `stop` is set.

        Call it only after reading found nothing new: a notice that came while reading makes
        it return at once, so none is missed between the read and the wait."""
        self.seen = self.listener.news_after(self.seen, stop)


async def wait_for_append(conn: psycopg.AsyncConnection[object], timeout: float) -> None:
    """Wait on a LISTENing async connection for one notice, or `timeout` seconds."""
    # A notice that arrived since the last wait is already in the socket: this returns at once.
    async for _ in conn.notifies(timeout=timeout, stop_after=1):
        break
    else:
        return
    # The notices that came with it or since say nothing the caller's next read will not see
    # (it reads after this returns): take them now, or each would wake it for an empty read.
    async for _ in conn.notifies(timeout=0):
        pass
