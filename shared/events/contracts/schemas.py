"""marshmallow schemas of the integration event payloads (current versions)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.contracts.fields import identifier, money, personal_text, timestamp

BILLING_KINDS = ("first", "second")
PAYMENT_METHODS = ("deposit", "bank_transfer", "card", "staff_confirmation")


class OrderedItemSchema(Schema):
    item_id = identifier()
    url = fields.Url(required=True, schemes={"https"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    options = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    unit_price = money()
    domestic_shipping = money()


class OrderPlacedSchema(Schema):
    """v2: `customer` was renamed `customer_id`; `shipping_method` was added."""

    order_id = identifier()
    customer_id = identifier()
    items = fields.List(
        fields.Nested(OrderedItemSchema), required=True, validate=validate.Length(min=1, max=50)
    )
    destination_country = fields.String(required=True, validate=validate.Length(equal=2))
    shipping_method = fields.String(required=True, validate=validate.Length(min=1, max=40))
    placed_at = timestamp()


class OrderItemsChangedSchema(Schema):
    """Before payment (R17): every remaining item with its current quantity."""

    order_id = identifier()
    customer_id = identifier()
    items = fields.List(
        fields.Nested(OrderedItemSchema), required=True, validate=validate.Length(max=50)
    )
    changed_at = timestamp()


class ItemUnavailableSchema(Schema):
    """An item that cannot be purchased or forwarded, or was returned (R20)."""

    order_id = identifier()
    customer_id = identifier()
    item_id = identifier()
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    unit_price = money()
    domestic_shipping = money()
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    at = timestamp()


class ReturnShippingChargedSchema(Schema):
    """Local shipping cost of an exchange or return, added to the 2nd billing (R19)."""

    order_id = identifier()
    customer_id = identifier()
    item_id = identifier()
    cost = money()
    at = timestamp()


class BillingLineSchema(Schema):
    label = fields.String(required=True)
    amount = money()
    # v3: the line in the currency it is priced in (CNY) before conversion at the billing's
    # rate; None when it is already in the billing currency (or for a line from before v3).
    original = money(allow_none=True)


class ServiceFeeSchema(Schema):
    """v3: the service fee rule a billing was computed with (R4)."""

    percent = fields.Decimal(required=True, as_string=True, allow_nan=False)
    minimum = money()


class BillingIssuedSchema(Schema):
    billing_id = identifier()
    order_id = identifier()
    customer_id = identifier()
    kind = fields.String(required=True, validate=validate.OneOf(BILLING_KINDS))
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    amount = money()
    lines = fields.List(fields.Nested(BillingLineSchema), required=True)
    exchange_rate = fields.Decimal(required=True, as_string=True, allow_none=True)
    issued_at = timestamp()
    # v2: what is paid of this revision and whether it is covered (a lowered revision can
    # settle the billing without a payment, R17).
    paid = money()
    settled = fields.Boolean(required=True)
    # v3: the date of the exchange rate (R4) and the service fee rule (1st billing); None for
    # a billing without conversion or fee.
    rate_date = fields.Date(required=True, allow_none=True)
    service_fee = fields.Nested(ServiceFeeSchema, required=True, allow_none=True)


class PaymentReceivedSchema(Schema):
    payment_id = identifier()
    billing_id = identifier()
    order_id = identifier()
    customer_id = identifier()
    kind = fields.String(required=True, validate=validate.OneOf(BILLING_KINDS))
    amount = money()
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    billing_settled = fields.Boolean(required=True)
    received_at = timestamp()
    # v2: the billing revision this payment was made against (None: unknown, from v1). A
    # payment settling an older revision than the order's items does not start purchasing.
    revision = fields.Integer(required=True, strict=True, allow_none=True)


class InspectedItemSchema(Schema):
    item_id = identifier()
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    weight_grams = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1)
    )


class ItemsInspectedSchema(Schema):
    order_id = identifier()
    customer_id = identifier()
    items = fields.List(fields.Nested(InspectedItemSchema), required=True)
    destination_country = fields.String(required=True, validate=validate.Length(equal=2))
    shipping_method = fields.String(required=True)
    inspected_at = timestamp()


class ParcelSchema(Schema):
    parcel_id = identifier()
    weight_grams = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    length_cm = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    width_cm = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    height_cm = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class ShippingQuotedSchema(Schema):
    quote_id = identifier()
    order_id = identifier()
    customer_id = identifier()
    method = fields.String(required=True)
    parcels = fields.List(
        fields.Nested(ParcelSchema), required=True, validate=validate.Length(min=1)
    )
    fee = money()
    quoted_at = timestamp()


class ShippedParcelSchema(Schema):
    parcel_id = identifier()
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True, validate=validate.Length(min=4, max=60))
    tracking_url = fields.Url(required=True)


class ShippedSchema(Schema):
    order_id = identifier()
    customer_id = identifier()
    parcels = fields.List(
        fields.Nested(ShippedParcelSchema), required=True, validate=validate.Length(min=1)
    )
    shipped_at = timestamp()


class ReceptionReportedSchema(Schema):
    order_id = identifier()
    customer_id = identifier()
    all_well = fields.Boolean(required=True)
    comment = personal_text(5000, load_default="")  # sealed (shared/personal)
    # v2: pictures of a problem report, served by orders to the owner and staff (R23).
    photo_ids = fields.List(fields.String(), required=True)
    reported_at = timestamp()


MESSAGE_KINDS = (
    "message",
    "problem",
    "exchange_request",
    "return_request",
    "purchase_condition",
    "inquiry",
)


class MessagePostedSchema(Schema):
    """A message on an order's conversation or a general inquiry (staff consoles watch it)."""

    message_id = identifier()
    conversation_id = identifier()
    order_id = fields.String(required=True, allow_none=True)
    customer_id = fields.String(required=True, allow_none=True)
    sender_role = fields.String(
        required=True, validate=validate.OneOf(("customer", "staff", "visitor", "system"))
    )
    kind = fields.String(required=True, validate=validate.OneOf(MESSAGE_KINDS))
    text = personal_text(10000, required=True)  # sealed under the customer's key
    attachment_ids = fields.List(fields.String(), required=True)
    posted_at = timestamp()
    # v2: the item of the order a request or a purchase condition is about (R13, R19).
    item_id = fields.String(required=True, allow_none=True, validate=validate.Length(max=40))


class PurchaseConditionRequestedSchema(Schema):
    """The customer asked, by message, to confirm something with the seller first (R13)."""

    order_id = identifier()
    customer_id = identifier()
    item_id = identifier()
    text = personal_text(2000, min_length=1, required=True)  # sealed (shared/personal)
    requested_at = timestamp()


class OrderCompletedSchema(Schema):
    order_id = identifier()
    customer_id = identifier()
    reason = fields.String(
        required=True, validate=validate.OneOf(("reception_reported", "no_report_in_30_days"))
    )
    completed_at = timestamp()


class OrderCancelledSchema(Schema):
    order_id = identifier()
    customer_id = identifier()
    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            ("customer_request", "unpaid_7_days", "nothing_purchasable", "staff")
        ),
    )
    cancelled_at = timestamp()


class CustomerForgottenSchema(Schema):
    """A customer was forgotten (GDPR art. 17): their data key is destroyed, so what of them is
    sealed no longer opens; each service removes what it keeps of them unsealed."""

    customer_id = identifier()
    forgotten_at = timestamp()
