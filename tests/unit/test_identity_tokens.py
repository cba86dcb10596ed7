"""The identity tokens the gateway signs and the services verify: a caller's token is reused
for a few seconds, a verified one is remembered, and neither changes what is accepted: a
token older than its life, signed with another secret or altered is refused all the same."""

from __future__ import annotations

import time

import pytest

from shared.web import identity
from shared.web.identity import (
    REUSE_S,
    TOKEN_MAX_AGE_S,
    Identity,
    UnauthorizedError,
    issue_token,
    verify_token,
)

CUSTOMER = Identity("cus-1", "customer")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Seconds since the epoch, as time.time (itsdangerous's clock too) tells them."""
    now = [1_800_000_000.25]
    monkeypatch.setattr(time, "time", lambda: now[0])
    monkeypatch.setattr(identity, "_issued", {})
    monkeypatch.setattr(identity, "_verified", {})
    return now


def test_a_callers_token_is_reused_for_a_few_seconds_then_made_anew(clock: list[float]) -> None:
    first = issue_token("s", CUSTOMER)
    clock[0] += REUSE_S - 1
    assert issue_token("s", CUSTOMER) == first
    assert issue_token("s", Identity("cus-2", "customer")) != first
    assert issue_token("other", CUSTOMER) != first
    clock[0] += 1
    renewed = issue_token("s", CUSTOMER)
    assert renewed != first
    assert verify_token("s", renewed) == CUSTOMER


def test_a_remembered_token_still_expires(clock: list[float]) -> None:
    token = issue_token("s", CUSTOMER)
    assert verify_token("s", token) == CUSTOMER
    clock[0] += TOKEN_MAX_AGE_S
    assert verify_token("s", token) == CUSTOMER  # remembered, and not too old yet
    clock[0] += 1
    with pytest.raises(UnauthorizedError, match="expired"):
        verify_token("s", token)
    identity._verified.clear()
    with pytest.raises(UnauthorizedError, match="expired"):
        verify_token("s", token)  # the same answer as a first look


def test_a_token_from_the_future_is_refused_as_itsdangerous_refuses_it(clock: list[float]) -> None:
    token = issue_token("s", CUSTOMER)
    assert verify_token("s", token) == CUSTOMER
    clock[0] -= 2
    with pytest.raises(UnauthorizedError, match="expired"):
        verify_token("s", token)


def test_a_token_verified_under_one_secret_is_not_taken_under_another(clock: list[float]) -> None:
    token = issue_token("s", CUSTOMER)
    assert verify_token("s", token) == CUSTOMER
    with pytest.raises(UnauthorizedError, match="invalid"):
        verify_token("another", token)
    with pytest.raises(UnauthorizedError, match="invalid"):
        verify_token("s", token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
