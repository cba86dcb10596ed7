"""Read-your-writes for pages: after a change, wait (briefly) until the read model shows it,
so the page the customer is sent back to already says what they just did."""

from __future__ import annotations

import time
from collections.abc import Callable

from services.gateway.adapters.upstream import ServiceUnavailableError

SETTLE_TIMEOUT_S = 3.0
SETTLE_PAUSE_S = 0.03


def settle(shows_it: Callable[[], bool], timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
    """Poll `shows_it` until true or `timeout_s` passed; a late read model is not an error
    (the page then shows the state before the change, and the next visit the new one)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if shows_it():
                return True
        except ServiceUnavailableError:
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(SETTLE_PAUSE_S)
