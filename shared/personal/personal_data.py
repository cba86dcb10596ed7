"""What the services call: seal a customer's text or file, and reveal what was sealed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, TypeVar

from shared.observability.metrics import PERSONAL_DATA_SECONDS, PERSONAL_DATA_VALUES
from shared.personal import sealing
from shared.personal.keyring import Keyring
from shared.personal.sealing import FORGOTTEN

T = TypeVar("T")


class PersonalData:
    """Sealing and revealing over one keyring; the time the ciphers take is counted
    (`cnnect_personal_data_seconds_total`, which `make bench-system` reports per lifecycle)."""

    def __init__(self, keyring: Keyring, service: str = "") -> None:
        self.keyring = keyring
        self._seconds = {op: PERSONAL_DATA_SECONDS.labels(service, op) for op in _OPERATIONS}
        self._values = {op: PERSONAL_DATA_VALUES.labels(service, op) for op in _OPERATIONS}

    def seal(self, customer_id: str, text: str) -> str:
        """`text` sealed under the customer's key (CustomerForgottenError if forgotten)."""
        if not text or sealing.is_sealed(text):
            return text
        key = self.keyring.key_to_seal(customer_id)
        started = time.perf_counter()
        sealed = sealing.seal_text(key, customer_id, text)
        self._count("seal", started)
        return sealed

    def seal_file(self, customer_id: str, content: bytes) -> bytes:
        """`content` sealed under the customer's key."""
        if sealing.is_sealed_file(content):
            return content
        key = self.keyring.key_to_seal(customer_id)
        started = time.perf_counter()
        sealed = sealing.seal_file(key, customer_id, content)
        self._count("seal_file", started)
        return sealed

    def open_file(self, content: bytes) -> bytes | None:
        """The plain bytes of a (sealed) file; None if its customer was forgotten. A file from
        before sealing is returned as it was stored."""
        if not sealing.is_sealed_file(content):
            return content
        owner = sealing.sealed_file_owner(content)
        key = self.keyring.keys_to_open([owner]).get(owner)
        if key is None:
            return None
        started = time.perf_counter()
        opened = sealing.open_file(key, content)
        self._count("open_file", started)
        return opened

    def reveal(self, value: T) -> T:
        """`value` (JSON-ready: dicts, lists, strings) with every sealed text opened, and
        "forgotten customer" where the key is destroyed. One keyring read for all owners."""
        owners = {sealing.sealed_owner(text) for text in _sealed_texts(value)}
        if not owners:
            return value
        keys = self.keyring.keys_to_open(owners)
        started = time.perf_counter()
        revealed: T = _opened(value, keys)
        self._count("reveal", started)
        return revealed

    def reveal_text(self, text: str) -> str:
        """One text opened (or "forgotten customer")."""
        return self.reveal(text)

    def is_readable(self, customer_id: str) -> bool:
        """Whether the customer's data still opens (False once forgotten)."""
        return self.keyring.keys_to_open([customer_id]).get(customer_id) is not None

    def forget(self, customer_id: str) -> bool:
        """Destroy the customer's key; False if it was already destroyed."""
        return self.keyring.forget(customer_id)

    def drop_cached(self, customer_id: str) -> None:
        """Forget this process's copy of the customer's key (on `CustomerForgotten`)."""
        self.keyring.drop_cached(customer_id)

    def _count(self, operation: str, started: float) -> None:
        self._seconds[operation].inc(time.perf_counter() - started)
        self._values[operation].inc()


_OPERATIONS = ("seal", "seal_file", "open_file", "reveal")


def _sealed_texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if sealing.is_sealed(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _sealed_texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _sealed_texts(item)


def _opened(value: Any, keys: dict[str, bytes | None] | Any) -> Any:
    if isinstance(value, str):
        if not sealing.is_sealed(value):
            return value
        key = keys.get(sealing.sealed_owner(value))
        # A text that does not open with its owner's live key is damaged: SealError, not
        # "forgotten", so the damage is seen.
        return FORGOTTEN if key is None else sealing.open_text(key, value)
    if isinstance(value, dict):
        return {name: _opened(item, keys) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_opened(item, keys) for item in value)
    return value
