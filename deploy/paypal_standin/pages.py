"""The stand-in's buyer-facing approval page: what it shows and where it sends the buyer,
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


def _experience(order: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (
        order.get("payment_source", {}).get("paypal", {}).get("experience_context", {})
    )
    return found


def return_url(order: dict[str, Any]) -> str | None:
    """Where PayPal sends the buyer after approval: payment_source.paypal.experience_context's
    return_url, or the older application_context's."""
    url = _experience(order).get("return_url") or order.get("application_context", {}).get(
        "return_url"
    )
    return str(url) if url else None


def cancel_url(order: dict[str, Any]) -> str | None:
    """Where PayPal sends a buyer who cancels (experience_context or application_context)."""
    url = _experience(order).get("cancel_url") or order.get("application_context", {}).get(
        "cancel_url"
    )
    return str(url) if url else None


def with_query(url: str, **params: str) -> str:
    """`url` with `params` added to its query (PayPal adds ?token=...&PayerID=...)."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def approved_location(url: str, order_id: str, payer_id: str) -> str:
    """`url` with PayPal's approval parameters added (?token=<order id>&PayerID=<payer>)."""
    return with_query(url, token=order_id, PayerID=payer_id)


def new_payer_id() -> str:
    """A PayPal payer id (13 upper-case alphanumerics)."""
    return secrets.token_hex(7).upper()[:13]


def checkout_page(order_id: str, order: dict[str, Any]) -> bytes:
    """The approval page: the amount (with what it is for, e.g. the card fee), "Pay now",
    "Pay with a card that is declined" (to try the DENIED path) and "Cancel"."""
    unit = order["purchase_units"][0]
    amount = unit["amount"]
    value, currency = str(amount["value"]), str(amount["currency_code"])
    description = str(unit.get("description") or "")
    token = f'<input type="hidden" name="token" value="{html.escape(order_id)}">'
    return _page(
        "PayPal Checkout (local stand-in)",
        '<p class="note">A stand-in for PayPal\'s sandbox on this machine: no money moves.</p>\n'
        f'<p class="total">Pay <span id="amount">{html.escape(value)}</span> '
        f'<span id="currency">{html.escape(currency)}</span></p>\n'
        f'<p id="description">{html.escape(description)}</p>\n'
        f'<form method="post" action="{CHECKOUT_PATH}">\n  {token}\n'
        '  <button id="pay-now" name="action" value="approve" type="submit">Pay now</button>\n'
        '  <button id="pay-declined" name="action" value="decline" type="submit">'
        "Pay with a card that is declined</button>\n"
        '  <button id="cancel" name="action" value="cancel" type="submit">'
        "Cancel and return to the shop</button>\n"
        "</form>",
    )


def message_page(title: str, message: str) -> bytes:
    """A plain page saying `message` (unknown order, missing return URL)."""
    return _page(title, f"<p>{html.escape(message)}</p>")


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}"
    "h1{color:#003087;font-size:1.4rem}.total{font-size:1.6rem;font-weight:600}"
    ".note{background:#fff4ce;padding:.5rem;border-radius:4px}"
    "button{display:block;width:100%;margin:.5rem 0;padding:.8rem;font-size:1rem;"
    "border-radius:20px;border:1px solid #003087;background:#fff;cursor:pointer}"
    "#pay-now{background:#0070ba;color:#fff;border:0}"
)


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    ).encode()
