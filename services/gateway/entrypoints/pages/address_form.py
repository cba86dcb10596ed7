"""A delivery address typed into the account page, checked by the orders API's own address
schema (shared.web.address_schema) and refused with the same sentences as the order form's,
beside the same fields."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

from services.gateway.domain.addresses import ADDRESS_FIELDS
from services.gateway.entrypoints.pages.form_errors import ORDER_FORM, FormErrors, form_errors
from shared.web.address_schema import AddressSchema


class _Wrapped(Schema):
    # Refusals then carry the order form's paths (`address.city`), so its sentences apply.
    address = fields.Nested(AddressSchema, required=True)


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
