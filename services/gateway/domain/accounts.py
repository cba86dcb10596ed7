"""Accounts: who may sign in, and as what (R26). Pure rules; hashing and storage are adapters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.events.errors import ValidationError

ROLES = ("customer", "staff", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,}$")


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


def check_password(password: str) -> str:
    """A password good enough to keep (length only: no composition rules), or a 400."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def check_role(role: str) -> str:
    """A known role, or a 400."""
    if role not in ROLES:
        raise ValidationError(f"role is one of {', '.join(ROLES)}")
    return role
