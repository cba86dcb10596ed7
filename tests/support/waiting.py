"""Waiting for an outcome by polling it, never by sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Poll `check` until it stops raising AssertionError (up to `timeout` s); its result."""
    for attempt in Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry=retry_if_exception_type(AssertionError),
        reraise=True,
    ):
        with attempt:
            return check()
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


def eventually_equal(get: Callable[[], object], expected: object, timeout: float = 20.0) -> None:
    """Poll `get` until it returns `expected` (up to `timeout` s); on timeout the error shows
    the last value beside the expected one."""

    def check() -> None:
        actual = get()
        assert actual == expected, f"{actual!r} != {expected!r}"

    eventually(check, timeout)


def wait_until(
    predicate: Callable[[], bool], what: str, timeout: float = 20.0, interval: float = 0.05
) -> None:
    """Poll `predicate` until it is true; AssertionError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting until {what}")
        time.sleep(interval)


def poll(fetch: Callable[[], Any], until: Callable[[Any], Any], timeout: float = 30.0) -> Any:
    """Call `fetch` until `until(result)` holds and return the result; AssertionError on timeout.

    A condition that cannot be evaluated yet (a field not there yet) counts as not met."""
    deadline = time.monotonic() + timeout
    result: Any = None
    while time.monotonic() < deadline:
        result = fetch()
        try:
            if until(result):
                return result
        except (KeyError, TypeError, IndexError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s; last result: {result!r}")
