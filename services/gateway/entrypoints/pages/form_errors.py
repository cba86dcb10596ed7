"""A service's refusal of a form, in words beside each field: the one place that maps the
services' error paths (`items.0.quantity`) to the form's fields (`items-0-quantity`) and
their messages ("Not a valid integer.") to sentences a customer understands.

The services answer a refused body 400 `{"error", "message"}`; for a marshmallow refusal the
message is already the structured map of paths to messages (shared/web/errors.py), and a
rule's refusal is one sentence. Every form of the pages passes its refusal through here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.gateway.adapters.upstream import ServiceAnswer

# path (numbers as '#') -> (form field, label; {n} is the row counted from 1, hint or '')
Spec = Mapping[str, tuple[str, str, str]]

ORDER_FORM: Spec = {
    "items": ("items-0-url", "Your order", "at least one item, with its URL"),
    "items.#.url": ("items-{i}-url", "The item URL of item {n}", "the item page's address"),
    "items.#.title": ("items-{i}-title", "The title of item {n}", ""),
    "items.#.options": ("items-{i}-options", "The options of item {n}", "like colour: navy"),
    "items.#.quantity": ("items-{i}-quantity", "Quantity of item {n}", ""),
    "items.#.unit_price_cny": ("items-{i}-unit_price_cny", "The unit price of item {n}", ""),
    "items.#.domestic_shipping_cny": (
        "items-{i}-domestic_shipping_cny",
        "China shipping of item {n}",
        "",
    ),
    "address.name": ("address-name", "The name", ""),
    "address.line1": ("address-line1", "The address", ""),
    "address.line2": ("address-line2", "The second address line", ""),
    "address.city": ("address-city", "The city", ""),
    "address.postal_code": ("address-postal_code", "The postal code", "2 to 12 letters or digits"),
    "address.country": ("address-country", "The country", "a two-letter code, like FR or DE"),
    "address.phone": ("address-phone", "The phone number", "digits, spaces and + ( ) -"),
    "shipping_method": ("shipping_method", "The shipping method", "one of the methods listed"),
    "note": ("note", "The note", ""),
}
MESSAGE_FORM: Spec = {"text": ("text", "The message", ""), "item_id": ("text", "The item", "")}
RECEPTION_FORM: Spec = {"comment": ("comment", "What is wrong", "")}
FEEDBACK_FORM: Spec = {
    "rating": ("rating", "The rating", "from 1 to 5"),
    "text": ("text", "The comment", ""),
}
ESTIMATE_FORM: Spec = {
    "country": ("country", "The destination country", "a two-letter code, like FR or DE"),
    "weight_grams": ("weight_grams", "The weight", "in grams, like 1200"),
    "length_cm": ("length_cm", "The length", "in centimetres, like 30"),
    "width_cm": ("width_cm", "The width", "in centimetres, like 20"),
    "height_cm": ("height_cm", "The height", "in centimetres, like 10"),
}
PAYMENT_REPORT_FORM: Spec = {
    "payer_name": ("payer_name", "The payer's name", ""),
    "paid_on": ("paid_on", "The transfer date", "a date, like 2026-12-01"),
    "amount": ("amount", "The amount", ""),
    "currency": ("amount", "The currency", ""),
}
# Beside each item's quantity field (rows: the change's number -> its item id).
ITEM_CHANGES_FORM: Spec = {"changes.#.quantity": ("quantity-{i}", "The quantity", "")}
# "Confirm the following before purchasing the item" (R13), one form per item.
CONDITION_FORM: Spec = {"text": ("text", "What to confirm with the seller", "")}
# A rule's one-sentence refusal that is about one field: (its first words, the field).
SENTENCE_FIELDS: tuple[tuple[str, str], ...] = (
    ("attachment", "attachments"),
    ("a message carries at most", "attachments"),
    ("a message has at most", "text"),
    ("a message needs text", "text"),
    ("a report takes at most", "photos"),
    ("picture", "photos"),
    ("the rating", "rating"),
    ("say what to confirm with the seller", "text"),
    ("report a positive amount", "amount"),
    ("the transfer date", "paid_on"),
    ("give a valid e-mail", "email"),
    ("an account with this e-mail", "email"),
    ("a password", "password"),
    ("this password", "password"),  # too common, or holding the e-mail (R26)
)


@dataclass(frozen=True)
class FormErrors:
    """What is wrong with a submitted form: a sentence per form field, and what concerns
    no one field."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    prefix: str = ""  # of the ids on a page with several forms: `message-` (field-message-text)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def of(self, name: str) -> str:
        """The sentence beside the field `name` ('' when it is fine)."""
        return self.fields.get(name, "")

    @property
    def sentences(self) -> list[str]:
        """Every sentence, the general ones first (for the summary above the form)."""
        return [*self.general, *self.fields.values()]


