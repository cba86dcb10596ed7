"""Card payments through PayPal (R10, R11): the PayPal order for what the deposit leaves, with
the card fee on top, and the capture notices that record the payment once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.billing.adapters.paypal import PayPalRejectedError
from services.billing.adapters.paypal_client import PayPalClient
from services.billing.adapters.paypal_webhooks import CaptureNotice
from services.billing.domain.billing import CardPaymentStarted
from services.billing.handlers.common import (
    BILLINGS,
    DEPOSITS,
    owned_billing,
)
from services.billing.handlers.held import hold_payment_in
from services.billing.handlers.payments import deposit_first, record_payment_in
from shared.domain_errors import InvalidTransitionError, NotFoundError
from shared.events.errors import DuplicateMessageError
from shared.events.repository import decide_again, meta
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context

PAYPAL_WEBHOOK = "paypal-webhook"  # the inbox consumer name of PayPal notices
_NOTICES = uuid.UUID("0b7e8a55-3f2d-4a61-8f0e-6d3c2b1a9e77")


@dataclass(frozen=True)
class CardCheckout:
    """Where the customer approves the card payment, and what they are charged."""

    started: CardPaymentStarted


def start_card_payment(
    ctx: Context,
    paypal: PayPalClient,
    bid: str,
    customer_id: str | None,
    fee_percent: Decimal,
    return_url: str,
    cancel_url: str,
    actor: str,
) -> CardCheckout:
    """Create the PayPal order for the rest after the deposit, plus the fee (R10)."""
    deposit_first(ctx, bid, customer_id, actor)

    def due(tx: Transaction) -> tuple[Money, Money, Money]:
        found = owned_billing(tx, bid, customer_id)
        assert found.issued is not None
        deposit = DEPOSITS.get(tx, found.issued.customer_id)
        rest, fee = found.card_payment_due(fee_percent, deposit.usable_for(found.open_amount))
        return found.open_amount, rest, fee

    open_amount, rest, fee = ctx.store.transact(due)
    total = rest + fee
    # The same open amount and total give the same PayPal-Request-Id: a repeated checkout
    # gets PayPal's first order back instead of a second one.
    request_id = f"{bid}-open-{open_amount.amount}-total-{total.amount}"
    # What the payer reads at PayPal beside the total: the fee is shown before they pay.
    description = (
        f"CNNECT billing {bid}: {rest.amount} {rest.currency} "
        f"+ card fee {fee.amount} {fee.currency}"
    )
    created = paypal.create_order(bid, total, request_id, return_url, cancel_url, description)

    def record(tx: Transaction) -> CardCheckout:
        found = owned_billing(tx, bid, customer_id)
        assert found.issued is not None
        known = found.card_orders.get(created.order_id)
        if known is not None:
            return CardCheckout(known)
        started = CardPaymentStarted(
            bid, created.order_id, rest, fee, total, created.approval_url, ctx.clock.now()
        )
        BILLINGS.save(tx, bid, found, [started], meta(actor, found.issued.order_id))
        return CardCheckout(started)

    return decide_again(ctx.store, record)


def capture_card_payment(
    ctx: Context, paypal: PayPalClient, bid: str, customer_id: str | None, order_id: str
) -> dict[str, str]:
    """Capture the PayPal order the customer approved for their billing (R10). Nothing is
    recorded here: the capture webhook records the payment, once, whichever comes first."""

    def known(tx: Transaction) -> CardPaymentStarted | None:
        return owned_billing(tx, bid, customer_id).card_orders.get(order_id)

    started = ctx.store.transact(known)
    if started is None:
        raise NotFoundError(f"billing {bid} has no card payment {order_id}")
    figures = {
        "amount": str(started.amount.amount),
        "fee": str(started.fee.amount),
        "total": str(started.total.amount),
        "currency": started.total.currency,
    }
    try:
        # One request id per order: a reload of the return page captures once.
        captured = paypal.capture_order(order_id, f"{order_id}-capture")
    except PayPalRejectedError as exc:
        if "ORDER_ALREADY_CAPTURED" in str(exc):
            return {**figures, "status": "ALREADY_CAPTURED", "capture_status": "ALREADY_CAPTURED"}
        if "ORDER_NOT_APPROVED" in str(exc):
            raise InvalidTransitionError(
                "PayPal has not approved this payment; nothing was charged. You can pay by "
                "card again, by bank transfer or from your deposit."
            ) from None
        raise
    return {
        **figures,
        "status": captured.status,
        "capture_id": captured.capture_id,
        "capture_status": captured.capture_status,
    }


def receive_capture(ctx: Context, notice: CaptureNotice) -> bool:
    """Act on a verified capture notice once; False for a repeated delivery."""

    def work(tx: Transaction) -> None:
        tx.record_inbox(PAYPAL_WEBHOOK, uuid.uuid5(_NOTICES, notice.event_id))
        tx.flush()
        bid = notice.custom_id or ""
        found = BILLINGS.get(tx, bid)
        completed = notice.event_type == "PAYMENT.CAPTURE.COMPLETED"
        if found.issued is None:
            if completed:  # money captured for no billing of ours: held for staff, not lost
                reason = f"captured for {bid or 'no billing'}: the payer cannot be matched"
                hold_payment_in(
                    tx,
                    ctx,
                    f"paypal-{notice.capture_id}",
                    bid,
                    "card",
                    notice.amount,
                    "",
                    reason,
                )
            return
        now = ctx.clock.now()
        actor = f"paypal:{notice.capture_id}"
        if completed:
            started = found.matching_card_payment(notice.order_id, notice.amount)
            if started is not None:
                # A voided or already paid billing diverts it to the deposit. The card fee
                # stays with us, as when a card-paid order is cancelled later.
                record_payment_in(tx, ctx, bid, started.amount, "card", actor)
                return
            new = found.note_capture(
                notice.capture_id,
                "review",
                f"captured {notice.amount} does not match our card payment",
                notice.amount,
                now,
            )
        elif notice.event_type == "PAYMENT.CAPTURE.PENDING":
            new = found.note_capture(
                notice.capture_id, "pending", "PayPal holds the capture", notice.amount, now
            )
        elif notice.event_type == "PAYMENT.CAPTURE.DENIED":
            new = found.note_capture(
                notice.capture_id, "denied", "PayPal denied the capture", notice.amount, now
            )
        else:  # REFUNDED: money went back to the card; staff decide what it means
            new = found.note_capture(
                notice.capture_id, "review", "refunded at PayPal", notice.amount, now
            )
        BILLINGS.save(tx, bid, found, new, meta(actor, found.issued.order_id))

    try:
        decide_again(ctx.store, work)
    except DuplicateMessageError:
        return False
    return True
