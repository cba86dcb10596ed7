"""A relay, a consumer or any other loop that runs until told to stop, in a background thread
that is watched: if its loop dies (an exception it did not handle), the test learns it at
once, with the exception, instead of waiting for a result that will never come.
(tests.support.bus runs relays and consumers unwatched.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from shared.events.consumer import EventConsumer
from shared.events.relay import OutboxRelay


class LoopDied(AssertionError):
    """A relay or consumer loop ended with an exception while it should have kept running."""


class Watched:
    """A loop running in a thread; `check()` raises LoopDied if it ended with an exception."""

    def __init__(self, name: str, target: Callable[[], None]) -> None:
        self.name = name
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(target,), name=name, daemon=True)

    def _run(self, target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:
            self.error = exc

    def check(self) -> None:
        """Raise LoopDied (with the loop's exception as the cause) if the loop died."""
        if self.error is not None:
            raise LoopDied(f"the {self.name} loop died: {self.error!r}") from self.error

    def alive(self) -> bool:
        """True, or LoopDied if the loop died (for use inside polling predicates)."""
        self.check()
        return True


@contextmanager
def watched_relay(relay: OutboxRelay) -> Iterator[Watched]:
    """`relay.run` in a watched thread for the block; stopped (and checked) at its end."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        try:
            loop.run_until_complete(relay.run(stop))
        finally:
            loop.run_until_complete(relay.close())

    watched = Watched(f"relay {relay.producer}", run)
    watched.thread.start()
    try:
        yield watched
    finally:
        if watched.thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
        watched.thread.join(timeout=20)
        if not watched.thread.is_alive():
            loop.close()
    watched.check()


@contextmanager
def watched_loop(name: str, run: Callable[[threading.Event], None]) -> Iterator[Watched]:
    """`run(stop)` in a watched thread for the block; stopped (and checked) at its end."""
    stop = threading.Event()
    watched = Watched(name, lambda: run(stop))
    watched.thread.start()
    try:
        yield watched
    finally:
        stop.set()
        watched.thread.join(timeout=20)
    watched.check()
    # A loop that outlives its stop would hold a process's shutdown up as long.
    assert not watched.thread.is_alive(), f"the {name} loop did not stop within 20 s"


def watched_consumer(consumer: EventConsumer) -> AbstractContextManager[Watched]:
    """`consumer.run` in a watched thread for the block; stopped (and checked) at its end."""
    return watched_loop(f"consumer {consumer.name}", consumer.run)
