"""The name an account goes by, for staff to read who did what (R27): an optional display
name (staff get one from `create-user --name`), else the account's e-mail."""

from __future__ import annotations

from collections.abc import Sequence

from services.gateway.adapters.accounts_store import AccountStore
from services.gateway.domain.forgetting import shown_email

NAMES_SCHEMA = """
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS display_name text;
"""
MAX_DISPLAY_NAME = 80


def set_display_name(accounts: AccountStore, account_id: str, name: str) -> None:
    """Give the account a display name (blank: none, the e-mail is shown)."""
    cleaned = " ".join(name.split())[:MAX_DISPLAY_NAME] or None
    accounts.store.transact(
        lambda tx: tx.conn.execute(
            "UPDATE accounts SET display_name = %s WHERE account_id = %s", (cleaned, account_id)
        )
    )


def account_names(accounts: AccountStore, account_ids: Sequence[str]) -> dict[str, str]:
    """The display name, else the e-mail, of each of `account_ids` that is an account (one
    query for a whole page)."""
    if not account_ids:
        return {}
    rows = accounts.store.query(
        "SELECT account_id, coalesce(nullif(display_name, ''), email) AS name FROM accounts "
        "WHERE account_id = ANY(%s)",
        (list(account_ids),),
    )
    return {row["account_id"]: shown_email(row["name"]) for row in rows}
