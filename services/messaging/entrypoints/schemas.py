"""HTTP request bodies of the messaging API (marshmallow, at the boundary)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.messaging.domain.conversation import CUSTOMER_KINDS, MAX_TEXT


class MessageForm(Schema):
    text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    kind = fields.String(load_default="message", validate=validate.OneOf(CUSTOMER_KINDS))
    item_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=40)
    )


class InquiryRequest(Schema):
    email = fields.Email(load_default=None, allow_none=True)
    subject = fields.String(load_default="", validate=validate.Length(max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class AnswerRequest(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class EmailRequest(Schema):
    email = fields.Email(required=True)
