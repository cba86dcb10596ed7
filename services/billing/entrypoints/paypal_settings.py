"""Where billing finds PayPal (`CNNECT_BILLING_PAYPAL_*`), and the rule that production talks
to PayPal only: its API hosts over https, its certificate hosts (R10, R11). In development the
launcher points billing at the local stand-in (deploy/paypal_standin) and its certificate host."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from services.billing.adapters.paypal_webhooks import PAYPAL_CERT_HOSTS
from shared.config import ConfigurationError, Settings

SANDBOX_API = "https://api-m.sandbox.paypal.com"
# PayPal's REST API hosts, live and sandbox.
PAYPAL_API_HOSTS = frozenset(
    {"api-m.paypal.com", "api-m.sandbox.paypal.com", "api.paypal.com", "api.sandbox.paypal.com"}
)


@dataclass(frozen=True)
class PayPalSettings:
    """PayPal's API and our app's credentials, and how webhooks are checked."""

    base_url: str
    client_id: str
    client_secret: str
    webhook_id: str
    cert_hosts: frozenset[str]  # empty: PayPal's own
    allow_insecure_local_certs: bool


def paypal_settings(settings: Settings) -> PayPalSettings:
    """Billing's PayPal settings; in production anything but PayPal is a ConfigurationError."""
    extra = settings.extra
    base_url = extra.get("paypal_base_url", "") or SANDBOX_API
    hosts = extra.get("paypal_cert_hosts", "")
    cert_hosts = frozenset(h.strip().lower() for h in hosts.split(",") if h.strip())
    insecure = extra.get("paypal_allow_insecure_local_certs") == "1"
    if settings.production:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or (parts.hostname or "") not in PAYPAL_API_HOSTS:
            raise ConfigurationError(
                f"CNNECT_BILLING_PAYPAL_BASE_URL must be PayPal's API in production "
                f"(https://api-m.paypal.com, or {SANDBOX_API}), not {base_url!r}"
            )
        if not cert_hosts <= PAYPAL_CERT_HOSTS:
            raise ConfigurationError(
                "CNNECT_BILLING_PAYPAL_CERT_HOSTS may name only PayPal's hosts in production, "
                f"not {', '.join(sorted(cert_hosts - PAYPAL_CERT_HOSTS))}"
            )
        insecure = False  # never a local certificate in production
    return PayPalSettings(
        base_url,
        extra.get("paypal_client_id", ""),
        extra.get("paypal_client_secret", ""),
        extra.get("paypal_webhook_id", ""),
        cert_hosts,
        insecure,
    )