def form_errors(message: Any, spec: Spec, rows: Mapping[int, str] | None = None) -> FormErrors:
    """The service's refusal `message` as sentences beside the fields of the form `spec`.
    `rows` names a numbered path's form field when it is not the row number (an item id)."""
    found = FormErrors()
    if isinstance(message, Mapping):
        for path, texts in _paths(message, ()):
            _place(found, path, texts, spec, rows or {})
    elif message:
        _place_sentence(found, str(message))
    return found


def sentence(text: str) -> str:
    """A service's lower-case reason as a sentence: capital first, full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _paths(
    message: Mapping[str, Any], prefix: tuple[str, ...]
) -> list[tuple[tuple[str, ...], list[str]]]:
    found: list[tuple[tuple[str, ...], list[str]]] = []
    for key, value in message.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping):
            found.extend(_paths(value, path))
        elif isinstance(value, list):
            texts = [str(v) for v in value if not isinstance(v, (Mapping, list))]
            found.append((path, texts))
        else:
            found.append((path, [str(value)]))
    return found


def _place(
    found: FormErrors,
    path: tuple[str, ...],
    texts: list[str],
    spec: Spec,
    rows: Mapping[int, str],
) -> None:
    numbers = [int(part) for part in path if part.isdigit()]
    pattern = ".".join("#" if part.isdigit() else part for part in path)
    if pattern not in spec:  # a field this form does not show: said above the form
        label = f"The {path[-1].replace('_', ' ')}"
        found.general.extend(_worded(label, text, "") for text in texts)
        return
    name, label, hint = spec[pattern]
    row = numbers[0] if numbers else 0
    name = name.format(i=rows.get(row, row))
    label = label.format(n=row + 1)
    said = " ".join(_worded(label, text, hint) for text in texts)
    found.fields[name] = f"{found.fields[name]} {said}" if name in found.fields else said


def _place_sentence(found: FormErrors, text: str) -> None:
    for start, name in SENTENCE_FIELDS:
        if text.lower().startswith(start):
            found.fields[name] = sentence(text)
            return
    found.general.append(sentence(text))


_RANGE = re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.")
_LENGTH = re.compile(r"Length must be between (\d+) and (\d+)\.")
_EQUAL = re.compile(r"Length must be (\d+)\.")
_LONGER = re.compile(r"Longer than maximum length (\d+)\.")


def _worded(label: str, text: str, hint: str) -> str:
    """One marshmallow message about the field `label` as a sentence."""
    like = f" ({hint})" if hint else ""
    if text in ("Missing data for required field.", "Field may not be null."):
        return f"{label} is needed{like}."
    if text == "Not a valid integer.":
        return f"{label} must be a whole number, like 2."
    if text == "Not a valid date.":
        return f"{label} must be {hint or 'a date'}."
    if text in ("Not a valid number.", "Not a valid decimal."):
        return f"{label} must be a number, like 12.50."
    if text == "Not a valid URL.":
        return f"{label} must be a web address starting with https://."
    if text == "String does not match expected pattern.":
        return f"{label} is not written as expected{': ' + hint if hint else ''}."
    if text.startswith("Must be one of:"):
        return f"{label} must be {hint or 'one of the choices offered'}."
    if match := _RANGE.fullmatch(text):
        return f"{label} must be from {match[1]} to {match[2]}."
    if match := _LENGTH.fullmatch(text):
        low, high = int(match[1]), int(match[2])
        if _counts_entries(label):
            return f"{label} needs {hint or f'{low} to {high} entries'}."
        if low <= 1:
            return f"{label} is needed, up to {high} characters."
        return f"{label} must have {low} to {high} characters."
    if match := _EQUAL.fullmatch(text):
        return f"{label} must be {hint or f'{match[1]} characters long'}."
    if match := _LONGER.fullmatch(text):
        return f"{label} can have at most {match[1]} characters."
    if text.startswith("the URL must be"):
        return f"{label} {text.removeprefix('the URL ')}."
    return f"{label}: {sentence(text)}"


def _counts_entries(label: str) -> bool:
    # The whole list of items: its length is a count of entries, not of characters.
    return label == "Your order"


def refusal(
    answer: ServiceAnswer, spec: Spec | None = None, rows: Mapping[int, str] | None = None
) -> FormErrors:
    """A refused `answer` of a service as sentences beside the fields of the form `spec`."""
    body = answer.body if isinstance(answer.body, Mapping) else {}
    return form_errors(body.get("message") or answer.message, spec or {}, rows)
