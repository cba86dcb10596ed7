"""Where the customers' data keys are kept: the port, and its memory adapter for unit tests.

A key is made the first time anything of the customer is sealed, and destroyed when the
customer is forgotten; a forgotten customer keeps a row without a key, so no later seal makes
them a new one (their data would be readable again)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Protocol

from shared.domain_errors import CustomerForgottenError
from shared.personal.sealing import new_data_key


class Keyring(Protocol):
    """The customers' data keys."""

    def key_to_seal(self, customer_id: str) -> bytes:
        """The customer's key, made now if they have none (CustomerForgottenError if forgotten)."""
        ...

    def keys_to_open(self, customer_ids: Iterable[str]) -> Mapping[str, bytes | None]:
        """Each customer's key, None for one forgotten (or who never had a key)."""
        ...

    def forget(self, customer_id: str) -> bool:
        """Destroy the customer's key for good; False if it was already destroyed."""
        ...

    def drop_cached(self, customer_id: str) -> None:
        """Forget any copy of the customer's key this process holds."""
        ...


class MemoryKeyring:
    """Keys in a dict: for unit tests and memory contexts."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def key_to_seal(self, customer_id: str) -> bytes:
        """The customer's key, made now if they have none."""
        with self._lock:
            key = self._keys.setdefault(customer_id, new_data_key())
        if key is None:
            raise CustomerForgottenError("this customer was forgotten")
        return key

    def keys_to_open(self, customer_ids: Iterable[str]) -> Mapping[str, bytes | None]:
        """Each customer's key, None for one forgotten."""
        with self._lock:
            return {customer_id: self._keys.get(customer_id) for customer_id in customer_ids}

    def forget(self, customer_id: str) -> bool:
        """Destroy the customer's key."""
        with self._lock:
            had = self._keys.get(customer_id, b"") is not None
            self._keys[customer_id] = None
        return had

    def drop_cached(self, customer_id: str) -> None:
        """Nothing is cached apart from the keys themselves."""
