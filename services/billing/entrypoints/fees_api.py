"""The public fees, from billing's configuration: the service fee rule the next billing
will record (R4) and the card payment fee (R10). Pages show these, never numbers of their own."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from services.billing.config import config
from shared.web.app import service_context

fees_api = Blueprint("fees", __name__)


@fees_api.get("/fees")
def fees() -> ResponseReturnValue:
    """The service fee rule (in words and in figures) and the card fee percent (public)."""
    ctx = service_context()
    rule = config(ctx).pricing
    fee = rule.service_fee
    return jsonify(
        {
            "currency": rule.currency,
            "service_fee_rule": fee.words(),
            "service_fee_percent": f"{fee.percent.normalize():f}",
            "service_fee_minimum": {
                "amount": str(fee.minimum.amount),
                "currency": fee.minimum.currency,
                "formatted": fee.minimum.formatted(),
            },
            "card_fee_percent": f"{config(ctx).card_fee_percent.normalize():f}",
        }
    )
