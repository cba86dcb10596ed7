"""A delivery address typed into the account page, checked by the same rules as the orders
API checks an order's address (services/orders/entrypoints/schemas.py `AddressRequest`; the
gateway may not import a service, so tests/unit/test_saved_address_form.py holds the two
together) and refused with the same sentences as the order form's, beside the same fields."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from services.gateway.domain.addresses import ADDRESS_FIELDS
from services.gateway.entrypoints.pages.form_errors import ORDER_FORM, FormErrors, form_errors


def _text(maximum: int, required: bool = True) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=maximum))
    return fields.String(load_default="", validate=validate.Length(max=maximum))


class AddressForm(Schema):
    """The orders API's address rules."""

    name = _text(100)
    line1 = _text(200)
    line2 = _text(200, required=False)
    city = _text(100)
    postal_code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9 -]{2,12}$"))
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    phone = fields.String(load_default="", validate=validate.Regexp(r"^[0-9 +()-]{0,25}$"))


class _Wrapped(Schema):
    # Refusals then carry the order form's paths (`address.city`), so its sentences apply.
    address = fields.Nested(AddressForm, required=True)


def typed_address(form: MultiDict[str, str]) -> dict[str, str]:
    """The `address-<field>` values as the order form passes them on: trimmed, the country
    in capitals, an empty field empty (so a refusal reads as the order form's)."""
    typed = {name: form.get(f"address-{name}", "").strip() for name in ADDRESS_FIELDS}
    typed["country"] = typed["country"].upper()
    return typed


def checked_address(form: MultiDict[str, str]) -> tuple[dict[str, str], FormErrors]:
    """The typed address and what is wrong with it (nothing, when it may be kept)."""
    typed = typed_address(form)
    try:
        _Wrapped().load({"address": typed})
    except ValidationError as exc:
        return typed, form_errors(exc.messages, ORDER_FORM)
    return typed, FormErrors()
