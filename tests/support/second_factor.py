"""Staff sign-ins in tests, benches and chaos runs: the second factor (R26) of every staff
account `create_staff` made (with `create-user --enrol-second-factor`), and its next code, as
the member's authenticator app would show it.

The gateway accepts a code of the current 30-second step or one either side, each step once
per account (replay protection). So one account signs in up to three times in a step; the
next code is for the lowest step still unused. A fourth sign-in in the same step types one of
the account's recovery codes instead, as a member without their phone would (each works once);
only when those are used up too does it wait for the next step."""

from __future__ import annotations

import re
import threading
import time

from services.gateway.domain.second_factor import STEP_S, code_at

SECRET_LINE = re.compile(r"^second factor secret: (\w+)$", re.MULTILINE)
RECOVERY_LINE = re.compile(r"^recovery code: (\S+)$", re.MULTILINE)
# The step before the current one only while the code cannot age out on its way (the gateway
# accepts it until the current step ends).
EARLY_IN_STEP_S = 20

_secrets: dict[str, str] = {}
_last_steps: dict[str, int] = {}
_recovery_codes: dict[str, list[str]] = {}
_lock = threading.Lock()


def remember(email: str, create_user_output: str) -> str:
    """Keep the secret `create-user --enrol-second-factor` printed for `email`; return it."""
    found = SECRET_LINE.search(create_user_output)
    assert found, f"create-user printed no second factor secret: {create_user_output!r}"
    key = email.strip().lower()
    _secrets[key] = found.group(1)
    _recovery_codes[key] = RECOVERY_LINE.findall(create_user_output)
    return found.group(1)


def keep_secret(email: str, secret: str) -> None:
    """Keep the secret a setup page showed for `email` (as the member's app does)."""
    _secrets[email.strip().lower()] = secret.replace(" ", "")


def secret_of(email: str) -> str | None:
    """The second factor's secret of a staff account made here (None for a customer)."""
    return _secrets.get(email.strip().lower())


def next_code(email: str, secret: str | None = None) -> str:
    """The next code the gateway accepts for `email` (a recovery code when the three of this
    step are used, and waiting for the next step only once those are gone too)."""
    key = email.strip().lower()
    secret = secret or _secrets[key]
    with _lock:
        while True:
            now = time.time()
            current = int(now) // STEP_S
            lowest = current - 1 if now - current * STEP_S < EARLY_IN_STEP_S else current
            step = max(lowest, _last_steps.get(key, lowest - 1) + 1)
            if step <= current + 1:
                _last_steps[key] = step
                return code_at(secret, step)
            if _recovery_codes.get(key):
                return _recovery_codes[key].pop()
            # Waiting for the clock to reach the next step: the condition is the time itself.
            time.sleep((current + 1) * STEP_S - now + 0.05)


def with_code(email: str, body: dict[str, str]) -> dict[str, str]:
    """A JSON sign-in `body`, with the second factor's code when `email` is a staff account
    made here (customers sign in with their password alone)."""
    return {**body, "code": next_code(email)} if secret_of(email) else body
