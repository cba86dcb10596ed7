"""The fake PayPal's buyer-facing checkout: what its page shows and where it sends the buyer,
read from an order's stored creation request (orders v2 body)."""

from __future__ import annotations

import html
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from shared.money import Money

CHECKOUT_PATH = "/checkoutnow"


def order_amount(order: dict[str, Any]) -> Money:
    """The order's amount: its first purchase unit's `amount`."""
    amount = order["purchase_units"][0]["amount"]
    return Money(Decimal(amount["value"]), amount["currency_code"])


def order_billing_id(order: dict[str, Any]) -> str:
    """Our billing id: the first purchase unit's custom_id (reference_id when absent)."""
    unit = order["purchase_units"][0]
    return str(unit.get("custom_id") or unit.get("reference_id") or "")


def return_url(order: dict[str, Any]) -> str | None:
    """Where PayPal sends the buyer after approval: payment_source.paypal.experience_context's
    return_url, or the older application_context's."""
    experience = order.get("payment_source", {}).get("paypal", {}).get("experience_context", {})
    url = experience.get("return_url") or order.get("application_context", {}).get("return_url")
    return str(url) if url else None


def approved_location(url: str, order_id: str, payer_id: str) -> str:
    """`url` with PayPal's approval parameters added (?token=<order id>&PayerID=<payer>)."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), ("token", order_id), ("PayerID", payer_id)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def new_payer_id() -> str:
    """A PayPal payer id (13 upper-case alphanumerics)."""
    return secrets.token_hex(7).upper()[:13]


def checkout_page(order_id: str, order: dict[str, Any]) -> bytes:
    """The approval page: the amount to pay and a "Pay now" form posting the token back."""
    amount = order["purchase_units"][0]["amount"]
    value, currency = str(amount["value"]), str(amount["currency_code"])
    return _page(
        "PayPal Checkout",
        f'<p>Pay <span id="amount">{html.escape(value)}</span> '
        f'<span id="currency">{html.escape(currency)}</span></p>\n'
        f'<form method="post" action="{CHECKOUT_PATH}">\n'
        f'  <input type="hidden" name="token" value="{html.escape(order_id)}">\n'
        '  <button id="pay-now" type="submit">Pay now</button>\n'
        "</form>",
    )


def message_page(title: str, message: str) -> bytes:
    """A plain page saying `message` (unknown order, missing return URL)."""
    return _page(title, f"<p>{html.escape(message)}</p>")


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f"<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    ).encode()
