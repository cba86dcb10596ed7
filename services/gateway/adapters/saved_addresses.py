"""The delivery addresses each account keeps, in the gateway's database (R26). Every query is
keyed by the account as well as the address: another account's address is not found."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.gateway.domain.addresses import (
    ADDRESS_FIELDS,
    MAX_SAVED_ADDRESSES,
    SavedAddress,
    too_many_addresses,
)
from shared.events.store import EventStore, Transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_addresses (
    address_id  text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts,
    name        text NOT NULL,
    line1       text NOT NULL,
    line2       text NOT NULL,
    city        text NOT NULL,
    postal_code text NOT NULL,
    country     text NOT NULL,
    phone       text NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS saved_addresses_account ON saved_addresses (account_id, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS saved_addresses_one_default
    ON saved_addresses (account_id) WHERE is_default;
"""
_COLUMNS = ", ".join(("address_id", *ADDRESS_FIELDS, "is_default"))


def _address(row: Mapping[str, Any]) -> SavedAddress:
    return SavedAddress(
        address_id=row["address_id"],
        name=row["name"],
        line1=row["line1"],
        line2=row["line2"],
        city=row["city"],
        postal_code=row["postal_code"],
        country=row["country"],
        phone=row["phone"],
        is_default=bool(row["is_default"]),
    )


class SavedAddresses:
    """An account's address book."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def of(self, account_id: str) -> list[SavedAddress]:
        """The account's addresses: the default first, then in the order they were saved."""
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM saved_addresses WHERE account_id = %s "
            "ORDER BY is_default DESC, created_at, address_id",
            (account_id,),
        )
        return [_address(row) for row in rows]

    def get(self, account_id: str, address_id: str) -> SavedAddress | None:
        """The account's address `address_id` (None: not one of theirs)."""
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM saved_addresses WHERE account_id = %s AND address_id = %s",
            (account_id, address_id),
        )
        return _address(rows[0]) if rows else None

    def add(self, account_id: str, fields: Mapping[str, str], now: datetime) -> SavedAddress:
        """Keep a checked address (the first one kept is the default); refused past the cap."""
        address_id = f"adr-{uuid.uuid4().hex[:16]}"

        def work(tx: Transaction) -> None:
            # The account's row serialises its additions, so two at once cannot pass the cap.
            tx.conn.execute(
                "SELECT 1 FROM accounts WHERE account_id = %s FOR UPDATE", (account_id,)
            )
            row = tx.conn.execute(
                "SELECT count(*) AS n FROM saved_addresses WHERE account_id = %s", (account_id,)
            ).fetchone()
            kept = int(row["n"]) if row is not None else 0
            if kept >= MAX_SAVED_ADDRESSES:
                raise too_many_addresses()
            tx.conn.execute(
                f"INSERT INTO saved_addresses (address_id, account_id, "
                f"{', '.join(ADDRESS_FIELDS)}, is_default, created_at) "
                f"VALUES (%s, %s, {', '.join(['%s'] * len(ADDRESS_FIELDS))}, %s, %s)",
                (address_id, account_id, *(fields[n] for n in ADDRESS_FIELDS), kept == 0, now),
            )

        self.store.transact(work)
        saved = self.get(account_id, address_id)
        assert saved is not None  # just inserted, and addresses are only deleted by their owner
        return saved

    def update(self, account_id: str, address_id: str, fields: Mapping[str, str]) -> bool:
        """Change the account's address `address_id` (False: not one of theirs)."""
        assignments = ", ".join(f"{name} = %s" for name in ADDRESS_FIELDS)
        rows = self.store.query(
            f"UPDATE saved_addresses SET {assignments} WHERE account_id = %s AND address_id = %s "
            "RETURNING address_id",
            (*(fields[n] for n in ADDRESS_FIELDS), account_id, address_id),
        )
        return bool(rows)

    def delete(self, account_id: str, address_id: str) -> bool:
        """Forget the account's address `address_id` (False: not one of theirs)."""
        rows = self.store.query(
            "DELETE FROM saved_addresses WHERE account_id = %s AND address_id = %s "
            "RETURNING address_id",
            (account_id, address_id),
        )
        return bool(rows)

    def make_default(self, account_id: str, address_id: str) -> bool:
        """Make `address_id` the account's default (False: not one of theirs)."""

        def work(tx: Transaction) -> bool:
            found = tx.conn.execute(
                "SELECT 1 FROM saved_addresses WHERE account_id = %s AND address_id = %s "
                "FOR UPDATE",
                (account_id, address_id),
            ).fetchone()
            if found is None:
                return False
            # One default per account (a unique index): the old one steps down first.
            tx.conn.execute(
                "UPDATE saved_addresses SET is_default = false "
                "WHERE account_id = %s AND is_default AND address_id <> %s",
                (account_id, address_id),
            )
            tx.conn.execute(
                "UPDATE saved_addresses SET is_default = true "
                "WHERE account_id = %s AND address_id = %s",
                (account_id, address_id),
            )
            return True

        return bool(self.store.transact(work))

    def find(self, account_id: str, fields: Mapping[str, str]) -> SavedAddress | None:
        """The account's address with exactly these fields, if it keeps one."""
        return next((a for a in self.of(account_id) if a.fields() == dict(fields)), None)
