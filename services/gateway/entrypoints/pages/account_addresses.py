"""The delivery addresses kept on the account page (R26), and what the order form takes from
them: the pick of a saved address, the default one filling a new form, and "save this
address" when an order is applied. Another person's address is not found (404)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, request
from flask.typing import ResponseReturnValue

from services.gateway.adapters.accounts_store import Session
from services.gateway.domain.addresses import (
    ADDRESS_FIELDS,
    SavedAddress,
    TooManyAddressesError,
)
from services.gateway.entrypoints.pages.account import account_view, saved_addresses
from services.gateway.entrypoints.pages.address_form import checked_address
from services.gateway.entrypoints.pages.common import html_errors
from services.gateway.entrypoints.pages.form_errors import FormErrors, sentence
from services.gateway.entrypoints.sessions import current_session, gateway, signed_in
from shared.web.identity import ForbiddenError

address_pages = Blueprint("address_pages", __name__)
html_errors(address_pages)


def customer_signed_in() -> Session:
    """The caller's session, a customer's: addresses are for orders, which staff do not
    place (403 for staff)."""
    session = signed_in()
    if session.account.role != "customer":
        raise ForbiddenError("delivery addresses are kept by customers")
    return session


def _owned(account_id: str, address_id: str) -> SavedAddress:
    address = saved_addresses().get(account_id, address_id)
    if address is None:
        abort(404)
    return address


@address_pages.post("/account/addresses")
def add_address() -> ResponseReturnValue:
    """Keep a new delivery address; a refused one comes back as typed."""
    session = customer_signed_in()
    typed, errors = checked_address(request.form)
    if errors:
        return account_view(session, 400, address_form=_as_typed(), address_errors=errors)
    try:
        saved_addresses().add(session.account.account_id, typed, gateway().clock.now())
    except TooManyAddressesError as exc:
        refused = FormErrors(general=[sentence(str(exc))])
        return account_view(session, 400, address_form=_as_typed(), address_errors=refused)
    return _to_addresses("The address is saved; pick it on the order form.")


@address_pages.get("/account/addresses/<address_id>")
def edit_address_page(address_id: str) -> ResponseReturnValue:
    """The account page with one of the account's addresses in the form, to change it."""
    session = customer_signed_in()
    return account_view(session, editing=_owned(session.account.account_id, address_id))


@address_pages.post("/account/addresses/<address_id>")
def edit_address(address_id: str) -> ResponseReturnValue:
    """Change one of the account's addresses; a refused change comes back as typed."""
    session = customer_signed_in()
    editing = _owned(session.account.account_id, address_id)
    typed, errors = checked_address(request.form)
    if errors:
        return account_view(
            session, 400, address_form=_as_typed(), address_errors=errors, editing=editing
        )
    saved_addresses().update(session.account.account_id, address_id, typed)
    return _to_addresses("The address is changed.")


@address_pages.post("/account/addresses/<address_id>/default")
def make_default_address(address_id: str) -> ResponseReturnValue:
    """Make one of the account's addresses the one a new order form starts with."""
    session = customer_signed_in()
    if not saved_addresses().make_default(session.account.account_id, address_id):
        abort(404)
    return _to_addresses("New order forms now start with this address.")


@address_pages.post("/account/addresses/<address_id>/delete")
def delete_address(address_id: str) -> ResponseReturnValue:
    """Forget one of the account's addresses (orders already applied keep theirs)."""
    session = customer_signed_in()
    if not saved_addresses().delete(session.account.account_id, address_id):
        abort(404)
    return _to_addresses("The address is deleted; orders already applied keep their address.")


def _to_addresses(done: str) -> ResponseReturnValue:
    """Back to the account page's addresses, saying what was `done`."""
    flash(done, "success")
    return redirect("/account#addresses", code=303)


def _as_typed() -> dict[str, str]:
    """The address fields exactly as typed, for a refused form shown again."""
    return {f"address-{name}": request.form.get(f"address-{name}", "") for name in ADDRESS_FIELDS}


# --- the order form's side ---------------------------------------------------------------------
def address_choice(account_id: str, form: Mapping[str, str]) -> dict[str, Any]:
    """What the order form needs to offer the caller's saved addresses: them, them as JSON
    for its script (address id -> the `address-<field>` values), and the one the form's
    fields hold now (selected in the pick)."""
    addresses = saved_addresses().of(account_id)
    picked = next(
        (
            a.address_id
            for a in addresses
            if all(form.get(name, "") == value for name, value in a.as_form().items())
        ),
        "",
    )
    return {
        "saved_addresses": addresses,
        "saved_addresses_json": json.dumps({a.address_id: a.as_form() for a in addresses}),
        "picked_address": picked,
    }


def first_address_fields(account_id: str, wanted: str | None) -> dict[str, str]:
    """The address a new order form starts with: the one picked (`?address=<id>`, the pick
    without a script; `?address=` for none), else the default, else none."""
    book = saved_addresses()
    if wanted is not None:
        picked = book.get(account_id, wanted) if wanted else None
        return picked.as_form() if picked is not None else {}
    default = next((a for a in book.of(account_id) if a.is_default), None)
    return default.as_form() if default is not None else {}


def remember_order_address(
    account_id: str, form: Mapping[str, str], address: Mapping[str, str]
) -> None:
    """Keep an applied order's address when the customer ticked "save this address" (the
    orders API accepted it, so it meets the rules); says so when the book is full."""
    session = current_session()
    if form.get("save_address") != "yes" or session is None:
        return
    if session.account.role != "customer":
        return  # staff keep no addresses
    book = saved_addresses()
    if book.find(account_id, address) is not None:
        return  # kept already: no twin
    try:
        book.add(account_id, address, gateway().clock.now())
    except TooManyAddressesError as exc:
        flash(f"The address is not saved: {exc}.", "error")
        return
    flash("The address is saved on your account.", "success")
