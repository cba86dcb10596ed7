"""E-mails about an account, end to end (R26): sign-up mails a link confirming the address,
a forgotten password is chosen anew by a link that signs every old session out, and a new
address is used only once its own link is opened. The mails are read from a real SMTP server
messaging sends to, and the links in them are followed as they are written."""

from __future__ import annotations

import re
import time

import psycopg
import pytest
import requests
from playwright.sync_api import Browser, expect

from shared.personal.sealing import is_sealed
from tests.support.pages import sign_in, sign_up
from tests.support.smtp_server import ReceivedMail, SmtpTestServer
from tests.support.system import System, poll
from tests.support.system import sign_up as sign_up_by_api

PASSWORD = "a long enough password 1"
NEW_PASSWORD = "another fine password 2"
CONFIRM_SUBJECT = "Please confirm your e-mail address"
RESET_SUBJECT = "Choose a new password"


def _mails(smtp: SmtpTestServer, to: str, subject: str, count: int = 1) -> list[ReceivedMail]:
    """The mails to `to` with `subject`, once there are `count` of them."""
    found: list[ReceivedMail] = poll(
        lambda: [m for m in smtp.messages if to in m.rcpt_tos and m.subject == subject],
        lambda mails: len(mails) >= count,
    )
    return found


def _link(mail: ReceivedMail) -> str:
    found = re.search(r"https?://\S+", mail.body)
    assert found is not None, mail.body
    return found.group(0)


def _address_in_messaging(system: System, customer_id: str) -> str | None:
    """The address messaging mails the customer at, opened: it keeps it sealed (issue 21)."""
    with psycopg.connect(system.database_url("messaging"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT email FROM customer_addresses WHERE customer_id = %s", (customer_id,)
        ).fetchone()
    if row is None:
        return None
    assert is_sealed(str(row[0])), "messaging keeps the address sealed"
    return system.revealed(str(row[0]))


def _me(system: System, session: requests.Session) -> requests.Response:
    return session.get(system.url("gateway", "/auth/me"), timeout=10)


@pytest.mark.rule("R26")
def test_R26_a_new_customer_confirms_their_address_by_the_mailed_link_and_the_reminder_goes(
    system: System, smtp: SmtpTestServer, browser: Browser
) -> None:
    email = "confirm-me@example.com"
    page = browser.new_context().new_page()
    sign_up(page, system, email, PASSWORD)
    reminder = page.locator("#email-reminder")
    expect(reminder).to_contain_text(email)
    reminder.get_by_role("button", name="Send the link again").click()
    page.wait_for_url("**/orders")
    expect(page.get_by_text(f"We sent a new link to {email}.")).to_be_visible()
    first, second = _mails(smtp, email, CONFIRM_SUBJECT, count=2)[:2]
    # Opening the link uses nothing (a mail scanner's GET): the button does.
    page.goto(_link(second))
    expect(page.locator("#email-reminder")).to_be_visible()
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_url("**/orders")
    expect(page.get_by_text("Thank you: your e-mail address is confirmed.")).to_be_visible()
    expect(page.locator("#email-reminder")).to_have_count(0)
    page.goto(_link(first))  # the other link of the same kind is void now
    expect(page.locator("#link-problem")).to_contain_text("used already")
    account_id = page.evaluate("() => fetch('/auth/me').then(r => r.json())")["account_id"]
    # Messaging knows where the customer's order e-mails go (it was told at sign-up).
    assert _address_in_messaging(system, account_id) == email


@pytest.mark.rule("R26")
def test_R26_a_forgotten_password_is_chosen_anew_by_link_and_every_other_session_ends(
    system: System, smtp: SmtpTestServer, browser: Browser
) -> None:
    email = "forgetful@example.com"
    api_session, _ = sign_up_by_api(system, email, PASSWORD)
    other = browser.new_context().new_page()
    sign_in(other, system, email, PASSWORD, "/orders")
    page = browser.new_context().new_page()
    page.goto(system.url("gateway", "/signin"))
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("input[name=email]", email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("#reset-asked")).to_contain_text(f"If an account uses {email}")
    link = _link(_mails(smtp, email, RESET_SUBJECT)[0])
    page.goto(link)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=password_again]", NEW_PASSWORD + "x")
    page.get_by_role("button", name="Keep this password").click()
    expect(page.locator("#error-password_again")).to_contain_text("differ")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=password_again]", NEW_PASSWORD)
    page.get_by_role("button", name="Keep this password").click()
    page.wait_for_url("**/orders")
    expect(page.get_by_text("Every other session of your account was signed out.")).to_be_visible()
    assert _me(system, api_session).status_code == 401
    other.reload()
    assert "/signin" in other.url
    page.goto(link)  # once only
    expect(page.locator("#link-problem")).to_contain_text("used already")
    expect(page.get_by_role("link", name="Send me a new link")).to_be_visible()
    fresh = requests.post(
        system.url("gateway", "/auth/signin"),
        json={"email": email, "password": NEW_PASSWORD},
        timeout=10,
    )
    assert fresh.status_code == 200


