"""PayPal: the errors and the money format shared by the client and the webhook verifier.

The adapter is split in three: this module (errors, amounts), `paypal_client` (OAuth2 token,
orders v2) and `paypal_webhooks` (signature self-verification, capture notices). PayPal's
exceptions are translated into these once, here at the adapter, like every driver's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.events.errors import CnnectError
from shared.money import MINOR_UNITS, Money
from shared.web.identity import UnauthorizedError


class PayPalError(CnnectError):
    """PayPal failed or refused an operation."""


class PayPalUnavailableError(PayPalError):
    """Transient: PayPal cannot be reached now (connection error, timeout, 5xx, 429). Retryable."""

    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class PayPalRejectedError(PayPalError):
    """PayPal refused the request (4xx other than 429). Retrying the same request won't help."""

    def __init__(
        self, message: str, status: int, name: str | None = None, debug_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.debug_id = debug_id


class PayPalProtocolError(PayPalError):
    """PayPal answered something we cannot read (not JSON, a field missing or malformed)."""


class WebhookVerificationError(UnauthorizedError, PayPalError):
    """A webhook's signature, age or certificate is not acceptable: nothing may be recorded."""


# PayPal writes amounts as plain decimal strings: digits, optionally a point and decimals.
_AMOUNT = re.compile(r"\d{1,32}(\.\d{1,8})?")


def to_paypal_amount(money: Money) -> dict[str, str]:
    """`money` as PayPal's {currency_code, value}, with the currency's minor digits (2 for USD)."""
    if money.rounded() != money:
        raise ValueError(f"{money} has more decimals than {money.currency} allows")
    digits = MINOR_UNITS[money.currency]
    return {"currency_code": money.currency, "value": f"{money.amount:.{digits}f}"}


def from_paypal_amount(data: object) -> Money:
    """Money from PayPal's {currency_code, value}; exact, never through a float."""
    if not isinstance(data, Mapping):
        raise PayPalProtocolError("amount is not an object")
    value, currency = data.get("value"), data.get("currency_code")
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise PayPalProtocolError(f"amount value {value!r} is not a decimal string")
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        raise PayPalProtocolError(f"unsupported currency {currency!r}")
    try:
        money = Money(Decimal(value), currency)
    except (InvalidOperation, ValueError) as exc:
        raise PayPalProtocolError(f"amount {value!r} {currency} unreadable") from exc
    if money.rounded() != money:
        raise PayPalProtocolError(f"amount {value!r} has too many decimals for {currency}")
    return money.rounded()


def text_field(data: Mapping[str, Any], key: str) -> str:
    """A required non-empty string field of a PayPal document."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PayPalProtocolError(f"field {key!r} missing or not a string")
    return value


def link_href(links: object, *rels: str) -> str | None:
    """The href of the first HATEOAS link whose rel is one of `rels`, if any."""
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, Mapping) and link.get("rel") in rels:
            href = link.get("href")
            if isinstance(href, str) and href:
                return href
    return None
