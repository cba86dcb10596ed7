"""Authentication of a bank's webhook (rule R11), done on raw values BEFORE anything is stored.

The bank signs `f"{timestamp}.".encode() + raw_body` with HMAC-SHA256 and sends two headers:
`X-Bank-Timestamp` (unix seconds) and `X-Bank-Signature`, either one bare lowercase hex digest
or comma-separated `scheme=<hex>` entries (`v1=<hex>,v1=<hex>`; other schemes are ignored).
Two secrets may be valid at once while a secret is rotated (current and previous). A notice
whose timestamp is further than the tolerance from now, in either direction, is refused, so a
captured notice cannot be replayed later. Nothing here touches Flask's request object."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.web.identity import UnauthorizedError

TIMESTAMP_HEADER = "X-Bank-Timestamp"
SIGNATURE_HEADER = "X-Bank-Signature"
SIGNATURE_SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300
MAX_SECRETS = 2  # the current secret and, while rotating, the previous one

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class WebhookSignatureError(UnauthorizedError):
    """The webhook is not proven to come from the bank: nothing of it may be recorded."""

    code = "invalid_signature"


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The lowercase hex HMAC-SHA256 the bank sends for `raw_body` sent at `timestamp`."""
    message = f"{timestamp}.".encode() + raw_body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class HmacWebhookVerifier:
    """Checks a webhook's timestamp and signature against the current (and previous) secret."""

    secrets: tuple[str, ...]
    tolerance_s: int = DEFAULT_TOLERANCE_S

    def __post_init__(self) -> None:
        if not 1 <= len(self.secrets) <= MAX_SECRETS:
            raise ValueError(f"a webhook verifier takes 1 to {MAX_SECRETS} secrets")
        if any(not secret for secret in self.secrets):
            raise ValueError("a webhook secret must not be empty")
        if self.tolerance_s < 0:
            raise ValueError("the webhook tolerance must not be negative")

    def verify(
        self,
        timestamp_header: str | None,
        signature_header: str | None,
        raw_body: bytes,
        now: datetime,
    ) -> None:
        """Return if the webhook is authentic and recent, else raise WebhookSignatureError."""
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        timestamp = _parse_timestamp(timestamp_header)
        candidates = _parse_signatures(signature_header)
        skew = (now - _EPOCH) - timedelta(seconds=timestamp)
        if abs(skew) > timedelta(seconds=self.tolerance_s):
            raise WebhookSignatureError(
                f"webhook timestamp {timestamp} is more than {self.tolerance_s} s "
                f"from the current time"
            )
        expected = [sign(secret, timestamp, raw_body).encode() for secret in self.secrets]
        if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
            raise WebhookSignatureError("webhook signature does not match")


def _parse_timestamp(header: str | None) -> int:
    if header is None or not header.strip():
        raise WebhookSignatureError(f"missing {TIMESTAMP_HEADER} header")
    value = header.strip()
    if not _TIMESTAMP.fullmatch(value):
        raise WebhookSignatureError(f"malformed {TIMESTAMP_HEADER} header: expected unix seconds")
    return int(value)


def _parse_signatures(header: str | None) -> list[bytes]:
    if header is None or not header.strip():
        raise WebhookSignatureError(f"missing {SIGNATURE_HEADER} header")
    value = header.strip()
    if "=" not in value and "," not in value:
        return [_hex_digest(value)]
    candidates: list[bytes] = []
    for entry in value.split(","):
        scheme, sep, digest = entry.strip().partition("=")
        if not sep or not scheme:
            raise WebhookSignatureError(
                f"malformed {SIGNATURE_HEADER} header: expected {SIGNATURE_SCHEME}=<hex> entries"
            )
        if scheme == SIGNATURE_SCHEME:
            candidates.append(_hex_digest(digest))
    if not candidates:
        raise WebhookSignatureError(
            f"malformed {SIGNATURE_HEADER} header: no {SIGNATURE_SCHEME} signature"
        )
    return candidates


def _hex_digest(value: str) -> bytes:
    if not _HEX_DIGEST.fullmatch(value):
        raise WebhookSignatureError(
            f"malformed {SIGNATURE_HEADER} header: expected a lowercase hex SHA-256 digest"
        )
    return value.encode()
