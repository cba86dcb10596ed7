"""The messaging HTTP API: order messages with attachments, read state, inquiries, staff inbox."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from services.messaging import views
from services.messaging.adapters.attachments import (
    ORDERS_PHOTO,
    attachment_facts,
    attachment_href,
    content_disposition,
    described,
    load_attachment,
    opened_attachment,
)
from services.messaging.adapters.mailer import remember_address
from services.messaging.domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    judge_attachments,
    read_limited,
)
from services.messaging.entrypoints.account_mails import ACCOUNT_MAIL_PATHS, account_mail_api
from services.messaging.entrypoints.schemas import (
    AnswerRequest,
    EmailRequest,
    InquiryRequest,
    MessageForm,
)
from services.messaging.handlers.commands import (
    PostMessage,
    answer_inquiry,
    forget_customer,
    mark_read,
    open_inquiry,
    post_message,
)
from shared.domain_errors import NotFoundError, ValidationError
from shared.runtime import Context
from shared.web.app import (
    create_service_app,
    current_identity,
    json_body,
    jsonable,
    require_staff,
    service_context,
)
from shared.web.idempotency import idempotent
from shared.web.identity import Identity
from shared.web.openapi import Files, document, operation, write
from shared.web.paging import OFFSET_PARAMETER, list_offset, staff_queue_page

bp = Blueprint("messaging", __name__)


OPENAPI: dict[str, Any] = document(
    "CNNECT messaging",
    {
        "/orders/{order_id}/conversation": {"get": operation("An order's conversation window")},
        "/orders/{order_id}/messages": {
            "get": operation("The order's messages, oldest first (R7)"),
            "post": write(
                "Post a message, multipart with up to 3 attachments, or JSON (R7, R12-R14)",
                body=MessageForm,
                form=MessageForm,
                files=Files("attachments", max_items=MAX_ATTACHMENTS),
            ),
        },
        "/orders/{order_id}/messages/read": {"post": write("Mark the messages read")},
        "/attachments/{attachment_id}": {
            "get": operation(
                "Download an attachment (R14); a problem report's picture (`orders-photo:`) "
                "answers 303 to the orders photo route that serves it (R23)"
            )
        },
        "/inquiries": {
            "post": write(
                "A general inquiry", "anyone (visitors give an e-mail)", body=InquiryRequest
            ),
            "get": {**operation("The caller's inquiries"), "parameters": [OFFSET_PARAMETER]},
        },
        "/inquiries/{inquiry_id}/answers": {
            "post": write("Answer an inquiry", "staff", body=AnswerRequest)
        },
        "/queues/awaiting-reply": {"get": operation("Conversations waiting for staff", "staff")},
        "/queues/requests": {"get": operation("Exchange and return requests (R19)", "staff")},
        "/customers/{customer_id}/email": {
            "put": operation("Where notifications go", "staff", body=EmailRequest)
        },
        "/customers/{customer_id}/forgotten": {
            "post": operation(
                "Record that a customer was forgotten (CustomerForgotten, once): their address "
                "is deleted and no mail of theirs is sent; again: recorded false",
                "staff",
            )
        },
        **ACCOUNT_MAIL_PATHS,
    },
)


def _conversation(conversation_id: str, identity: Identity) -> dict[str, Any]:
    row = views.conversation(service_context().store, conversation_id)
    if row is None or not identity.may_see(row["customer_id"] or ""):
        raise NotFoundError(f"no conversation {conversation_id}")
    return row


@bp.get("/orders/<order_id>/conversation")
def conversation(order_id: str) -> ResponseReturnValue:
    """Whether the order accepts messages, and until when (R12)."""
    row = _conversation(order_id, current_identity())
    accepts = views.accepts_messages(row, service_context().clock.now())
    return jsonify({**jsonable(row), "accepts_messages": accepts})


@bp.get("/orders/<order_id>/messages")
def messages(order_id: str) -> ResponseReturnValue:
    """The order's messages, oldest first, with sender, time, read state, attachments (R7):
    `attachments` gives each attachment id with the href that opens it (R23)."""
    identity = current_identity()
    row = _conversation(order_id, identity)
    found = views.messages(service_context().store, order_id)
    every_id = [a for message in found for a in message["attachment_ids"]]
    stored = attachment_facts(service_context().store, every_id)
    result = []
    for message in found:
        read_position = (
            row["customer_read_position"]
            if message["sender_role"] == "staff"
            else row["staff_read_position"]
        )
        result.append(
            {
                **jsonable(
                    {k: v for k, v in message.items() if k not in ("position", "customer_id")}
                ),
                "attachments": described(order_id, message["attachment_ids"], stored),
                "read": message["position"] <= read_position,
            }
        )
    mine = "customer" if not identity.is_staff else "staff"
    unread = sum(1 for m in result if m["sender_role"] != mine and not m["read"])
    return jsonify({"order_id": order_id, "messages": result, "unread": unread})


@bp.post("/orders/<order_id>/messages")
@idempotent
def post(order_id: str) -> ResponseReturnValue:
    """Post a message; any bad attachment rejects the whole message, storing nothing (R14)."""
    identity = current_identity()
    form = MessageForm().load(
        request.form.to_dict() if request.form else (request.get_json(silent=True) or {})
    )
    uploads = request.files.getlist("attachments")
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(f"a message carries at most {MAX_ATTACHMENTS} attachments")
    files = [(u.filename or "", read_limited(u.stream, MAX_ATTACHMENT_BYTES)) for u in uploads]
    judged = judge_attachments(files)
    command = PostMessage(order_id, form["kind"], form["text"], judged, form["item_id"])
    message_id = post_message(service_context(), command, identity)
    return jsonify({"message_id": message_id, "order_id": order_id}), 201


@bp.post("/orders/<order_id>/messages/read")
@idempotent
def read(order_id: str) -> ResponseReturnValue:
    """Mark every message so far as read by the caller's side."""
    mark_read(service_context(), order_id, current_identity())
    return jsonify({"order_id": order_id, "read": True})


