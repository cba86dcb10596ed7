"""Accounts: who may sign in, and as what (R26). Pure rules; hashing and storage are adapters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.domain_errors import ValidationError

ROLES = ("customer", "staff", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,}$")
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# A local part this short ("obs@...", "fuzz@...") is in good passwords by chance ("observed"):
# only the whole address is refused then.
MIN_LOCAL_PART = 5


@dataclass(frozen=True)
class Account:
    """A registered person: the subject the services see, and their role."""

    account_id: str
    email: str
    role: str

    @property
    def subject(self) -> str:
        """The identity the services know this account by."""
        return self.account_id


def normalised_email(email: str) -> str:
    """The e-mail as accounts are keyed (trimmed, lower case), or a 400."""
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned):
        raise ValidationError("give a valid e-mail address")
    return cleaned


def check_password(password: str, email: str = "") -> str:
    """A password good enough to keep, or a 400 saying why (R26): 10 to 200 characters, not
    one of the most used passwords, not the e-mail `email` nor holding its local part. No
    composition rules: they make passwords harder to remember, not to guess."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    folded = password.casefold()
    if folded in common_passwords():
        raise ValidationError("this password is one of the most used ones; pick another")
    if _holds_email(folded, email.strip().casefold()):
        raise ValidationError("this password contains your e-mail address; pick another")
    return password


def _holds_email(folded_password: str, address: str) -> bool:
    """The password is the address, or holds its local part ("maria.lind@..." in
    "maria.lind2026"): the first thing someone who knows the address tries."""
    if not address:
        return False
    local_part = address.partition("@")[0]
    long_enough = len(local_part) >= MIN_LOCAL_PART
    return address in folded_password or (long_enough and local_part in folded_password)


@cache
def common_passwords() -> frozenset[str]:
    """The most used passwords, in lower case (common_passwords.txt says where they come
    from); read once per process."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


def check_role(role: str) -> str:
    """A known role, or a 400."""
    if role not in ROLES:
        raise ValidationError(f"role is one of {', '.join(ROLES)}")
    return role
