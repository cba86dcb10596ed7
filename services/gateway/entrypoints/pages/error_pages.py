"""Errors on a page answer as a page in the site's style, with a way back; the JSON routes
(`/api`, `/auth`, `/webhooks`, health and metrics) keep their `{"error", "message"}` bodies."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from services.gateway.adapters.upstream import ServiceUnavailableError
from services.gateway.entrypoints.sessions import current_session
from shared.events.errors import BrokerUnavailableError, OperationalError

log = logging.getLogger(__name__)

JSON_PATHS = (
    "/api/",
    "/auth/",
    "/webhooks/",
    "/staff/events",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
)
# The same words for a page that does not exist and for someone else's order or billing:
# the page must not tell a stranger that the order exists.
NOT_FOUND = "There is nothing here for you: the address may be mistyped, or the page is gone."
SERVICE_NAMES = {
    "orders": "Order information",
    "billing": "Billing and payments",
    "messaging": "Messages",
    "shipping": "Shipping information",
}
MESSAGES = {
    404: NOT_FOUND,
    405: "This page cannot be used that way. Please go back and try again.",
    500: "Something went wrong on our side. Nothing was lost; please try again in a moment.",
}


def wants_page() -> bool:
    """The request is for a page (its errors are pages), not for a JSON route."""
    return not request.path.startswith(JSON_PATHS)


def unavailable_part(exc: BaseException) -> str:
    """Which part of CNNECT did not answer, in words."""
    if isinstance(exc, ServiceUnavailableError):
        return SERVICE_NAMES.get(str(exc), "A part of CNNECT")
    if isinstance(exc, (OperationalError, BrokerUnavailableError)):
        return "Accounts and sign-in"  # the gateway's own store is the accounts'
    return "A part of CNNECT"


def error_page(status: int, message: str, part: str = "") -> ResponseReturnValue:
    """The error page for `status`, saying `message`, with ways back for the caller."""
    try:
        session = current_session()
    except Exception:  # the accounts store may be what failed: show the page signed out
        session = None
    html = render_template(
        "error.html",
        # An error page shows no reminder: it would echo the refused path back.
        error_page=True,
        status=status,
        message=message,
        part=part,
        session=session,
        account=session.account if session else None,
        csrf_token=session.csrf_token if session else "",
    )
    return html, status


def serve_errors_as_pages(app: Flask) -> None:
    """Wrap every app-wide error handler: on a page its JSON answer becomes an error page.
    Call after every handler is registered."""
    for by_class in app.error_handler_spec[None].values():
        for exc_class, handler in list(by_class.items()):
            by_class[exc_class] = _as_page(handler)


def _as_page(handler: Any) -> Callable[[Exception], ResponseReturnValue]:
    # `handler` is one of the synchronous JSON handlers of shared.web.errors and app.py.
    def handle(exc: Exception) -> ResponseReturnValue:
        answer: ResponseReturnValue = handler(exc)
        if not wants_page():
            return answer
        response = answer[0] if isinstance(answer, tuple) else answer
        status = answer[1] if isinstance(answer, tuple) else getattr(response, "status_code", 500)
        if not isinstance(status, int) or status < 400:
            return answer
        if status == 503:
            part = unavailable_part(exc)
            return error_page(503, f"{part} is unavailable right now.", part)
        return error_page(status, MESSAGES.get(status) or _message_of(response))

    return handle


def _message_of(response: object) -> str:
    """The JSON answer's message when it is a sentence, else a general one."""
    if isinstance(response, Response) and response.is_json:
        try:
            message = json.loads(response.get_data(as_text=True)).get("message")
        except ValueError:
            message = None
        if isinstance(message, str) and message:
            return message[:1].upper() + message[1:].rstrip(".") + "."
    return "That did not work. Please go back and try again."
