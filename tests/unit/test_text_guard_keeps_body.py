"""The NUL guard looks at form fields without using the body up: what runs after it (the
gateway passing the body on, the Idempotency-Key fingerprint) still reads every byte."""

from __future__ import annotations

import io

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from shared.web.text_guard import refuse_nul_characters


def _app() -> Flask:
    app = Flask(__name__)
    refuse_nul_characters(app)

    @app.post("/echo")
    def echo() -> ResponseReturnValue:
        return jsonify(
            {"raw": len(request.get_data()), "field": request.form.get("checked_quantity")}
        )

    return app


def test_a_multipart_body_is_still_whole_after_the_guard_read_its_fields() -> None:
    client = _app().test_client()
    answer = client.post(
        "/echo",
        data={"checked_quantity": "2", "photos": (io.BytesIO(b"x" * 100), "a.png")},
        content_type="multipart/form-data",
    )
    body = answer.get_json()
    assert answer.status_code == 200 and body["field"] == "2"
    assert body["raw"] > 100  # the whole multipart body, not the empty rest of a stream
