"""E-mails to customers when something needs them or changed for them, queued in the same
transaction as the event that caused them (at most once per event) and sent by the worker."""

from __future__ import annotations

import threading
from collections.abc import Callable

from services.messaging.adapters.mailer import MailSender, enqueue
from services.messaging.config import config
from services.messaging.domain.notifications import notification_for, staff_reply
from shared.events.contracts import CONTRACTS
from shared.events.incoming import IncomingEvent
from shared.events.store import Transaction
from shared.runtime import Context

MAILED_EVENTS = ("BillingIssued", "PaymentReceived", "ItemsInspected", "Shipped", "OrderCancelled")


def on_mailed_event(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Queue the e-mail an integration event sends the customer, if any."""
    # The consumer validated and upcast the payload: only its wire form is wanted here.
    wire = CONTRACTS.dump(event.type, event.data) if event.type in CONTRACTS else {}
    notification = notification_for(
        event.type, wire, str(event.envelope.event_id), config(ctx).site_url
    )
    if notification is not None:
        enqueue(tx, ctx.personal, notification)


def on_staff_reply(
    ctx: Context,
    tx: Transaction,
    message_id: str,
    order_id: str | None,
    customer_id: str,
    text: str,
    to_address: str | None = None,
) -> None:
    """Queue the e-mail telling the customer (or the visitor) that staff answered: `text` is
    the plain reply, sealed with the rest of the e-mail by `enqueue`."""
    notification = staff_reply(message_id, order_id, customer_id, text)
    enqueue(tx, ctx.personal, notification, to_address)


def mail_loops(ctx: Context) -> list[Callable[[threading.Event], None]]:
    """The worker's e-mail sender."""
    sender = MailSender(ctx.store, config(ctx).smtp, ctx.personal, ctx.clock)
    return [sender.run]
