"""Staff and admin accounts' second factor (R26): time-based one-time codes (TOTP, RFC 6238,
30-second steps, 6 digits, as every authenticator app makes them) and one-use recovery codes.
Pure rules; keeping the secret and the codes is the adapter's (second_factor_store.py)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno

# Whose sign-in asks for a code after the password: the accounts that can see every order.
SECOND_FACTOR_ROLES = ("staff", "admin")
STEP_S = 30
DIGITS = 6
# A code of the step before or after the current one is accepted too: a phone's clock a few
# seconds off, or a code typed as its step ended, still signs in.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
ISSUER = "CNNECT"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_SPACES = re.compile(r"[\s-]+")


def new_secret() -> str:
    """A fresh TOTP secret (base32, 160 bits as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def step_of(moment: datetime) -> int:
    """The 30-second step `moment` falls in (counted from the Unix epoch)."""
    return int(moment.timestamp()) // STEP_S


def code_at(secret: str, step: int) -> str:
    """The 6-digit code of `secret` for `step`."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).at(step * STEP_S)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step `code` belongs to if it is accepted now: the current step or one either side,
    and newer than `last_step` (the last one accepted), so a code seen once cannot be used
    again (replay). None when refused."""
    typed = cleaned(code)
    if not (typed.isdigit() and len(typed) == DIGITS):
        return None
    current = step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), typed):
            return step if last_step is None or step > last_step else None
    return None


def cleaned(code: str) -> str:
    """What was typed, without the spaces and dashes apps and people put in codes."""
    return _SPACES.sub("", code).lower()


def looks_like_totp(code: str) -> bool:
    """Six digits: a code from the app (anything else may be a recovery code)."""
    typed = cleaned(code)
    return typed.isdigit() and len(typed) == DIGITS


def new_recovery_codes() -> list[str]:
    """Ten one-use recovery codes, `xxxxx-xxxxx` (about 49 bits each)."""
    return [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5))
        + "-"
        + "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5))
        for _ in range(RECOVERY_CODES)
    ]


def recovery_hash(code: str) -> str:
    """What is kept of a recovery code: its SHA-256 (the codes are random and long enough that
    a fast hash is safe; a slow one would only slow every sign-in)."""
    return hashlib.sha256(cleaned(code).encode()).hexdigest()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app scans (or is given by hand)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data URI (for an <img>; no file, no script)."""
    qr = segno.make(uri, error="m")
    data_uri: str = qr.svg_data_uri(scale=5, border=2, dark="#000", light="#fff")
    return data_uri


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
