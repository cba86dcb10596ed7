"""A NUL character (U+0000) anywhere in a request's text is refused with a 400 before any view
runs: PostgreSQL text cannot hold one, and a lookup or an append with it answered 500."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from shared.web.errors import register_error_handlers
from shared.web.text_guard import refuse_nul_characters


@pytest.fixture
def client() -> FlaskClient:
    app = Flask("guarded")
    register_error_handlers(app)
    refuse_nul_characters(app)

    @app.route("/orders/<order_id>", methods=["GET", "POST"])
    def echo(order_id: str) -> Any:
        files = {name: len(f.read()) for name, f in request.files.items()}
        return jsonify({"order_id": order_id, "form": request.form, "files": files})

    return app.test_client()


def _refused(answer: Any, where: str) -> None:
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.json["error"] == "validation_error"
    assert answer.json["message"].startswith(where) and "NUL" in answer.json["message"]


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda c: c.get("/orders/a%00b"), "the path"),
        (lambda c: c.get("/orders/a?tab=x%00"), "the query"),
        (lambda c: c.get("/orders/a?x%00=1"), "the query"),
        (lambda c: c.post("/orders/a", headers={"Idempotency-Key": "k\x00"}), "a header"),
        (lambda c: c.post("/orders/a", data={"text": "hi\x00"}), "a form field"),
        (
            lambda c: c.post(
                "/orders/a",
                data={"text": "a\x00", "photos": (io.BytesIO(b"x"), "p.png")},
                content_type="multipart/form-data",
            ),
            "a form field",
        ),
        (lambda c: c.post("/orders/a", json={"note": "x\u0000"}), "the JSON body"),
        (lambda c: c.post("/orders/a", json={"options": {"c\u0000": "v"}}), "the JSON body"),
        (lambda c: c.post("/orders/a", json={"items": [{"title": ["\u0000"]}]}), "the JSON body"),
    ],
)
def test_a_nul_anywhere_in_the_request_is_a_400(client: FlaskClient, call: Any, where: str) -> None:
    _refused(call(client), where)


def test_other_text_binary_files_and_malformed_json_pass_on_to_the_view(
    client: FlaskClient,
) -> None:
    hostile = "'; DROP TABLE events; --\r\nX-Injected: 1 \u202e <script>"
    assert client.post("/orders/a", json={"note": hostile}).status_code == 200
    form = client.post("/orders/a", data={"text": hostile}).get_json()
    assert form["form"] == {"text": hostile}
    photo = {"photos": (io.BytesIO(b"\x89PNG\x00\x00\x00"), "p.png")}
    answer = client.post("/orders/a", data=photo, content_type="multipart/form-data")
    assert answer.get_json()["files"] == {"photos": 7}  # NUL bytes in a file are its content
    malformed = client.post("/orders/a", data=b'{"a": "\\u00', content_type="application/json")
    assert malformed.status_code == 200  # the view decides what a broken body means
