"""The password a person may keep (R26): long enough, not one of the most used passwords, not
their e-mail address; each refusal says why, beside the password field."""

from __future__ import annotations

import pytest

from services.gateway.domain.accounts import check_password, common_passwords
from services.gateway.entrypoints.pages.form_errors import form_errors
from shared.domain_errors import ValidationError

MOST_USED = "this password is one of the most used ones; pick another"
HOLDS_EMAIL = "this password contains your e-mail address; pick another"


def _refusal(password: str, email: str = "") -> str:
    with pytest.raises(ValidationError) as refused:
        check_password(password, email)
    return str(refused.value)


@pytest.mark.rule("R26")
@pytest.mark.parametrize("password", ["qwertyuiop", "1q2w3e4r5t", "Password123", "MANCHESTER"])
def test_a_most_used_password_is_refused_whatever_its_case(password: str) -> None:
    assert _refusal(password) == MOST_USED


@pytest.mark.rule("R26")
def test_the_shipped_list_holds_thousands_of_passwords_in_lower_case() -> None:
    passwords = common_passwords()
    assert len(passwords) > 3000
    assert all(p == p.casefold() and not p.startswith("#") for p in passwords)
    assert "password" in passwords and "iloveyou" in passwords


@pytest.mark.rule("R26")
@pytest.mark.parametrize(
    "password",
    ["maria.lind@example.com", "MARIA.LIND2026!", "my maria.lind password"],
)
def test_a_password_holding_the_email_or_its_local_part_is_refused(password: str) -> None:
    assert _refusal(password, " Maria.Lind@Example.com ") == HOLDS_EMAIL


@pytest.mark.rule("R26")
def test_a_short_local_part_found_by_chance_in_a_password_is_no_reason_to_refuse() -> None:
    assert check_password("observed password 1", "obs@example.com") == "observed password 1"
    assert _refusal("obs@example.com!", "obs@example.com") == HOLDS_EMAIL


@pytest.mark.rule("R26")
def test_length_is_still_the_first_rule_and_a_good_password_is_kept_as_typed() -> None:
    assert _refusal("short") == "a password has 10 to 200 characters"
    assert _refusal("x" * 201) == "a password has 10 to 200 characters"
    assert check_password("Correct Horse Battery", "bea@example.com") == "Correct Horse Battery"
    assert check_password("correct horse battery") == "correct horse battery"  # no e-mail


@pytest.mark.rule("R26")
@pytest.mark.parametrize("message", [MOST_USED, HOLDS_EMAIL])
def test_the_reason_lands_beside_the_password_field_as_a_sentence(message: str) -> None:
    errors = form_errors(message, {})
    assert errors.of("password") == message[0].upper() + message[1:] + "."
    assert not errors.general
