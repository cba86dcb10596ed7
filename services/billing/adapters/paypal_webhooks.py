"""PayPal webhooks: signature self-verification (R11) and the capture notices we act on.

PayPal signs `transmission_id|transmission_time|webhook_id|crc32(raw body)` with RSA PKCS#1 v1.5
over SHA-256; the public key is in the X.509 certificate at PAYPAL-CERT-URL. We verify it
ourselves (no call back to PayPal), download certificates only from PayPal's hosts over https,
and keep them in a small cache by URL."""

from __future__ import annotations

import base64
import binascii
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256

from services.billing.adapters.paypal import (
    PayPalProtocolError,
    PayPalUnavailableError,
    WebhookVerificationError,
    from_paypal_amount,
    link_href,
    text_field,
)
from shared.money import Money

# Where PayPal serves its webhook-signing certificates (production and sandbox).
PAYPAL_CERT_HOSTS = frozenset(
    {"api.paypal.com", "api.sandbox.paypal.com", "api-m.paypal.com", "api-m.sandbox.paypal.com"}
)
MAX_CLOCK_SKEW = timedelta(minutes=5)
CERT_CACHE_SIZE = 16
CERT_FETCH_TIMEOUT_S = 10.0
MAX_CERT_BYTES = 64 * 1024
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_REQUIRED_HEADERS = (
    "paypal-transmission-id",
    "paypal-transmission-time",
    "paypal-transmission-sig",
    "paypal-cert-url",
    "paypal-auth-algo",
)

# Capture webhooks we act on; the capture resource's status for each is in CaptureNotice.
CAPTURE_EVENT_TYPES = frozenset(
    {
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.PENDING",
        "PAYMENT.CAPTURE.DENIED",
        "PAYMENT.CAPTURE.REFUNDED",
    }
)


@dataclass(frozen=True)
class _Certificate:
    key: RSAPublicKey
    not_before: datetime
    not_after: datetime


def fetch_certificate(url: str) -> bytes:
    """Download a certificate (PEM), without following redirects, at most MAX_CERT_BYTES."""
    try:
        with requests.get(
            url, timeout=CERT_FETCH_TIMEOUT_S, allow_redirects=False, stream=True
        ) as response:
            if response.status_code >= 500 or response.status_code == 429:
                raise PayPalUnavailableError(
                    f"certificate download answered {response.status_code}",
                    status=response.status_code,
                )
            if response.status_code != 200:
                raise WebhookVerificationError(
                    f"certificate download answered {response.status_code}"
                )
            data = response.raw.read(MAX_CERT_BYTES + 1, decode_content=True)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise PayPalUnavailableError(f"certificate download failed: {exc}") from exc
    if not isinstance(data, bytes) or len(data) > MAX_CERT_BYTES:
        raise WebhookVerificationError("certificate download is not a certificate")
    return data


