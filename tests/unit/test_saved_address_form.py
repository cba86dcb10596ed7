"""The account page's address form refuses with the order form's sentences beside the same
fields, and names a session's browser in a few words."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from services.gateway.domain.devices import device_words
from services.gateway.entrypoints.pages.address_form import checked_address

GOOD = {
    "name": "Ana Lind",
    "line1": "4 Storgatan",
    "line2": "",
    "city": "Uppsala",
    "postal_code": "753 20",
    "country": "SE",
    "phone": "+46 (0)8-123",
}


def test_a_refused_address_is_said_beside_each_field_in_the_order_forms_words() -> None:
    typed = {f"address-{k}": v for k, v in GOOD.items()}
    form = MultiDict(
        typed | {"address-country": " fr ", "address-postal_code": "7", "address-city": ""}
    )
    address, errors = checked_address(form)
    assert address["country"] == "FR"  # trimmed and in capitals, as the order form sends it
    assert errors.fields == {
        "address-postal_code": "The postal code is not written as expected: 2 to 12 letters "
        "or digits.",
        "address-city": "The city is needed, up to 100 characters.",
    }
    assert not checked_address(MultiDict(typed))[1]


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on a Mac",
        ),
        ("python-requests/2.32.3", "A script"),
        ("", "An unknown browser"),
    ],
)
def test_a_sessions_browser_is_named_in_a_few_words(user_agent: str, words: str) -> None:
    assert device_words(user_agent) == words
