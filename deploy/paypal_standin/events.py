"""The stand-in's webhook deliveries: its signing key and certificate, bodies shaped as PayPal
sends them, and the signature PayPal puts in the headers (RSA PKCS#1 v1.5 over SHA-256 of
`transmission_id|transmission_time|webhook_id|crc32(body)`)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509.oid import NameOID

from shared.money import MINOR_UNITS, Money


def new_key() -> rsa.RSAPrivateKey:
    """A fresh RSA 2048 signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def shared_key() -> rsa.RSAPrivateKey:
    """One RSA 2048 key per process (generating one takes a good part of a second)."""
    return new_key()


def self_signed(key: rsa.RSAPrivateKey) -> bytes:
    """A self-signed RSA certificate (PEM) for `key`, valid from yesterday for 30 days."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paypal-standin-webhook-signing")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_name(key: rsa.RSAPrivateKey) -> str:
    """The certificate's file name, after its key: billing caches certificates by URL, so a
    restarted stand-in (a new key) must not serve its certificate at the old URL."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16] + ".pem"


def sign(
    key: rsa.RSAPrivateKey,
    event: dict[str, Any],
    webhook_id: str,
    cert_url: str,
    transmission_time: datetime | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a delivery of `event`, signed as PayPal signs it."""
    raw_body = json.dumps(event, separators=(",", ":")).encode()
    transmission_id = str(uuid.uuid4())
    sent = (transmission_time or datetime.now(UTC)).astimezone(UTC)
    sent_text = sent.strftime("%Y-%m-%dT%H:%M:%SZ")
    message = f"{transmission_id}|{sent_text}|{webhook_id}|{zlib.crc32(raw_body)}"
    signature = key.sign(message.encode(), PKCS1v15(), SHA256())
    headers = {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": sent_text,
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
        "PAYPAL-CERT-URL": cert_url,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "PAYPAL-AUTH-VERSION": "v2",
    }
    return headers, raw_body


def new_id() -> str:
    """A PayPal-style id (17 upper-case hex characters)."""
    return secrets.token_hex(9).upper()[:17]


def paypal_amount(amount: Money) -> dict[str, str]:
    """`amount` as PayPal writes it ({currency_code, value} with the currency's digits)."""
    digits = MINOR_UNITS[amount.currency]
    return {"currency_code": amount.currency, "value": f"{amount.amount:.{digits}f}"}


def _link(path: str, rel: str) -> dict[str, str]:
    return {"href": f"https://api.paypal.com/{path}", "rel": rel, "method": "GET"}


def _event(event_type: str, resource_type: str, resource: dict[str, Any]) -> dict[str, Any]:
    event_id = "WH-" + secrets.token_hex(8).upper()
    return {
        "id": event_id,
        "event_version": "1.0",
        "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "resource_type": resource_type,
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": f"{event_type} for {resource['amount']['value']}",
        "resource": resource,
        "links": [_link(f"v1/notifications/webhooks-events/{event_id}", "self")],
    }


def capture_resource(
    status: str, order_id: str, billing_id: str, amount: Money, capture_id: str
) -> dict[str, Any]:
    """A capture as PayPal describes it (in a capture answer and in a webhook)."""
    resource: dict[str, Any] = {
        "id": capture_id,
        "status": status,
        "amount": paypal_amount(amount),
        "final_capture": True,
        "custom_id": billing_id,
        "supplementary_data": {"related_ids": {"order_id": order_id}},
        "links": [
            _link(f"v2/payments/captures/{capture_id}", "self"),
            _link(f"v2/checkout/orders/{order_id}", "up"),
        ],
    }
    if status == "PENDING":
        resource["status_details"] = {"reason": "PENDING_REVIEW"}
    return resource


def capture_event(
    event_type: str,
    status: str,
    order_id: str,
    billing_id: str,
    amount: Money,
    capture_id: str | None = None,
) -> dict[str, Any]:
    """A PAYMENT.CAPTURE.* event whose resource is the capture of `order_id`."""
    resource = capture_resource(status, order_id, billing_id, amount, capture_id or new_id())
    return _event(event_type, "capture", resource)


# Each takes (order_id, billing_id, amount, capture_id=None), as capture_event after its first two.
# PAYMENT.CAPTURE.COMPLETED: the money is ours.
capture_completed_event = functools.partial(capture_event, "PAYMENT.CAPTURE.COMPLETED", "COMPLETED")
# PAYMENT.CAPTURE.PENDING: PayPal holds the capture (e.g. under review).
capture_pending_event = functools.partial(capture_event, "PAYMENT.CAPTURE.PENDING", "PENDING")
# PAYMENT.CAPTURE.DENIED: the capture was declined (its status is DECLINED).
capture_denied_event = functools.partial(capture_event, "PAYMENT.CAPTURE.DENIED", "DECLINED")


def capture_refunded_event(
    capture_id: str, billing_id: str | None, amount: Money, refund_id: str | None = None
) -> dict[str, Any]:
    """PAYMENT.CAPTURE.REFUNDED: its resource is the refund, linked "up" to the capture."""
    refund_id = refund_id or new_id()
    resource: dict[str, Any] = {
        "id": refund_id,
        "status": "COMPLETED",
        "amount": paypal_amount(amount),
        "links": [
            _link(f"v2/payments/refunds/{refund_id}", "self"),
            _link(f"v2/payments/captures/{capture_id}", "up"),
        ],
    }
    if billing_id is not None:
        resource["custom_id"] = billing_id
    return _event("PAYMENT.CAPTURE.REFUNDED", "refund", resource)
