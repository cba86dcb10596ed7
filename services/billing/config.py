"""Billing's own settings (`CNNECT_BILLING_*`), read once when a billing process starts: a
value that cannot be used stops the start with its variable's name. Production talks to PayPal
only (its API hosts over https, its certificate hosts: R10, R11) and shows a real receiving
account (R9); in development the launcher points billing at the local PayPal stand-in
(deploy/paypal_standin) and the payment page shows a marked development account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from services.billing.adapters.paypal_webhooks import PAYPAL_CERT_HOSTS
from services.billing.domain.calendar import (
    DEFAULT_BANK_COUNTRY,
    DEFAULT_TIMEZONE,
    BusinessCalendar,
    checked_country,
    checked_timezone,
    parse_holidays,
)
from services.billing.domain.pricing import PricingRule
from services.billing.domain.transfer import DEVELOPMENT_ACCOUNT, ReceivingAccount, parse_account
from shared.config import ConfigurationError, Settings
from shared.runtime import Context

DEV_BANK_SECRET = "dev-bank-webhook-secret"
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


@dataclass(frozen=True)
class BillingConfig:
    """Everything billing reads from its environment, parsed."""

    pricing: PricingRule  # the rule the next billing is issued with (R4)
    calendar: BusinessCalendar  # when transfers are confirmed (R9)
    card_fee_percent: Decimal  # R10
    # The bank notices' signing secrets, the current one first (the previous while rotating);
    # none in production when unset: every notice is then refused.
    bank_webhook_secrets: tuple[str, ...]
    bank_account: ReceivingAccount  # what customers transfer to (R9)
    paypal: PayPalSettings


def load_config(settings: Settings) -> BillingConfig:
    """Billing's settings; anything unusable is a ConfigurationError naming its variable."""
    default = PricingRule()
    return BillingConfig(
        pricing=PricingRule(
            currency=settings.extra.get("currency", default.currency),
            cny_rate=settings.setting("cny_rate", str(default.cny_rate), Decimal),
            fee_percent=settings.setting("fee_percent", str(default.fee_percent), Decimal),
            fee_minimum_cny=settings.setting(
                "fee_minimum_cny", str(default.fee_minimum_cny), Decimal
            ),
            # The day the configured rate was taken (R4); unset, each billing states the day
            # it was issued at that rate.
            rate_date=settings.setting("cny_rate_date", "", _optional_date),
        ),
        calendar=bank_calendar(settings),
        card_fee_percent=settings.setting("card_fee_percent", "3.9", Decimal),
        bank_webhook_secrets=bank_webhook_secrets(settings),
        bank_account=receiving_account(settings),
        paypal=paypal_settings(settings),
    )


def config(ctx: Context) -> BillingConfig:
    """The settings billing's bootstrap parsed into `ctx`."""
    assert isinstance(ctx.config, BillingConfig), "a billing context is built by its bootstrap"
    return ctx.config


def _optional_date(text: str) -> date | None:
    return date.fromisoformat(text.strip()) if text.strip() else None


def bank_calendar(settings: Settings) -> BusinessCalendar:
    """The calendar of `_BANK_COUNTRY`'s holidays (default DE; empty: none), the extra closing
    days of `_BANK_HOLIDAYS`, in `_BANK_TIMEZONE`."""
    return BusinessCalendar(
        settings.setting("bank_holidays", "", parse_holidays),
        timezone=settings.setting(
            "bank_timezone", "", lambda text: checked_timezone(text.strip() or DEFAULT_TIMEZONE)
        ),
        country=settings.setting(
            "bank_country",
            DEFAULT_BANK_COUNTRY,
            lambda text: checked_country(text.strip().upper() or None),
        ),
    )


def bank_webhook_secrets(settings: Settings) -> tuple[str, ...]:
    """`_BANK_WEBHOOK_SECRETS`, comma-separated; outside production, a development secret
    (the one `send-bank-notice` signs with) when unset."""
    configured = settings.extra.get("bank_webhook_secrets", "")
    secrets = tuple(s.strip() for s in configured.split(",") if s.strip())
    return secrets or (() if settings.production else (DEV_BANK_SECRET,))


def receiving_account(settings: Settings) -> ReceivingAccount:
    """The account customers transfer to (`CNNECT_BILLING_BANK_ACCOUNT`); in development a
    marked development account, in production none: the service refuses to start (R9)."""
    configured = settings.extra.get("bank_account", "").strip()
    if not configured:
        if settings.production:
            raise ConfigurationError(
                "CNNECT_BILLING_BANK_ACCOUNT must be set in production: "
                "bank=...;branch=...;type=...;number=...;holder=..."
            )
        return DEVELOPMENT_ACCOUNT
    try:
        return parse_account(configured)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


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
