"""Account links against the real PostgreSQL with a clock the test moves (R26): a link works
until it expires and only once, using one voids the others of its kind, and a change of
address to a taken one leaves the link unused."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from services.gateway.adapters.account_tokens import (
    CHANGE_EMAIL,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    AccountTokens,
    token_digest,
)
from services.gateway.adapters.accounts_store import AccountStore, EmailTakenError
from shared.events.clock import ManualClock
from shared.events.database import open_pool
from shared.events.store import EventStore

PASSWORD = "a long enough password"


@pytest.fixture
def stores(gateway_url: str) -> Iterator[tuple[AccountStore, AccountTokens]]:
    store = EventStore(open_pool(gateway_url, max_size=4))
    yield AccountStore(store), AccountTokens(store)
    store.pool.close()


@pytest.mark.rule("R26")
def test_R26_a_confirmation_link_works_for_24_hours_then_says_it_expired(
    stores: tuple[AccountStore, AccountTokens],
) -> None:
    accounts, tokens = stores
    clock = ManualClock()
    account = accounts.create("late@example.com", PASSWORD, "customer")
    issued = tokens.issue(account.account_id, VERIFY_EMAIL, clock.now())
    clock.advance(timedelta(hours=24, seconds=1))
    assert tokens.state(issued.token, VERIFY_EMAIL, clock.now()) == "expired"
    assert tokens.verify_email(issued.token, clock.now()) is None
    assert not tokens.is_verified(account.account_id)
    fresh = tokens.issue(account.account_id, VERIFY_EMAIL, clock.now())
    clock.advance(timedelta(hours=23))
    used = tokens.verify_email(fresh.token, clock.now())
    assert used is not None and used.account_id == account.account_id
    assert tokens.is_verified(account.account_id)


@pytest.mark.rule("R26")
def test_R26_a_password_link_works_one_hour_and_once_and_voids_the_older_ones(
    stores: tuple[AccountStore, AccountTokens],
) -> None:
    accounts, tokens = stores
    clock = ManualClock()
    account = accounts.create("forgetful@example.com", PASSWORD, "customer")
    older = tokens.issue(account.account_id, RESET_PASSWORD, clock.now())
    newer = tokens.issue(account.account_id, RESET_PASSWORD, clock.now())
    clock.advance(timedelta(minutes=59))
    # Two clicks at once: exactly one uses the link.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: tokens.take_reset(newer.token, clock.now()), range(2)))
    assert sum(result is not None for result in results) == 1
    assert tokens.state(newer.token, RESET_PASSWORD, clock.now()) == "used"
    assert tokens.state(older.token, RESET_PASSWORD, clock.now()) == "used"
    assert tokens.take_reset(older.token, clock.now()) is None
    late = tokens.issue(account.account_id, RESET_PASSWORD, clock.now())
    clock.advance(timedelta(hours=1))
    assert tokens.state(late.token, RESET_PASSWORD, clock.now()) == "expired"
    # The link is stored as its digest only; another purpose's page does not take it.
    assert tokens.state(token_digest(late.token), RESET_PASSWORD, clock.now()) == "unknown"
    assert tokens.verify_email(late.token, clock.now()) is None


@pytest.mark.rule("R26")
def test_R26_a_new_address_taken_meanwhile_is_refused_and_its_link_stays_unused(
    stores: tuple[AccountStore, AccountTokens],
) -> None:
    accounts, tokens = stores
    clock = ManualClock()
    mover = accounts.create("mover@example.com", PASSWORD, "customer")
    issued = tokens.issue(mover.account_id, CHANGE_EMAIL, clock.now(), "wanted@example.com")
    assert tokens.pending_change(mover.account_id, clock.now()) == "wanted@example.com"
    taker = accounts.create("wanted@example.com", PASSWORD, "customer")
    with pytest.raises(EmailTakenError):
        tokens.change_email(issued.token, clock.now())
    assert tokens.state(issued.token, CHANGE_EMAIL, clock.now()) == "valid"
    assert tokens.account_id_of("wanted@example.com") == taker.account_id
    again = tokens.issue(mover.account_id, CHANGE_EMAIL, clock.now(), "elsewhere@example.com")
    used = tokens.change_email(again.token, clock.now())
    assert used is not None and used.new_email == "elsewhere@example.com"
    moved = tokens.account(mover.account_id)
    assert moved is not None and moved.email == "elsewhere@example.com"
    assert tokens.is_verified(mover.account_id)
    assert accounts.authenticate("elsewhere@example.com", PASSWORD) is not None
