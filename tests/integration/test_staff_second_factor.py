"""Staff and admin accounts sign in with two factors (R26): the password, then a code of
their authenticator app (TOTP, 30-second steps) or a one-use recovery code. Checked on a
gateway of its own whose clock the test moves; the pages and the JSON API through the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.gateway.adapters.second_factor_store import SecondFactorStore
from services.gateway.bootstrap import Gateway, bootstrap
from services.gateway.domain.accounts import Account
from services.gateway.domain.second_factor import code_at, new_secret, step_of
from services.gateway.entrypoints.second_factor_gate import PENDING_COOKIE
from services.gateway.entrypoints.sessions import COOKIE
from shared.events.clock import ManualClock
from tests.support.infra import Infra
from tests.support.standalone_gateway import standalone_gateway

PASSWORD = "a long enough password 1"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def gateway(infra: Infra, clock: ManualClock) -> Iterator[Gateway]:
    with standalone_gateway(infra) as wired:
        wired.clock = clock
        wired.signin_limit = 5
        yield wired


@pytest.fixture()
def factors(gateway: Gateway) -> SecondFactorStore:
    return SecondFactorStore(gateway.accounts, gateway.settings.identity_secret)


def _staff(gateway: Gateway, name: str, role: str = "staff") -> Account:
    return gateway.accounts.create(f"{name}@cnnect.example", PASSWORD, role)


def _enrolled(gateway: Gateway, factors: SecondFactorStore, name: str) -> tuple[Account, str]:
    account, secret = _staff(gateway, name), new_secret()
    assert factors.enrol(account.account_id, secret, None) is not None
    return account, secret


def _code(gateway: Gateway, secret: str, steps_from_now: int = 0) -> str:
    return code_at(secret, step_of(gateway.clock.now()) + steps_from_now)


@pytest.mark.rule("R26")
def test_a_code_one_step_old_passes_two_steps_old_does_not_and_none_passes_twice(
    gateway: Gateway, factors: SecondFactorStore, clock: ManualClock
) -> None:
    account, secret = _enrolled(gateway, factors, "drift")
    now = clock.now()
    assert not factors.check(account.account_id, _code(gateway, secret, -2), now)
    assert factors.check(account.account_id, _code(gateway, secret, -1), now)
    assert not factors.check(account.account_id, _code(gateway, secret, -1), now)  # replayed
    current = _code(gateway, secret)
    assert factors.check(account.account_id, current, now)
    clock.advance(timedelta(seconds=30))  # the same code, still one step old: used already
    assert not factors.check(account.account_id, current, clock.now())
    assert factors.check(account.account_id, _code(gateway, secret, 1), clock.now())
    assert not factors.check(account.account_id, "12345", clock.now())  # not six digits


@pytest.mark.rule("R26")
def test_each_recovery_code_signs_in_once(gateway: Gateway, factors: SecondFactorStore) -> None:
    account = _staff(gateway, "recovery")
    codes = factors.enrol(account.account_id, new_secret(), None)
    assert codes is not None and len(set(codes)) == 10
    now = gateway.clock.now()
    assert factors.check(account.account_id, codes[3].upper().replace("-", " "), now)
    assert not factors.check(account.account_id, codes[3], now)
    assert factors.check(account.account_id, codes[4], now)
    assert not factors.check(account.account_id, "abcde-fghjk", now)


def test_the_secret_is_kept_encrypted_and_recovery_codes_only_as_hashes(
    gateway: Gateway, factors: SecondFactorStore
) -> None:
    account, secret = _enrolled(gateway, factors, "at-rest")
    row = gateway.accounts.store.query(
        "SELECT totp_secret FROM accounts WHERE account_id = %s", (account.account_id,)
    )[0]
    assert secret not in row["totp_secret"]
    enrolment = factors.enrolment(account.account_id)
    assert enrolment is not None and enrolment.secret == secret


def _signin_json(
    app: Flask, email: str, code: str | None = None
) -> tuple[int, dict[str, str], bool]:
    body = {"email": email, "password": PASSWORD, **({"code": code} if code else {})}
    client = app.test_client()
    answer = client.post("/auth/signin", json=body)
    return answer.status_code, answer.get_json(), client.get_cookie(COOKIE) is not None


@pytest.mark.rule("R26")
def test_the_api_gives_staff_no_session_for_the_password_alone(
    app: Flask, gateway: Gateway, factors: SecondFactorStore
) -> None:
    account, secret = _enrolled(gateway, factors, "api")
    status, body, session = _signin_json(app, account.email)
    assert (status, body["error"], session) == (401, "second_factor_required", False)
    assert "code" in body["message"]
    status, body, session = _signin_json(app, account.email, "000000")
    assert (status, body["error"], session) == (401, "second_factor_wrong", False)
    status, body, session = _signin_json(app, account.email, _code(gateway, secret))
    assert (status, body["role"], session) == (200, "staff", True)
    unenrolled = _staff(gateway, "api-new", "admin")
    status, body, session = _signin_json(app, unenrolled.email, "123456")
    assert (status, body["error"], session) == (401, "second_factor_setup_required", False)
    gateway.accounts.create("customer-api@example.com", PASSWORD, "customer")
    assert _signin_json(app, "customer-api@example.com")[0] == 200  # customers: as before


@pytest.mark.rule("R26")
def test_wrong_codes_count_against_the_signin_limit(
    app: Flask, gateway: Gateway, factors: SecondFactorStore
) -> None:
    account, secret = _enrolled(gateway, factors, "guesser")
    answers = [_signin_json(app, account.email, "000000")[0] for _ in range(3)]
    # Each try is a password attempt and a wrong code: the limit (5) passes on the third.
    assert answers == [401, 401, 429]
    assert _signin_json(app, account.email, _code(gateway, secret))[0] == 429  # even the right


def _form_token(client: FlaskClient) -> str:
    page = client.get("/signin").get_data(as_text=True)
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _password_step(client: FlaskClient, email: str) -> str:
    answer = client.post(
        "/signin", data={"email": email, "password": PASSWORD, "form_token": _form_token(client)}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    pending = answer.headers["Set-Cookie"]
    assert pending.startswith("cnnect_second_factor=")
    assert all(word in pending for word in ("HttpOnly", "SameSite=Strict", "Max-Age=300"))
    location: str = answer.headers["Location"]
    return location


@pytest.mark.rule("R26")
def test_the_signin_form_sets_up_the_second_factor_then_asks_for_its_code(
    app: Flask, gateway: Gateway, factors: SecondFactorStore
) -> None:
    account = _staff(gateway, "pages", "admin")
    client = app.test_client()
    assert _password_step(client, account.email) == "/signin/second-factor"
    assert client.get_cookie(COOKIE) is None  # the right password alone: no session
    assert client.get("/staff").status_code == 302  # to the sign-in page
    setup = client.get("/signin/second-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in setup
    secret = re.search(r'id="totp-secret" class="totp-secret">([A-Z2-7 ]+)<', setup)
    assert secret
    key = secret.group(1).replace(" ", "")
    wrong = client.post("/signin/second-factor", data={"code": "12345x"})
    assert wrong.status_code == 400
    assert 'id="error-code"' in wrong.get_data(as_text=True)  # beside the field, in words
    assert key in wrong.get_data(as_text=True).replace(" ", "")  # the same key, still shown
    shown = client.post("/signin/second-factor", data={"code": _code(gateway, key)})
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", shown.get_data(True))
    assert len(codes) == 10 and client.get_cookie(COOKIE) is not None  # signed in with them
    assert 'id="recovery-codes-saved" href="/staff"' in shown.get_data(as_text=True)
    assert 'action="/signout"' in shown.get_data(as_text=True)  # the page shows them signed in
    assert client.get("/staff").status_code == 200
    # The pending sign-in is used up: it opens no second session.
    assert client.get_cookie(PENDING_COOKIE, path="/signin") is None
    # A later sign-in asks for the code (a recovery code works too), nothing else.
    later = app.test_client()
    _password_step(later, account.email)
    asked = later.get("/signin/second-factor").get_data(as_text=True)
    assert "totp-secret" not in asked and 'name="code"' in asked
    assert later.post("/signin/second-factor", data={"code": codes[0]}).status_code == 303
    assert later.get_cookie(COOKIE) is not None


def test_a_pending_signin_expires_after_five_minutes(
    app: Flask, gateway: Gateway, factors: SecondFactorStore, clock: ManualClock
) -> None:
    account, secret = _enrolled(gateway, factors, "slow")
    client = app.test_client()
    _password_step(client, account.email)
    clock.advance(timedelta(minutes=5, seconds=1))
    late = client.post("/signin/second-factor", data={"code": _code(gateway, secret)})
    assert late.status_code == 303 and late.headers["Location"] == "/signin"
    assert client.get_cookie(COOKIE) is None


def _signed_in(app: Flask, gateway: Gateway, account: Account, secret: str) -> FlaskClient:
    client = app.test_client()
    _password_step(client, account.email)
    clock = gateway.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(seconds=30))  # a fresh step: never a replay of an earlier code
    answer = client.post("/signin/second-factor", data={"code": _code(gateway, secret)})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client


def _csrf(client: FlaskClient) -> str:
    return str(client.get("/auth/me").get_json()["csrf_token"])


@pytest.mark.rule("R26")
def test_an_admin_resets_a_staff_members_second_factor_and_staff_cannot(
    app: Flask, gateway: Gateway, factors: SecondFactorStore
) -> None:
    admin, admin_secret = _staff(gateway, "boss", "admin"), new_secret()
    factors.enrol(admin.account_id, admin_secret, None)
    member, member_secret = _enrolled(gateway, factors, "member")
    by_admin = _signed_in(app, gateway, admin, admin_secret)
    by_member = _signed_in(app, gateway, member, member_secret)
    listed = by_admin.get("/staff/accounts").get_data(as_text=True)
    assert member.email in listed and "Reset second factor" in listed
    reset = f"/staff/accounts/{member.account_id}/second-factor/reset"
    assert by_member.get("/staff/accounts").status_code == 403
    assert by_member.post(reset, data={"csrf_token": _csrf(by_member)}).status_code == 403
    assert by_admin.post(reset).status_code == 403  # no CSRF token
    assert by_admin.post(reset, data={"csrf_token": _csrf(by_admin)}).status_code == 303
    assert factors.enrolment(member.account_id) is None
    assert by_member.get("/auth/me").status_code == 401  # their sessions ended
    again = app.test_client()
    _password_step(again, member.email)
    assert "totp-secret" in again.get("/signin/second-factor").get_data(as_text=True)


@pytest.mark.rule("R26")
def test_a_staff_session_opened_by_a_password_alone_before_second_factors_ends_at_the_next_start(
    gateway: Gateway, factors: SecondFactorStore, clock: ManualClock
) -> None:
    legacy = _staff(gateway, "legacy")
    token, _ = gateway.accounts.open_session(legacy, clock.now())  # as the old release did
    enrolled, _ = _enrolled(gateway, factors, "kept")
    kept, _ = gateway.accounts.open_session(enrolled, clock.now())
    bootstrap(gateway.settings).close()  # the next release starts: its schema runs
    assert gateway.accounts.session(token, clock.now()) is None
    assert gateway.accounts.session(kept, clock.now()) is not None