@bp.get("/attachments/<attachment_id>")
def attachment(attachment_id: str) -> ResponseReturnValue:
    """An attachment, to the order's owner and staff only (R14), with its name: an image or
    a PDF opens in the browser, `?download=1` saves it under its name."""
    identity = current_identity()
    if attachment_id.startswith(ORDERS_PHOTO):
        # A problem report's picture lives with orders (R23): send the caller there; orders
        # checks again who may see it. A stranger learns nothing here either.
        holder = views.attachment_holder(service_context().store, attachment_id)
        if holder is None or not identity.may_see(holder["customer_id"] or ""):
            raise NotFoundError("attachment not found")
        href = attachment_href(holder["conversation_id"], attachment_id)
        return redirect(href, code=303)
    row = load_attachment(service_context().store, attachment_id)
    if row is None or not identity.may_see(row["customer_id"] or ""):
        raise NotFoundError("attachment not found")
    content, name = opened_attachment(service_context().personal, row)
    response = Response(content, mimetype=row["media_type"])
    # Only judged, inert images and PDFs are ever stored (R14), so they may open inline;
    # nosniff keeps the browser to the stored media type.
    inline = request.args.get("download") != "1"
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/inquiries")
@idempotent
def inquiry() -> ResponseReturnValue:
    """A general inquiry: signed-in customers, or visitors leaving an e-mail address."""
    identity = current_identity() if request.headers.get("Authorization") else None
    body = json_body(InquiryRequest)
    customer = identity.acting_customer if identity else None
    inquiry_id = open_inquiry(
        service_context(), customer, body["email"], body["subject"], body["text"]
    )
    return jsonify({"inquiry_id": inquiry_id}), 201


@bp.get("/inquiries")
def inquiries() -> ResponseReturnValue:
    """The caller's inquiries (staff: all), with their messages."""
    customer = current_identity().acting_customer
    found, next_offset = views.inquiries(service_context().store, customer, list_offset())
    return jsonify({"inquiries": found, "next_offset": next_offset})


@bp.post("/inquiries/<inquiry_id>/answers")
@idempotent
def answer(inquiry_id: str) -> ResponseReturnValue:
    """Staff answer an inquiry."""
    staff = require_staff()
    body = json_body(AnswerRequest)
    return jsonify(
        {"message_id": answer_inquiry(service_context(), inquiry_id, body["text"], staff)}
    ), 201


@bp.get("/queues/awaiting-reply")
def awaiting_reply() -> ResponseReturnValue:
    """Conversations whose last message is the customer's, oldest first (staff inbox)."""
    return staff_queue_page("awaiting_reply", "conversations", views.awaiting_reply)


@bp.get("/queues/requests")
def requests_queue() -> ResponseReturnValue:
    """Exchange and return requests and problem reports (R19, R23), oldest first."""
    return staff_queue_page("requests", "messages", views.requests)


@bp.put("/customers/<customer_id>/email")
def customer_email(customer_id: str) -> ResponseReturnValue:
    """Where a customer's notifications go (the gateway tells us at sign-up)."""
    require_staff()
    body = json_body(EmailRequest)
    ctx = service_context()
    ctx.store.transact(lambda tx: remember_address(tx, ctx.personal, customer_id, body["email"]))
    return jsonify({"customer_id": customer_id, "email": body["email"]})


@bp.post("/customers/<customer_id>/forgotten")
def customer_forgotten(customer_id: str) -> ResponseReturnValue:
    """Record that the customer was forgotten (their key is destroyed by the gateway): once,
    with what messaging keeps of them unsealed removed; asking again answers recorded false
    with the first moment."""
    staff = require_staff()
    forgotten_at, recorded = forget_customer(service_context(), customer_id, staff)
    return jsonify(
        {
            "customer_id": customer_id,
            "forgotten_at": forgotten_at.isoformat(),
            "recorded": recorded,
        }
    )


def create_app(context: Context) -> Flask:
    """The messaging API over `context`."""
    app = create_service_app("messaging", context, OPENAPI)
    # Three 10 MB files and the form; a bigger request is cut off while it streams in (413).
    app.config["MAX_CONTENT_LENGTH"] = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 1024 * 1024
    app.register_blueprint(bp)
    app.register_blueprint(account_mail_api)
    return app
