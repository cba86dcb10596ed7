"""Commands on conversations and inquiries: one plain function each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.messaging.adapters.attachments import new_ids, save_attachments
from services.messaging.adapters.mailer import forget_customer_mail
from services.messaging.domain.attachments import JudgedAttachment
from services.messaging.domain.conversation import Conversation
from services.messaging.domain.forgetting import ForgottenCustomer
from services.messaging.domain.inquiry import Inquiry
from services.messaging.handlers.common import (
    CONVERSATIONS,
    CUSTOMERS,
    INQUIRIES,
    new_id,
    sealed,
)
from services.messaging.handlers.notifications import on_staff_reply
from services.messaging.personal import VISITOR_PREFIX
from shared.domain_errors import NotFoundError
from shared.events.repository import meta
from shared.events.store import Transaction
from shared.runtime import Context
from shared.web.identity import Identity


@dataclass(frozen=True)
class PostMessage:
    order_id: str
    kind: str
    text: str
    attachments: list[JudgedAttachment]
    item_id: str | None = None


def _mine(found: Conversation, identity: Identity) -> Conversation:
    """The conversation if the caller may use it; a stranger meets a 404."""
    if not found.opened or not identity.may_see(found.customer_id):
        raise NotFoundError(f"no conversation for order {found.order_id}")
    return found


def post_message(ctx: Context, cmd: PostMessage, identity: Identity) -> str:
    """A message on an order, with its attachments, in one transaction (R7, R12-R14): its text
    and files sealed under the order's customer (a forgotten customer's conversation takes no
    more messages: CustomerForgottenError)."""
    message_id = new_id("msg")
    ids = new_ids(cmd.attachments)
    role = "staff" if identity.is_staff else "customer"

    def decision(tx: Transaction, found: Conversation) -> list[object]:
        new = _mine(found, identity).post(
            message_id, role, cmd.kind, cmd.text, ids, ctx.clock.now(), cmd.item_id
        )
        customer = found.customer_id
        save_attachments(tx, ctx.personal, cmd.order_id, message_id, customer, ids, cmd.attachments)
        if role == "staff":
            on_staff_reply(ctx, tx, message_id, cmd.order_id, customer, cmd.text)
        return sealed(ctx.personal, new)

    CONVERSATIONS.decide(ctx.store, cmd.order_id, decision, meta(identity.subject, cmd.order_id))
    return message_id


def mark_read(ctx: Context, order_id: str, identity: Identity) -> None:
    """The caller has read every message of the order so far."""
    role = "staff" if identity.is_staff else "customer"

    CONVERSATIONS.decide(
        ctx.store,
        order_id,
        lambda tx, found: _mine(found, identity).read(role, ctx.clock.now()),
        meta(identity.subject, order_id),
    )


def open_inquiry(
    ctx: Context, customer_id: str | None, email: str | None, subject: str, text: str
) -> str:
    """A general inquiry from a customer or a visitor."""
    inquiry_id = new_id("inq")

    def work(tx: Transaction) -> None:
        found = Inquiry(inquiry_id)
        new = found.open(new_id("msg"), customer_id, email, subject, text, ctx.clock.now())
        # A signed-in customer's inquiry is sealed under their key; a visitor's has none.
        kept = sealed(ctx.personal, new)
        INQUIRIES.save(tx, inquiry_id, found, kept, meta(customer_id or "visitor", inquiry_id))

    ctx.store.transact(work)
    return inquiry_id


def answer_inquiry(ctx: Context, inquiry_id: str, text: str, staff: Identity) -> str:
    """Staff answer an inquiry."""
    message_id = new_id("msg")

    def decision(tx: Transaction, found: Inquiry) -> list[object]:
        new = found.answer(message_id, text, ctx.clock.now())
        customer = found.customer_id or f"{VISITOR_PREFIX}{inquiry_id}"
        # found.email is sealed already for a customer's inquiry, plain for a visitor's.
        on_staff_reply(ctx, tx, message_id, None, customer, text, found.email)
        return sealed(ctx.personal, new)

    INQUIRIES.decide(ctx.store, inquiry_id, decision, meta(staff.subject, inquiry_id))
    return message_id


def forget_customer(ctx: Context, customer_id: str, staff: Identity) -> tuple[datetime, bool]:
    """Record CustomerForgotten once in `customer-<id>` (the stream's expected version keeps it
    once, even for two requests at the same time), and in the same transaction delete the
    customer's address and stop their mails. When it was recorded, and whether just now."""
    now = ctx.clock.now()
    recorded = False

    def decision(tx: Transaction, found: ForgottenCustomer) -> list[object]:
        nonlocal recorded  # the last attempt's answer (a concurrent one decides again)
        forget_customer_mail(tx, customer_id)
        new = found.forget(now)
        recorded = bool(new)
        return new

    forgotten = CUSTOMERS.decide(ctx.store, customer_id, decision, meta(staff.subject, customer_id))
    # Whatever key of theirs this process still holds goes now (the others' within seconds).
    ctx.personal.drop_cached(customer_id)
    assert forgotten.forgotten_at is not None
    return forgotten.forgotten_at, recorded
