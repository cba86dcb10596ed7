"""PostgreSQL text cannot hold U+0000 (NUL): a string carrying one, used as a parameter of any
query, fails the query, and the request answered 500. Every request is therefore looked at
before its view runs: a NUL in the path, the query, a header, a form field or anywhere in a
JSON body (keys too) is refused with a 400 that says so. Any other text, SQL or markup
included, is left for the view to validate and store as the text it is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, request

from shared.domain_errors import ValidationError

NUL = "\x00"
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
# The environ's keys werkzeug's EnvironHeaders makes the headers of (and the two it leaves out).
_CONTENT_KEYS = ("CONTENT_TYPE", "CONTENT_LENGTH")
_HTTP_CONTENT_KEYS = ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")


def refuse_nul_characters(app: Flask) -> None:
    """Install the check on `app` (before any view, its decorators included)."""
    app.before_request(_refuse_nul)


def _refuse_nul() -> None:
    where = _where_nul()
    if where is not None:
        raise ValidationError(f"{where} contains a NUL character (U+0000), which is never accepted")


def _where_nul() -> str | None:
    if NUL in request.path:
        return "the path"
    # In the raw query a NUL is a raw byte or %00: without either, the parsed query has none.
    raw_query = request.query_string
    if (b"\x00" in raw_query or b"%00" in raw_query) and _holds_nul(request.args.items(multi=True)):
        return "the query"
    if _header_holds_nul(request.environ):
        return "a header"
    if request.mimetype in _FORMS:
        # The raw body first, kept: parsing the form would otherwise use the stream up, and
        # what reads the body later (the gateway passing it on, the Idempotency-Key's
        # fingerprint) would find it empty. The form is then parsed from the kept bytes.
        request.get_data(cache=True)
        if _holds_nul(request.form.items(multi=True)):
            return "a form field"
    if request.is_json and _json_may_hold_nul() and _holds_nul(request.get_json(silent=True)):
        return "the JSON body"
    return None


def _header_holds_nul(environ: Mapping[str, Any]) -> bool:
    """A NUL in a header's name or value: the WSGI environ's entries the request's headers are
    made of (HTTP_*, CONTENT_TYPE, CONTENT_LENGTH), read directly, which is a tenth of the cost
    of walking `request.headers` item by item."""
    return any(
        (key in _CONTENT_KEYS or (key.startswith("HTTP_") and key not in _HTTP_CONTENT_KEYS))
        and (NUL in key or (isinstance(value, str) and NUL in value))
        for key, value in environ.items()
    )


def _json_may_hold_nul() -> bool:
    """Valid JSON text spells a NUL only as the escape \\u0000 (a raw NUL byte makes it
    invalid, refused as such later): without that escape, no need to walk the parsed body."""
    raw = request.get_data(cache=True)
    return b"\\u0000" in raw or b"\x00" in raw


def _holds_nul(value: Any) -> bool:
    """True when a NUL is in `value`, a string, or any string inside it (keys included)."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        value = value.items()
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        return any(_holds_nul(item) for item in value)
    return False
