r"""Reading a request's JSON body: one parser for the gateway and every service.

Python's json module reads more than a sender should be able to make us store, and fails on
some input in ways no view expected: a body nested a thousand levels deep raised a
RecursionError, which no view caught (a 500). Every JSON body is therefore read here, and
each case below is refused with a 400 (415 for a charset) whose message says what is wrong:
- larger than MAX_JSON_BYTES (413): read before anything else, so a body of many megabytes is
  never parsed into many gigabytes;
- nested deeper than MAX_DEPTH: no body we take, PayPal's notices included, comes near it, and
  a bound far below Python's recursion limit keeps the parser, and every walk over what it
  returns (the NUL guard, marshmallow), from ever running out of stack;
- NaN, Infinity, -Infinity: not JSON (RFC 8259), and an amount or a quantity must never be one;
- a number too large: an integer beyond 64 bits (nothing of ours counts that far, PostgreSQL's
  bigint stops there, and Python refuses to convert 4300 digits and more), or a fraction that
  is only a float as infinity (1e999999);
- a key twice in one object: json keeps the last one silently, so the sender and we could read
  two different requests; the message names the key;
- bytes that are not UTF-8, or a charset other than UTF-8 (415): JSON between systems is UTF-8
  (RFC 8259 section 8.1); a body sent in latin-1 or UTF-16 would be read as other text;
- a \u escape of half a UTF-16 surrogate pair ("\ud800" alone): valid JSON syntax, but no
  character, so no UTF-8 spells it and PostgreSQL could not store it (a 500).
A UTF-8 byte order mark at the very start is accepted and skipped, everywhere alike: RFC 8259
lets a parser ignore it, some Windows tools add it, and the parser used before accepted it,
so refusing it would break a client that works today for no safety gained."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, Request, request

from shared.web.request_errors import InvalidJsonError, JsonTooLargeError, UnsupportedCharsetError

# The largest body we take, an order of 50 items with every text field at its maximum length
# and every character written as a \uXXXX escape, is about 0.6 MB.
MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32
MAX_INTEGER = 2**63 - 1
BOM = "\ufeff"
UTF8_NAMES = frozenset({"utf-8", "utf8"})
# A JSON string (escapes included); what remains outside strings decides the nesting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# A \u escape of a surrogate (D800-DFFF): only with one can a parsed string hold half a pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SHOWN = 40  # characters of a refused number or key quoted in a message


def parse_json(raw: bytes, charset: str | None = None) -> Any:
    """The JSON value in `raw`, sent with `charset` (the Content-Type's parameter, if any);
    InvalidJsonError (400) or UnsupportedCharsetError (415) says why it cannot be read."""
    if charset is not None and charset.strip().strip('"').lower() not in UTF8_NAMES:
        raise UnsupportedCharsetError(
            f"JSON is read in UTF-8 only, and this body says charset={charset}: "
            "send it in UTF-8 (with charset=utf-8 or no charset)"
        )
    text = _utf8(raw)
    if text.startswith(BOM):
        text = text[len(BOM) :]
    if _deeper_than(text, MAX_DEPTH):
        raise _too_deep()
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_fraction,
        )
    except json.JSONDecodeError as exc:
        raise InvalidJsonError(
            f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:  # kept should MAX_DEPTH ever be raised near the recursion limit
        raise _too_deep() from None
    if _SURROGATE_ESCAPE.search(text) and _holds_half_a_pair(value):
        raise InvalidJsonError(
            "the body holds \\u escapes of half a UTF-16 surrogate pair, which is no character: "
            "escape a character outside the BMP as a whole pair, or send it as UTF-8"
        )
    return value


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJsonError(
            f"the body is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}): "
            "JSON must be sent in UTF-8"
        ) from None


def _deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels in `text`. Brackets inside
    strings do not count; for text that is not JSON the answer only needs to be a bound."""
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def _holds_half_a_pair(value: Any) -> bool:
    """Whether a string in `value` (keys included) holds a lone surrogate. Iterative: the
    depth is bounded, but nothing here needs to rely on it."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _too_deep() -> InvalidJsonError:
    return InvalidJsonError(
        f"the body nests arrays or objects more than {MAX_DEPTH} levels deep, "
        "which no request needs"
    )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidJsonError(
                    f"the key {_shown(json.dumps(key))} appears more than once in one object: "
                    "send each key once"
                )
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise InvalidJsonError(f"{name} is not a number JSON allows: send a finite number")


def _integer(literal: str) -> int:
    # The length first: Python converts no more than 4300 digits (ValueError), and 20 digits
    # already exceed 64 bits.
    value = int(literal) if len(literal.lstrip("-")) <= 19 else None
    if value is None or abs(value) > MAX_INTEGER:
        raise InvalidJsonError(
            f"the number {_shown(literal)} is too large: integers go up to {MAX_INTEGER}"
        )
    return value


def _fraction(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise InvalidJsonError(f"the number {_shown(literal)} is too large to be read")
    return value


def _shown(text: str) -> str:
    """`text` as a message quotes it: at most _SHOWN characters, and how many more."""
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}... ({len(text)} characters)"


class JsonRequest(Request):
    """Flask's request, whose JSON body is read by parse_json.

    `silent=True` still returns None for a body that is not JSON at all (another Content-Type)
    or empty, as before; a body that says it is JSON but cannot be read is always refused,
    with a message saying why, instead of reaching the view as "no body"."""

    _parsed_json: Any = ...

    @property
    def max_content_length(self) -> int | None:
        """The app's limit, and MAX_JSON_BYTES for a JSON body: whatever reads the body first
        (the NUL guard, the Idempotency-Key's fingerprint, the gateway passing it on) stops
        there, even for a body sent in chunks with no length said (a 413)."""
        limit = super().max_content_length
        if not self.is_json:
            return limit
        return MAX_JSON_BYTES if limit is None else min(limit, MAX_JSON_BYTES)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The request's JSON value (see the class)."""
        if not (force or self.is_json):
            return super().get_json(force=force, silent=silent, cache=cache)
        if cache and self._parsed_json is not ...:
            return self._parsed_json
        raw = self.get_data(cache=True)
        if not raw.strip():
            if silent:
                return None
            raise InvalidJsonError("the body is empty: send a JSON value")
        parsed = parse_json(raw, self.mimetype_params.get("charset"))
        if cache:
            self._parsed_json = parsed
        return parsed


def read_json_strictly(app: Flask) -> None:
    """Make every `request.get_json()` of `app` use parse_json, and cap JSON bodies."""
    app.request_class = JsonRequest
    app.before_request(_cap_json_body)


def _cap_json_body() -> None:
    """Refuse a JSON body over MAX_JSON_BYTES in a sentence, before a view sees it."""
    if not request.is_json:
        return
    size = request.content_length
    if not size:
        # Sent in chunks, with no length said: reading stopped at the cap (max_content_length
        # above), silently; one byte more in the raw input means the body went past it.
        request.get_data(cache=True)
        if request.input_stream.read(1):
            raise JsonTooLargeError(f"a JSON body is at most {MAX_JSON_BYTES} bytes")
    elif size > MAX_JSON_BYTES:
        raise JsonTooLargeError(
            f"a JSON body is at most {MAX_JSON_BYTES} bytes, and this one is {size} bytes"
        )
