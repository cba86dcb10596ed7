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


@pytest.mark.rule("R11")
def test_a_correctly_signed_body_verifies() -> None:
    _verify(str(SENT_AT), sign(CURRENT, SENT_AT, BODY))


@pytest.mark.rule("R11")
def test_one_changed_byte_of_the_body_is_refused() -> None:
    signature = sign(CURRENT, SENT_AT, BODY)
    tampered = BODY.replace(b"19.33", b"19.34")
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verify(str(SENT_AT), signature, tampered)


@pytest.mark.rule("R11")
def test_a_signature_made_with_another_secret_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verify(str(SENT_AT), sign("whsec-attacker", SENT_AT, BODY))


@pytest.mark.rule("R11")
def test_the_previous_secret_is_accepted_during_rotation() -> None:
    _verify(str(SENT_AT), sign(PREVIOUS, SENT_AT, BODY))


@pytest.mark.rule("R11")
def test_the_timestamp_is_part_of_what_is_signed() -> None:
    signature = sign(CURRENT, SENT_AT, BODY)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verify(str(SENT_AT - 1), signature)


@pytest.mark.rule("R11")
@pytest.mark.parametrize("offset_s", [-301, 301], ids=["301s-old", "301s-in-the-future"])
def test_a_timestamp_beyond_the_tolerance_is_refused(offset_s: int) -> None:
    timestamp = SENT_AT + offset_s
    with pytest.raises(WebhookSignatureError, match="300 s"):
        _verify(str(timestamp), sign(CURRENT, timestamp, BODY))


@pytest.mark.rule("R11")
@pytest.mark.parametrize("offset_s", [-300, 300])
def test_a_timestamp_at_the_edge_of_the_tolerance_is_accepted(offset_s: int) -> None:
    timestamp = SENT_AT + offset_s
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


@pytest.mark.rule("R11")
def test_the_v1_list_form_is_accepted_when_any_entry_matches() -> None:
    good = sign(PREVIOUS, SENT_AT, BODY)
    bad = sign("whsec-attacker", SENT_AT, BODY)
    _verify(str(SENT_AT), f"v1={bad}, v1={good}")
    _verify(str(SENT_AT), f"v1={good}")
    _verify(str(SENT_AT), f"v0={bad},v1={good}")  # unknown schemes are ignored


@pytest.mark.rule("R11")
def test_the_v1_list_form_is_refused_when_no_entry_matches() -> None:
    bad = sign("whsec-attacker", SENT_AT, BODY)
    stale = sign(CURRENT, SENT_AT - 1, BODY)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verify(str(SENT_AT), f"v1={bad},v1={stale}")


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
