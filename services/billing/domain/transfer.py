"""Bank transfers (R9): the transfer reference a customer writes on their transfer, and the
account they transfer to. Pure: no clock, no environment, no I/O.

The reference encodes the billing id itself (order number and 1st/2nd billing) instead of a
hash: it needs no lookup table that a notice could outrun, it can never collide, and it stays
short (10 characters and a check character). A typo is caught by the check character, so a
mistyped reference is held for staff instead of paying someone else's billing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Crockford's base32: no I, L, O or U, so a reference read aloud or retyped stays readable.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_BILLING_ID = re.compile(r"ord-([0-9a-f]{12})-([12])")
_BODY = 10  # 48 bits of the order number and 1 bit for the billing: 49 bits, 10 characters
PREFIX = "CN"


def _check_character(body: str) -> str:
    """Luhn mod 32 over `body`: catches every single wrong character and swapped neighbours."""
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * _ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return _ALPHABET[(32 - total % 32) % 32]


# Pure, and asked again for each billing on every poll of an order's billings.
@lru_cache(maxsize=4096)
def transfer_reference(billing_id: str) -> str:
    """The reference the customer writes on a transfer for `billing_id`, e.g. CN-0A3F9-KQ2M4-7.

    A billing id of another form (only hand-made ones) is its own reference."""
    match = _BILLING_ID.fullmatch(billing_id)
    if match is None:
        return billing_id
    number = int(match.group(1), 16) * 2 + int(match.group(2)) - 1
    body = ""
    for _ in range(_BODY):
        number, digit = divmod(number, 32)
        body = _ALPHABET[digit] + body
    return f"{PREFIX}-{body[:5]}-{body[5:]}-{_check_character(body)}"


def billing_of_reference(reference: str) -> str | None:
    """The billing id a bank notice's reference names; None for a mistyped reference.

    Accepts the reference however the payer typed it (any case, spaces or dashes, O for 0);
    anything else is taken as a billing id, as notices were matched before references."""
    text = reference.strip()
    compact = re.sub(r"[\s\-_.]", "", text.upper())
    if not compact.startswith(PREFIX) or _BILLING_ID.fullmatch(text.lower()):
        return text
    chars = "".join(_READ_AS.get(c, c) for c in compact[len(PREFIX) :])
    if len(chars) != _BODY + 1 or any(c not in _ALPHABET for c in chars):
        return None
    body, check = chars[:_BODY], chars[_BODY]
    if _check_character(body) != check:
        return None
    number = 0
    for char in body:
        number = number * 32 + _ALPHABET.index(char)
    order, second = divmod(number, 2)
    if order >= 16**12:
        return None
    return f"ord-{order:012x}-{second + 1}"


@dataclass(frozen=True)
class ReceivingAccount:
    """The bank account customers transfer to (R9)."""

    bank: str
    branch: str
    account_type: str
    number: str
    holder: str
    development: bool = False


DEVELOPMENT_ACCOUNT = ReceivingAccount(
    "CNNECT Development Bank (not a real bank)",
    "Head Office (001)",
    "Ordinary",
    "0000000",
    "CNNECT LTD (DEVELOPMENT)",
    development=True,
)
_FIELDS = {"bank", "branch", "type", "number", "holder"}


def parse_account(text: str) -> ReceivingAccount:
    """`CNNECT_BILLING_BANK_ACCOUNT`: `bank=...;branch=...;type=...;number=...;holder=...`."""
    parts: dict[str, str] = {}
    for raw in text.split(";"):
        if not raw.strip():
            continue
        key, sep, value = raw.partition("=")
        key = key.strip().lower()
        if not sep or key not in _FIELDS or not value.strip():
            raise ValueError(
                f"CNNECT_BILLING_BANK_ACCOUNT: cannot read {raw.strip()!r}; expected "
                "bank=...;branch=...;type=...;number=...;holder=..."
            )
        parts[key] = value.strip()
    missing = sorted(_FIELDS - parts.keys())
    if missing:
        raise ValueError(f"CNNECT_BILLING_BANK_ACCOUNT: {', '.join(missing)} missing")
    return ReceivingAccount(
        parts["bank"], parts["branch"], parts["type"], parts["number"], parts["holder"]
    )