class PayPalWebhookVerifier:
    """Checks that a webhook delivery was signed by PayPal for our webhook, recently."""

    def __init__(
        self,
        webhook_id: str,
        cert_hosts: frozenset[str],
        fetch_cert: Callable[[str], bytes] | None = None,
        allow_insecure_local_certs: bool = False,
    ) -> None:
        if not webhook_id:
            raise ValueError("webhook_id is required")
        self._webhook_id = webhook_id
        self._cert_hosts = frozenset(host.lower() for host in cert_hosts)
        self._fetch_cert = fetch_cert or fetch_certificate
        self._allow_insecure_local = allow_insecure_local_certs
        self._certs: OrderedDict[str, _Certificate] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], raw_body: bytes, now: datetime) -> None:
        """Pass if authentic; else WebhookVerificationError (or PayPalUnavailableError: no cert)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        found = {name.lower(): value for name, value in headers.items()}
        missing = [name for name in _REQUIRED_HEADERS if not found.get(name)]
        if missing:
            raise WebhookVerificationError(f"missing header(s): {', '.join(missing)}")
        if found["paypal-auth-algo"].lower() != "sha256withrsa":
            raise WebhookVerificationError(
                f"unsupported auth algorithm {found['paypal-auth-algo']!r}"
            )
        transmission_id = found["paypal-transmission-id"]
        transmission_time = found["paypal-transmission-time"]
        self._check_time(transmission_time, now)
        cert_url = found["paypal-cert-url"]
        self._check_cert_url(cert_url)
        try:
            signature = base64.b64decode(found["paypal-transmission-sig"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WebhookVerificationError("signature is not valid base64") from exc
        certificate = self._certificate(cert_url)
        if not certificate.not_before <= now <= certificate.not_after:
            raise WebhookVerificationError("signing certificate is not valid now")
        crc = zlib.crc32(raw_body) & 0xFFFFFFFF
        message = f"{transmission_id}|{transmission_time}|{self._webhook_id}|{crc}"
        try:
            certificate.key.verify(signature, message.encode(), PKCS1v15(), SHA256())
        except InvalidSignature as exc:
            raise WebhookVerificationError(
                "signature does not match the body, transmission and webhook id"
            ) from exc

    def _check_time(self, transmission_time: str, now: datetime) -> None:
        try:
            sent = datetime.fromisoformat(transmission_time)
        except ValueError as exc:
            raise WebhookVerificationError(
                f"transmission time {transmission_time!r} unreadable"
            ) from exc
        if sent.tzinfo is None:
            raise WebhookVerificationError("transmission time has no timezone")
        if abs(now - sent) > MAX_CLOCK_SKEW:
            raise WebhookVerificationError(
                f"transmission time {transmission_time} is more than {MAX_CLOCK_SKEW} away from now"
            )

    def _check_cert_url(self, cert_url: str) -> None:
        try:
            parts = urlsplit(cert_url)
            host, port = (parts.hostname or "").lower(), parts.port
        except ValueError as exc:
            raise WebhookVerificationError("certificate URL unreadable") from exc
        if parts.username is not None or parts.password is not None:
            raise WebhookVerificationError("certificate URL carries credentials")
        if host not in self._cert_hosts:
            raise WebhookVerificationError(f"certificate host {host!r} is not PayPal's")
        insecure_ok = self._allow_insecure_local and host in _LOOPBACK
        if parts.scheme == "https":
            if port not in (None, 443) and not insecure_ok:
                raise WebhookVerificationError(f"certificate URL on unexpected port {port}")
        elif not (parts.scheme == "http" and insecure_ok):
            raise WebhookVerificationError("certificate URL is not https")

    def _certificate(self, cert_url: str) -> _Certificate:
        with self._lock:
            cached = self._certs.get(cert_url)
            if cached is not None:
                self._certs.move_to_end(cert_url)
                return cached
        certificate = _load_certificate(self._fetch_cert(cert_url))
        with self._lock:
            self._certs[cert_url] = certificate
            self._certs.move_to_end(cert_url)
            while len(self._certs) > CERT_CACHE_SIZE:
                self._certs.popitem(last=False)
        return certificate


def _load_certificate(pem: bytes) -> _Certificate:
    """The leaf (first) certificate of a PEM bundle, which must carry an RSA key."""
    try:
        leaf = x509.load_pem_x509_certificates(pem)[0]
    except (ValueError, IndexError) as exc:
        raise WebhookVerificationError("certificate unreadable") from exc
    key = leaf.public_key()
    if not isinstance(key, RSAPublicKey):
        raise WebhookVerificationError("certificate key is not RSA")
    return _Certificate(key, leaf.not_valid_before_utc, leaf.not_valid_after_utc)


@dataclass(frozen=True)
class CaptureNotice:
    """A verified PayPal capture webhook, reduced to what billing records.

    For PAYMENT.CAPTURE.REFUNDED the resource is the refund: `amount` is the refunded amount,
    `refund_id` its id, `capture_id` the refunded capture, and `custom_id`/`order_id` are only
    there when the refund carried them (a refund made in PayPal's dashboard has no custom_id)."""

    event_id: str
    event_type: str
    capture_id: str
    order_id: str | None
    custom_id: str | None  # our billing id, as sent in purchase_units[0].custom_id
    status: str
    amount: Money
    refund_id: str | None = None


def parse_capture_event(body: Mapping[str, Any]) -> CaptureNotice | None:
    """The capture notice in a verified webhook body; None for event types we do not act on."""
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or event_type not in CAPTURE_EVENT_TYPES:
        return None
    resource = body.get("resource")
    if not isinstance(resource, Mapping):
        raise PayPalProtocolError(f"{event_type} has no resource")
    resource_id = text_field(resource, "id")
    refund_id: str | None = None
    if event_type == "PAYMENT.CAPTURE.REFUNDED":
        refund_id = resource_id
        up = urlsplit(link_href(resource.get("links"), "up") or "").path.rstrip("/").split("/")
        if len(up) < 2 or up[-2] != "captures" or not up[-1]:
            raise PayPalProtocolError(f"refund {refund_id} does not link to its capture")
        capture_id = up[-1]
    else:
        capture_id = resource_id
    custom_id = resource.get("custom_id")
    return CaptureNotice(
        event_id=text_field(body, "id"),
        event_type=event_type,
        capture_id=capture_id,
        order_id=_related_order_id(resource),
        custom_id=custom_id if isinstance(custom_id, str) and custom_id else None,
        status=text_field(resource, "status"),
        amount=from_paypal_amount(resource.get("amount")),
        refund_id=refund_id,
    )


def _related_order_id(resource: Mapping[str, Any]) -> str | None:
    supplementary = resource.get("supplementary_data")
    related = supplementary.get("related_ids") if isinstance(supplementary, Mapping) else None
    order_id = related.get("order_id") if isinstance(related, Mapping) else None
    return order_id if isinstance(order_id, str) and order_id else None
