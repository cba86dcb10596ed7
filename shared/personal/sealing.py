"""Sealing one value under a customer's data key (AES-256-GCM), pure: no I/O, no keyring.

A sealed text is a string `pii1:<customer id>:<base64url(nonce + ciphertext + tag)>`, so any
reader finds whose key opens it without knowing where the text came from; a sealed file is the
bytes `PII1` NUL, the customer id's length (one byte) and id, then nonce, ciphertext and tag.
The customer id is the associated data: a sealed value copied under another customer's id does
not open."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TEXT_PREFIX = "pii1:"
FILE_MAGIC = b"PII1\x00"
KEY_BYTES = 32
_NONCE_BYTES = 12  # GCM's own nonce size; random per value (2^32 values per key stay safe)
# What a reader sees where a forgotten customer's text was (docs/rules.md, "Forgetting").
FORGOTTEN = "forgotten customer"


class SealError(ValueError):
    """A value looks sealed but is not one this key opens (damaged or moved)."""


def new_data_key() -> bytes:
    """A fresh random data key for one customer."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def is_sealed(value: str) -> bool:
    """Whether `value` is a sealed text."""
    return value.startswith(TEXT_PREFIX)


def sealed_owner(value: str) -> str:
    """The customer whose key opens the sealed text `value`."""
    owner, separator, _ = value[len(TEXT_PREFIX) :].rpartition(":")
    if not is_sealed(value) or not separator or not owner:
        raise SealError("not a sealed text")
    return owner


def seal_text(key: bytes, customer_id: str, text: str) -> str:
    """`text` sealed under `customer_id`'s key (the empty text stays empty: it holds nothing)."""
    if not text or is_sealed(text):
        return text
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, text.encode(), customer_id.encode())
    encoded = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{TEXT_PREFIX}{customer_id}:{encoded}"


def open_text(key: bytes, value: str) -> str:
    """The plain text of the sealed `value` under `key`."""
    owner = sealed_owner(value)
    encoded = value.rpartition(":")[2]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], owner.encode())
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise SealError("the sealed text does not open with its owner's key") from exc
    return plain.decode()


def is_sealed_file(content: bytes) -> bool:
    """Whether `content` is a sealed file."""
    return content.startswith(FILE_MAGIC)


def sealed_file_owner(content: bytes) -> str:
    """The customer whose key opens the sealed file `content`."""
    if not is_sealed_file(content) or len(content) < len(FILE_MAGIC) + 1:
        raise SealError("not a sealed file")
    length = content[len(FILE_MAGIC)]
    start = len(FILE_MAGIC) + 1
    return content[start : start + length].decode()


def seal_file(key: bytes, customer_id: str, content: bytes) -> bytes:
    """`content` sealed under `customer_id`'s key (a sealed file is returned as it is)."""
    if is_sealed_file(content):
        return content
    owner = customer_id.encode()
    if len(owner) > 255:
        raise ValueError("a customer id of more than 255 bytes")
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, content, owner)
    return FILE_MAGIC + bytes([len(owner)]) + owner + nonce + sealed


def open_file(key: bytes, content: bytes) -> bytes:
    """The plain bytes of the sealed file `content` under `key`."""
    owner = sealed_file_owner(content)
    start = len(FILE_MAGIC) + 1 + len(owner.encode())
    nonce, sealed = content[start : start + _NONCE_BYTES], content[start + _NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, owner.encode())
    except InvalidTag as exc:
        raise SealError("the sealed file does not open with its owner's key") from exc
