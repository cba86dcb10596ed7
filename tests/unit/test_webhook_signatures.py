"""A bank webhook is authenticated by its HMAC signature and timestamp before anything is
recorded (R11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.web.identity import UnauthorizedError
from shared.web.webhooks import HmacWebhookVerifier, WebhookSignatureError, sign

CURRENT = "whsec-current"
PREVIOUS = "whsec-previous"
NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
SENT_AT = int(NOW.timestamp())
BODY = b'{"transfer_id":"tr-1","amount":"19.33","currency":"EUR"}'
VERIFIER = HmacWebhookVerifier(secrets=(CURRENT, PREVIOUS))


def _verify(
    timestamp: str | None,
    signature: str | None,
    body: bytes = BODY,
    now: datetime = NOW,
) -> None:
    VERIFIER.verify(timestamp, signature, body, now)


ATTACKER = "whsec-attacker"
GOOD = sign(PREVIOUS, SENT_AT, BODY)
ACCEPTED = {
    "correctly-signed": (SENT_AT, sign(CURRENT, SENT_AT, BODY)),
    "previous-secret-during-rotation": (SENT_AT, GOOD),
    "timestamp-300s-old": (SENT_AT - 300, sign(CURRENT, SENT_AT - 300, BODY)),
    "timestamp-300s-in-the-future": (SENT_AT + 300, sign(CURRENT, SENT_AT + 300, BODY)),
    "v1-list-any-entry-matches": (SENT_AT, f"v1={sign(ATTACKER, SENT_AT, BODY)}, v1={GOOD}"),
    "v1-list-of-one": (SENT_AT, f"v1={GOOD}"),
    "v1-list-unknown-scheme-ignored": (SENT_AT, f"v0={sign(ATTACKER, SENT_AT, BODY)},v1={GOOD}"),
}
NOT_MATCHING = {
    "one-changed-byte-of-the-body": (SENT_AT, sign(CURRENT, SENT_AT, BODY), b"19.34"),
    "signed-with-another-secret": (SENT_AT, sign(ATTACKER, SENT_AT, BODY), b"19.33"),
    "timestamp-is-part-of-what-is-signed": (SENT_AT - 1, sign(CURRENT, SENT_AT, BODY), b"19.33"),
    "v1-list-with-no-entry-matching": (
        SENT_AT,
        f"v1={sign(ATTACKER, SENT_AT, BODY)},v1={sign(CURRENT, SENT_AT - 1, BODY)}",
        b"19.33",
    ),
}


@pytest.mark.rule("R11")
@pytest.mark.parametrize(("timestamp", "signature"), ACCEPTED.values(), ids=list(ACCEPTED))
def test_a_signed_body_within_the_tolerance_verifies(timestamp: int, signature: str) -> None:
    _verify(str(timestamp), signature)


@pytest.mark.rule("R11")
@pytest.mark.parametrize(
    ("timestamp", "signature", "amount"), NOT_MATCHING.values(), ids=list(NOT_MATCHING)
)
def test_a_signature_that_does_not_match_is_refused(
    timestamp: int, signature: str, amount: bytes
) -> None:
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verify(str(timestamp), signature, BODY.replace(b"19.33", amount))


@pytest.mark.rule("R11")
@pytest.mark.parametrize("offset_s", [-301, 301], ids=["301s-old", "301s-in-the-future"])
def test_a_timestamp_beyond_the_tolerance_is_refused(offset_s: int) -> None:
    timestamp = SENT_AT + offset_s
    with pytest.raises(WebhookSignatureError, match="300 s"):
        _verify(str(timestamp), sign(CURRENT, timestamp, BODY))


@pytest.mark.rule("R11")
@pytest.mark.parametrize(
    ("timestamp", "signature", "missing"),
    [
        (None, "sig", "X-Bank-Timestamp"),
        ("", "sig", "X-Bank-Timestamp"),
        (str(SENT_AT), None, "X-Bank-Signature"),
        (str(SENT_AT), "  ", "X-Bank-Signature"),
    ],
)
def test_missing_headers_are_refused(
    timestamp: str | None, signature: str | None, missing: str
) -> None:
    if signature == "sig":
        signature = sign(CURRENT, SENT_AT, BODY)
    with pytest.raises(WebhookSignatureError, match=f"missing {missing}"):
        _verify(timestamp, signature)


@pytest.mark.rule("R11")
@pytest.mark.parametrize("timestamp", ["yesterday", "-1", "1.5", "1e9", "99999999999999999999"])
def test_a_malformed_timestamp_header_is_refused(timestamp: str) -> None:
    with pytest.raises(WebhookSignatureError, match="malformed X-Bank-Timestamp"):
        _verify(timestamp, sign(CURRENT, SENT_AT, BODY))


@pytest.mark.rule("R11")
@pytest.mark.parametrize(
    "signature",
    [
        "not-hex",
        "ab" * 31,  # too short
        "AB" * 32,  # upper case
        "v1=",
        "v1=zz",
        "=" + "ab" * 32,
        "v1=" + "ab" * 32 + ",garbage",
        "v0=" + "ab" * 32,  # no v1 entry
        ",",
    ],
)
def test_a_malformed_signature_header_is_refused(signature: str) -> None:
    with pytest.raises(WebhookSignatureError, match="malformed X-Bank-Signature"):
        _verify(str(SENT_AT), signature)


def test_a_signature_error_is_an_unauthorized_error() -> None:
    assert issubclass(WebhookSignatureError, UnauthorizedError)
    assert WebhookSignatureError.code == "invalid_signature"


def test_the_signature_is_lowercase_hex_sha256() -> None:
    signature = sign(CURRENT, SENT_AT, BODY)
    assert len(signature) == 64
    assert signature == signature.lower()


@pytest.mark.parametrize("secrets", [(), ("a", "b", "c"), ("",)], ids=["none", "three", "empty"])
def test_the_verifier_takes_one_or_two_non_empty_secrets(secrets: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        HmacWebhookVerifier(secrets=secrets)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        _verify(str(SENT_AT), sign(CURRENT, SENT_AT, BODY), now=NOW.replace(tzinfo=None))


def test_the_tolerance_is_configurable() -> None:
    verifier = HmacWebhookVerifier(secrets=(CURRENT,), tolerance_s=60)
    late = NOW + timedelta(seconds=61)
    with pytest.raises(WebhookSignatureError):
        verifier.verify(str(SENT_AT), sign(CURRENT, SENT_AT, BODY), BODY, late)
