"""The words of the e-mails about an account (R26): each links to its page on the site, with
the token, and nothing the gateway passes can add a header line."""

from __future__ import annotations

import pytest

from services.messaging.domain.account_mails import (
    CONFIRM_NEW_EMAIL,
    EMAIL_CHANGE_ASKED,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    AccountMailRequest,
    account_mail,
)

SITE = "https://cnnect.example/"


@pytest.mark.rule("R26")
@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (VERIFY_EMAIL, "/account/verify"),
        (RESET_PASSWORD, "/account/reset-password"),
        (CONFIRM_NEW_EMAIL, "/account/email/confirm"),
    ],
)
def test_R26_each_account_link_opens_its_page_with_the_token(kind: str, path: str) -> None:
    request = AccountMailRequest("n-12345678", "cus-1", "a@example.com", kind, "t0k/en", "b@x.io")
    mail = account_mail(request, SITE)
    assert f"https://cnnect.example{path}?token=t0k%2Fen" in mail.body
    assert mail.notification_id == "n-12345678" and mail.kind == kind


@pytest.mark.rule("R26")
def test_R26_the_old_address_is_told_which_new_one_was_asked_and_gets_no_link() -> None:
    request = AccountMailRequest(
        "n-notice-1", "cus-1", "old@example.com", EMAIL_CHANGE_ASKED, "", "new@example.com\r\nX: 1"
    )
    mail = account_mail(request, SITE)
    assert "new@example.com X: 1" in mail.body and "\r" not in mail.body
    assert "http" not in mail.body and "\n" not in mail.subject