def _ask_reset(system: System, email: str) -> tuple[str, float]:
    """The forgot-password answer's page text for `email`, and how long it took."""
    asker = requests.Session()
    form = asker.get(system.url("gateway", "/account/forgot-password"), timeout=10)
    token = re.search(r'name="form_token" value="([^"]+)"', form.text)
    assert token is not None
    started = time.monotonic()
    answer = asker.post(
        system.url("gateway", "/account/forgot-password"),
        data={"email": email, "form_token": token.group(1)},
        timeout=10,
    )
    took = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    # The page is the same but for the address typed and this browser's own form token.
    return answer.text.replace(email, "ADDRESS").replace(token.group(1), "TOKEN"), took


@pytest.mark.rule("R26")
def test_R26_asking_for_a_password_link_answers_alike_for_known_and_unknown_addresses(
    system: System, smtp: SmtpTestServer
) -> None:
    known, unknown = "known-reset@example.com", "nobody-here@example.com"
    sign_up_by_api(system, known, PASSWORD)
    known_page, known_took = _ask_reset(system, known)
    unknown_page, unknown_took = _ask_reset(system, unknown)
    assert known_page == unknown_page
    assert "If an account uses ADDRESS, we sent it a link" in known_page
    # The lookup and the mail happen after the answer: neither answer waits for them.
    assert abs(known_took - unknown_took) < 0.5, (known_took, unknown_took)
    _mails(smtp, known, RESET_SUBJECT)
    assert not [m for m in smtp.messages if unknown in m.rcpt_tos]


def _csrf_form(session: requests.Session, system: System) -> dict[str, str]:
    """The CSRF token of the session (its forms carry it)."""
    return {"csrf_token": _me(system, session).json()["csrf_token"]}


@pytest.mark.rule("R26")
def test_R26_a_new_email_address_is_used_only_once_its_own_link_is_opened(
    system: System, smtp: SmtpTestServer
) -> None:
    old, new = "old-address@example.com", "new-address@example.com"
    session, account = sign_up_by_api(system, old, PASSWORD)
    sign_up_by_api(system, "taken-address@example.com", PASSWORD)
    url = system.url("gateway", "/account/email")
    assert session.get(url, timeout=10).status_code == 200
    # The account page shows the same section (it includes _account_email.html).
    account_page = session.get(system.url("gateway", "/account"), timeout=10)
    assert 'id="account-email"' in account_page.text and "(not confirmed yet)" in account_page.text
    csrf = _csrf_form(session, system)

    def change(to: str, password: str, **more: str) -> requests.Response:
        data = {**csrf, "new_email": to, "current_password": password, **more}
        return session.post(url, data=data, timeout=10)

    wrong = change(new, "not it at all")
    assert wrong.status_code == 400
    assert "This is not your current password." in wrong.text and f'value="{new}"' in wrong.text
    taken = change("taken-address@example.com", PASSWORD)
    assert taken.status_code == 400 and "Another account uses this address." in taken.text
    asked = change(new, PASSWORD, back="/account/email")
    assert asked.status_code == 200 and f"We sent a link to {new}." in asked.text
    assert _me(system, session).json()["email"] == old
    notice = _mails(smtp, old, "A change of your e-mail address was asked")[0]
    assert new in notice.body and "http" not in notice.body
    link = _link(_mails(smtp, new, "Please confirm your new e-mail address")[0])
    opened = session.get(link, timeout=10)
    assert opened.status_code == 200 and new in opened.text
    assert _me(system, session).json()["email"] == old  # opening the page changes nothing
    token = re.search(r'name="token" value="([^"]+)"', opened.text)
    assert token is not None
    confirm = system.url("gateway", "/account/email/confirm")
    used = session.post(confirm, data={"token": token.group(1)}, timeout=10)
    assert used.status_code == 200 and f"Your e-mail address is now {new}." in used.text
    assert _me(system, session).json()["email"] == new
    assert _address_in_messaging(system, account["account_id"]) == new
    again = session.post(confirm, data={"token": token.group(1)}, timeout=10)
    assert again.status_code == 400 and "used already" in again.text


@pytest.mark.rule("R26")
def test_R26_signing_up_while_messaging_is_down_makes_the_account_and_offers_to_send_again(
    system: System, smtp: SmtpTestServer, browser: Browser
) -> None:
    email = "while-down@example.com"
    page = browser.new_context().new_page()
    system.kill("messaging-api")
    try:
        sign_up(page, system, email, PASSWORD)  # lands on the orders page: no error page
        expect(page.get_by_text("We could not send the e-mail just now.")).to_be_visible()
    finally:
        system.start("messaging-api")
        system.wait_healthy("messaging")
    page.locator("#email-reminder").get_by_role("button", name="Send the link again").click()
    expect(page.get_by_text(f"We sent a new link to {email}.")).to_be_visible()
    assert "/account/verify?token=" in _link(_mails(smtp, email, CONFIRM_SUBJECT)[0])
