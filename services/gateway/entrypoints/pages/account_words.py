"""What the account pages say about links and e-mails (R26), in one place."""

from __future__ import annotations

SENDING_FAILED = (
    'We could not send the e-mail just now. Your account is fine: use "Send the link '
    'again" in a few minutes.'
)
TOO_MANY = "You asked several times in a short while; wait a few minutes, then ask again."

# What a link that no longer works is, by its state (adapters/account_tokens.py).
LINK_STATES = {
    "expired": "This link expired.",
    "used": "This link was used already: each link works once.",
    "unknown": "This link is incomplete or not one of ours. Copy the whole link from the e-mail.",
}


def link_problem(state: str) -> str:
    """Why a link does not work, in words ('' for a valid one)."""
    return LINK_STATES.get(state, "")
