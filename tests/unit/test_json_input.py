"""The one JSON parser of the gateway and every service (shared.web.json_input), case by case:
what it refuses, with which sentence, and what it reads as Python's json would."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from shared.web.errors import register_error_handlers
from shared.web.json_input import (
    MAX_DEPTH,
    MAX_INTEGER,
    MAX_JSON_BYTES,
    parse_json,
    read_json_strictly,
)
from shared.web.request_errors import InvalidJsonError, UnsupportedCharsetError
from shared.web.text_guard import refuse_nul_characters


def _refusal(raw: bytes, charset: str | None = None) -> str:
    with pytest.raises(InvalidJsonError) as refused:
        parse_json(raw, charset)
    return str(refused.value)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b"[" * 100_000,  # never closed: still too deep, not a RecursionError
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"items": [' + b"{}," * 50 + b'{"a": [[[' * 11 + b"]]]}" * 11 + b"]}",
    ],
)
def test_a_body_nested_too_deep_is_refused_before_python_recurses(raw: bytes) -> None:
    assert f"more than {MAX_DEPTH} levels deep" in _refusal(raw)


def test_nesting_up_to_the_limit_and_brackets_inside_strings_are_read() -> None:
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(nested.encode()) == json.loads(nested)
    brackets = {"note": "[[[[" * 100 + '\\"{{{{' * 100}
    assert parse_json(json.dumps(brackets).encode()) == brackets


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_numbers_we_read(constant: str) -> None:
    message = _refusal(f'{{"amount": {constant}}}'.encode())
    assert message == f"{constant} is not a number JSON allows: send a finite number"


@pytest.mark.parametrize(
    "literal",
    ["1e999999", "-1e400", "9" * 100_000, "-" + "9" * 5000, str(MAX_INTEGER + 1), "9" * 20],
)
def test_numbers_too_large_for_any_field_are_refused_and_the_message_stays_short(
    literal: str,
) -> None:
    message = _refusal(f'{{"quantity": {literal}}}'.encode())
    assert message.startswith("the number ") and "too large" in message
    assert len(message) < 200


def test_numbers_within_range_are_read_as_pythons_json_reads_them() -> None:
    raw = f"[{MAX_INTEGER}, -{MAX_INTEGER}, 0, 1.5, -2e-3, 1e308, 1e-999]".encode()
    assert parse_json(raw) == json.loads(raw)


def test_a_key_given_twice_is_refused_and_named() -> None:
    message = _refusal(b'{"items": [{"title": "a", "quantity": 1, "quantity": 900}]}')
    assert message == (
        'the key "quantity" appears more than once in one object: send each key once'
    )
    assert parse_json(b'[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]  # one per object


def test_bytes_that_are_not_utf8_are_refused_with_where() -> None:
    message = _refusal(b'{"email": "caf\xe9"}')
    assert message == (
        "the body is not valid UTF-8 (byte 0xe9 at offset 14): JSON must be sent in UTF-8"
    )
    assert "not valid UTF-8" in _refusal(b'{"a": "\xed\xa0\x80"}')  # an encoded surrogate


@pytest.mark.parametrize(
    "raw",
    [
        b'{"subject": "\\ud800"}',
        b'{"text": "ok \\udfff\\ud83d"}',
        b'{"items": [{"options": {"colour\\uDBFF": "red"}}]}',  # a key
        b'["\\ud83d\\ud83d\\ude00"]',  # a pair after a lone half
    ],
)
def test_half_of_a_surrogate_pair_is_no_character_and_is_refused(raw: bytes) -> None:
    assert _refusal(raw) == (
        "the body holds \\u escapes of half a UTF-16 surrogate pair, which is no character: "
        "escape a character outside the BMP as a whole pair, or send it as UTF-8"
    )


def test_whole_surrogate_pairs_and_an_escaped_backslash_are_text() -> None:
    assert parse_json(b'["\\ud83d\\ude00", "\\\\ud800"]') == ["\U0001f600", "\\ud800"]


def test_utf16_sent_without_saying_so_is_not_json() -> None:
    assert _refusal('{"a": 1}'.encode("utf-16-le")).startswith("the body is not valid JSON")


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "utf-16", "UTF-32", "ascii"])
def test_a_charset_other_than_utf8_is_unsupported(charset: str) -> None:
    with pytest.raises(UnsupportedCharsetError) as refused:
        parse_json(b'{"a": 1}', charset)
    assert f"charset={charset}" in str(refused.value) and "UTF-8" in str(refused.value)


@pytest.mark.parametrize("charset", [None, "utf-8", "UTF-8", "utf8", '"utf-8"'])
def test_utf8_said_or_not_is_read(charset: str | None) -> None:
    assert parse_json('{"note": "café ✓"}'.encode(), charset) == {"note": "café ✓"}


def test_a_utf8_byte_order_mark_at_the_start_is_skipped_and_nowhere_else() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert "not valid JSON" in _refusal(b'{"a": 1}\xef\xbb\xbf')
    assert "not valid JSON" in _refusal(b"\xef\xbb\xbf\xef\xbb\xbf{}")


def test_text_that_is_not_json_says_where_it_breaks() -> None:
    assert _refusal(b'{"a": 1,}') == (
        "the body is not valid JSON: Expecting property name enclosed in double quotes "
        "(line 1, column 9)"
    )


@pytest.fixture
def client() -> FlaskClient:
    app = Flask("strict")
    register_error_handlers(app)
    read_json_strictly(app)  # as the apps do: first, so the cap is said in a sentence
    refuse_nul_characters(app)

    @app.post("/echo")
    def echo() -> Any:
        payload = request.get_json(silent=True)
        return jsonify({"payload": payload, "again": request.get_json(silent=True) is payload})

    return app.test_client()


def _posted(client: FlaskClient, raw: bytes, content_type: str = "application/json") -> Any:
    return client.post("/echo", data=raw, content_type=content_type)


def test_an_app_refuses_an_unreadable_body_with_our_error_body(client: FlaskClient) -> None:
    deep = _posted(client, b"[" * 1000 + b"]" * 1000)
    assert deep.status_code == 400
    assert deep.json == {
        "error": "invalid_json",
        "message": f"the body nests arrays or objects more than {MAX_DEPTH} levels deep, "
        "which no request needs",
    }
    latin = _posted(client, b'{"a": "\xe9"}', "application/json; charset=latin-1")
    assert latin.status_code == 415 and latin.json["error"] == "unsupported_charset"


def test_the_nul_guard_reads_json_with_the_same_parser(client: FlaskClient) -> None:
    # The guard walks a body holding \u0000: a deep one is refused as deep, never a 500.
    deep = _posted(client, b'["\\u0000",' + b"[" * 1000 + b"]" * 1000 + b"]")
    assert deep.status_code == 400 and deep.json["error"] == "invalid_json"


def test_an_app_reads_good_json_once_and_no_body_as_none(client: FlaskClient) -> None:
    assert _posted(client, b'\xef\xbb\xbf{"a": [1]}').json == {
        "payload": {"a": [1]},
        "again": True,
    }
    assert _posted(client, b"").json == {"payload": None, "again": True}
    assert _posted(client, b"a=1", "application/x-www-form-urlencoded").json["payload"] is None


def _padded(size: int) -> bytes:
    """A valid JSON object of exactly `size` bytes."""
    return b'{"note": "' + b"x" * (size - 12) + b'"}'


def test_a_json_body_over_the_cap_is_a_413_before_anything_reads_it(client: FlaskClient) -> None:
    assert _posted(client, _padded(MAX_JSON_BYTES)).status_code == 200
    over = _posted(client, _padded(MAX_JSON_BYTES + 1))
    assert over.status_code == 413
    assert over.json == {
        "error": "json_too_large",
        "message": f"a JSON body is at most {MAX_JSON_BYTES} bytes, "
        f"and this one is {MAX_JSON_BYTES + 1} bytes",
    }
    # Sent in chunks, with no length said: reading stops at the cap, and says so.
    for size, status in ((MAX_JSON_BYTES, 200), (MAX_JSON_BYTES + 1, 413)):
        chunked = client.post(
            "/echo",
            input_stream=io.BytesIO(_padded(size)),
            content_type="application/json",
            environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
        )
        assert chunked.status_code == status
    assert chunked.json == {
        "error": "json_too_large",
        "message": f"a JSON body is at most {MAX_JSON_BYTES} bytes",
    }
    form = client.post("/echo", data={"note": "x" * (MAX_JSON_BYTES + 1)})
    assert form.status_code == 200  # the cap is for JSON: forms and uploads have their own
