"""The account page's session controls end sessions in every gateway process at once (R26):
changing the password ends every session but the one changing it, and one session signed out
by its id ends there too; another account's session id ends nothing. Two account stores over
one database stand for two gateway processes, each with its session cache."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.gateway.adapters.account_sessions import ActiveSessions
from services.gateway.adapters.accounts_store import AccountStore, session_digest
from services.gateway.domain.accounts import Account
from tests.support.waiting import wait_until

SOON = 3.0
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _now() -> datetime:
    return datetime.now(UTC)


def _tokens(store: AccountStore, account: Account, count: int) -> list[str]:
    return [
        store.open_session(account, _now(), user_agent=FIREFOX, client_address="192.0.2.7")[0]
        for _ in range(count)
    ]


@pytest.mark.rule("R26")
def test_R26_a_changed_password_ends_the_other_sessions_in_every_gateway_but_this_one(
    two_gateways: tuple[AccountStore, AccountStore],
) -> None:
    a, b = two_gateways
    account = a.create("change@example.com", "a long enough password", "customer")
    other = a.create("other@example.com", "a long enough password", "customer")
    this, *others = _tokens(a, account, 3)
    (theirs,) = _tokens(a, other, 1)
    for token in (this, *others, theirs):
        assert b.session(token, _now()) is not None  # cached in B
    a.set_password(account.account_id, "a brand new password")
    ended = a.revoke_all(account.account_id, _now(), except_digest=session_digest(this))
    assert ended == 2
    wait_until(
        lambda: all(b.session(token, _now()) is None for token in others),
        "B ends the other sessions",
        SOON,
    )
    assert b.session(this, _now()) is not None and b.session(theirs, _now()) is not None
    assert a.password_matches(account.account_id, "a brand new password")
    assert not a.password_matches(account.account_id, "a long enough password")


@pytest.mark.rule("R26")
def test_R26_a_session_signed_out_by_its_id_ends_everywhere_and_no_one_elses_can_be(
    two_gateways: tuple[AccountStore, AccountStore],
) -> None:
    a, b = two_gateways
    owner = a.create("owner@example.com", "a long enough password", "customer")
    stranger = a.create("stranger@example.com", "a long enough password", "customer")
    mine, spare = _tokens(a, owner, 2)
    assert b.session(spare, _now()) is not None
    listed = ActiveSessions(a.store, a.cache).of(owner.account_id, _now())
    assert [s.device for s in listed] == ["Firefox on Windows"] * 2
    assert {s.client_address for s in listed} == {"192.0.2.7"}
    spare_id = next(s.session_id for s in listed if s.token_hash == session_digest(spare))
    sessions = ActiveSessions(a.store, a.cache)
    assert sessions.revoke(stranger.account_id, spare_id, _now()) is None  # not theirs
    assert sessions.revoke(owner.account_id, "not-an-id", _now()) is None
    assert b.session(spare, _now()) is not None
    assert sessions.revoke(owner.account_id, spare_id, _now()) == session_digest(spare)
    wait_until(lambda: b.session(spare, _now()) is None, "B ends the session", SOON)
    assert b.session(mine, _now()) is not None
    assert spare_id not in {s.session_id for s in sessions.of(owner.account_id, _now())}
    assert sessions.revoke(owner.account_id, spare_id, _now()) is None  # ended already
