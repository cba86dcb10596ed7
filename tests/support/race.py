"""Calls raced against each other, for the tests of what concurrent commands may do."""

from __future__ import annotations

import threading
from collections.abc import Callable


def race(*calls: Callable[[], None]) -> None:
    """Run each of `calls` in a thread of its own, all released at the same moment; return
    once every one has ended."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], None]) -> None:
        barrier.wait()
        call()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
