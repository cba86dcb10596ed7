"""The gateway asks for an e-mail about an account (R26): queued in the outbox, at most once per
notification id, and sent by the worker's sender like every customer e-mail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.messaging.adapters.mailer import enqueue
from services.messaging.config import config
from services.messaging.domain.account_mails import (
    ACCOUNT_MAIL_KINDS,
    EMAIL_CHANGE_ASKED,
    LINKED_KINDS,
    AccountMailRequest,
    account_mail,
)
from shared.web.app import json_body, require_staff, service_context
from shared.web.openapi import operation

account_mail_api = Blueprint("messaging_account_mails", __name__)


class AccountMailBody(Schema):
    notification_id = fields.String(required=True, validate=validate.Length(min=8, max=80))
    customer_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    to = fields.Email(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_MAIL_KINDS))
    token = fields.String(load_default="", validate=validate.Length(max=200))
    new_email = fields.Email(load_default="")

    @validates_schema
    def _needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A link needs its token; the notice of a change names the new address."""
        if data.get("kind") in LINKED_KINDS and not data.get("token"):
            raise ValidationError("this e-mail carries a link: give its token", "token")
        if data.get("kind") == EMAIL_CHANGE_ASKED and not data.get("new_email"):
            raise ValidationError("say which new address was asked for", "new_email")


ACCOUNT_MAIL_PATHS: dict[str, Any] = {
    "/account-mails": {
        "post": operation(
            "Queue an e-mail about an account: a confirmation or password link, or the "
            "notice of a change of address (R26); once per notification id",
            "the gateway (a staff identity)",
            body=AccountMailBody,
        )
    },
}


@account_mail_api.post("/account-mails")
def account_mails() -> ResponseReturnValue:
    """Queue the e-mail (201), or say it was queued already (200)."""
    # Only the gateway asks, with its own staff identity: a customer could otherwise have
    # e-mails in our name sent to any address.
    require_staff()
    body = json_body(AccountMailBody)
    ctx = service_context()
    notification = account_mail(AccountMailRequest(**body), config(ctx).site_url)
    # The address and the mail are sealed under the customer's key as they are queued.
    queued = ctx.store.transact(lambda tx: enqueue(tx, ctx.personal, notification, body["to"]))
    answer = {"notification_id": notification.notification_id, "queued": queued}
    return jsonify(answer), 201 if queued else 200
