"""The pages' flash messages ride in Flask's signed session cookie, whose serializer the
gateway makes once per key: a message still reaches the next page, a cookie signed with
another key is still ignored, and a new key gets a new serializer."""

from __future__ import annotations

from flask import Flask, flash, get_flashed_messages

from services.gateway.entrypoints.pages import FlashCookies


def _app(key: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = key
    app.session_interface = FlashCookies()

    @app.post("/say")
    def say() -> str:
        flash("saved")
        return "ok"

    @app.get("/read")
    def read() -> str:
        return ",".join(str(message) for message in get_flashed_messages())

    return app


def test_a_flash_message_reaches_the_next_page_once() -> None:
    client = _app("k1").test_client()
    client.post("/say")
    assert client.get("/read").get_data(as_text=True) == "saved"
    assert client.get("/read").get_data(as_text=True) == ""


def test_a_cookie_signed_with_another_key_is_ignored() -> None:
    said = _app("k1").test_client()
    said.post("/say")
    cookie = said.get_cookie("session")
    assert cookie is not None
    other = _app("k2").test_client()
    other.set_cookie("session", cookie.value)
    assert other.get("/read").get_data(as_text=True) == ""


def test_the_serializer_is_made_once_per_key() -> None:
    app = _app("k1")
    cookies = FlashCookies()
    first = cookies.get_signing_serializer(app)
    assert first is not None and cookies.get_signing_serializer(app) is first
    app.secret_key = "k2"
    assert cookies.get_signing_serializer(app) is not first
