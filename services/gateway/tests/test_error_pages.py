"""A page's error is a page in the site's style with a way back (404, 403, 500, 503); the
JSON routes (`/api`, `/auth`, `/webhooks`) keep their `{"error", "message"}` bodies."""

from __future__ import annotations

from flask import Flask, abort
from flask.testing import FlaskClient

from services.gateway.adapters.upstream import ServiceUnavailableError
from services.gateway.entrypoints.app import register_gateway_errors
from services.gateway.entrypoints.pages import STATIC, TEMPLATES
from services.gateway.entrypoints.pages.error_pages import serve_errors_as_pages
from shared.events.errors import OperationalError


def _client() -> FlaskClient:
    """The gateway's error wiring over routes that fail the ways a page or an API can."""
    app = Flask("services.gateway", template_folder=str(TEMPLATES), static_folder=str(STATIC))
    register_gateway_errors(app)

    def fails(exc: Exception) -> str:
        raise exc

    for prefix in ("/orders", "/api/orders", "/webhooks/bank"):
        app.add_url_rule(f"{prefix}/bug", f"{prefix}-bug", lambda: fails(RuntimeError("bug")))
        app.add_url_rule(
            f"{prefix}/down",
            f"{prefix}-down",
            lambda: fails(ServiceUnavailableError("billing")),
        )
    app.add_url_rule("/signin", "signin", lambda: fails(OperationalError("db gone")))
    app.add_url_rule("/billings/x/pay", "theirs", lambda: abort(404))
    serve_errors_as_pages(app)
    return app.test_client()


def test_an_unknown_page_is_a_not_found_page_with_a_way_home() -> None:
    answer = _client().get("/no-such-page")
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    text = answer.get_data(as_text=True)
    assert "Page not found" in text and "cnnect.css" in text  # the site's style
    assert 'href="/"' in text and 'href="/signin"' in text


def test_a_page_refused_as_not_found_reads_as_an_unknown_page() -> None:
    client = _client()
    theirs = client.get("/billings/x/pay").get_data(as_text=True)
    unknown = client.get("/no-such-page").get_data(as_text=True)
    assert theirs == unknown  # nothing tells a stranger that the billing exists


def test_a_bug_behind_a_page_is_an_apology_page_not_json() -> None:
    answer = _client().get("/orders/bug")
    assert answer.status_code == 500 and answer.mimetype == "text/html"
    text = answer.get_data(as_text=True)
    assert "Something went wrong" in text and "Nothing was lost" in text
    assert "bug" not in text.replace("debug", "")  # the exception's text stays in the log


def test_a_service_down_behind_a_page_names_the_part_that_is_unavailable() -> None:
    answer = _client().get("/orders/down")
    assert answer.status_code == 503 and answer.mimetype == "text/html"
    text = answer.get_data(as_text=True)
    assert "Billing and payments is unavailable right now." in text
    assert 'id="unavailable-part"' in text


def test_accounts_store_down_is_a_page_naming_sign_in() -> None:
    answer = _client().get("/signin")
    assert answer.status_code == 503 and answer.mimetype == "text/html"
    assert "Accounts and sign-in is unavailable" in answer.get_data(as_text=True)


def test_the_json_routes_keep_json_errors() -> None:
    client = _client()
    for path, status in (
        ("/api/orders/bug", 500),
        ("/api/orders/down", 503),
        ("/webhooks/bank/bug", 500),
        ("/api/nowhere", 404),
        ("/auth/nowhere", 404),
    ):
        answer = client.get(path)
        assert answer.status_code == status and answer.is_json, path
        assert set(answer.get_json()) == {"error", "message"}, path
