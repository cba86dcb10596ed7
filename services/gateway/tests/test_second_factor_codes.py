"""The TOTP rule of staff sign-ins (R26), on a clock the test moves: a code of the current
30-second step or one either side passes, two steps away does not, and never a step that is
not newer than the last one accepted (a replay)."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from services.gateway.domain.second_factor import (
    accepted_step,
    code_at,
    new_secret,
    provisioning_uri,
    qr_data_uri,
    step_of,
)
from shared.events.clock import ManualClock

SECRET = new_secret()


@pytest.mark.rule("R26")
def test_a_code_passes_one_step_either_side_and_not_two() -> None:
    clock = ManualClock()
    now = step_of(clock.now())
    assert accepted_step(SECRET, code_at(SECRET, now), clock.now(), None) == now
    assert accepted_step(SECRET, code_at(SECRET, now - 1), clock.now(), None) == now - 1
    assert accepted_step(SECRET, code_at(SECRET, now + 1), clock.now(), None) == now + 1
    assert accepted_step(SECRET, code_at(SECRET, now - 2), clock.now(), None) is None
    assert accepted_step(SECRET, code_at(SECRET, now + 2), clock.now(), None) is None
    clock.advance(timedelta(seconds=60))  # the code of `now` is two steps old now
    assert accepted_step(SECRET, code_at(SECRET, now), clock.now(), None) is None


@pytest.mark.rule("R26")
def test_a_code_whose_step_is_not_newer_than_the_last_accepted_is_a_replay() -> None:
    clock = ManualClock()
    now = step_of(clock.now())
    assert accepted_step(SECRET, code_at(SECRET, now), clock.now(), now) is None
    assert accepted_step(SECRET, code_at(SECRET, now - 1), clock.now(), now) is None
    assert accepted_step(SECRET, code_at(SECRET, now + 1), clock.now(), now) == now + 1


def test_codes_are_what_authenticator_apps_show_typed_with_spaces_or_not() -> None:
    clock = ManualClock()
    app_code = pyotp.TOTP(SECRET).at(clock.now())  # an app's code, as RFC 6238 makes it
    assert accepted_step(SECRET, f"{app_code[:3]} {app_code[3:]}", clock.now(), None)
    assert accepted_step(SECRET, "abcdef", clock.now(), None) is None
    assert accepted_step(SECRET, app_code[:5], clock.now(), None) is None


def test_the_qr_code_holds_the_otpauth_uri_as_an_svg_image() -> None:
    uri = provisioning_uri(SECRET, "wei@cnnect.example")
    assert uri.startswith("otpauth://totp/CNNECT:wei%40cnnect.example?secret=" + SECRET)
    assert qr_data_uri(uri).startswith("data:image/svg+xml")
