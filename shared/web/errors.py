"""One table mapping exceptions to HTTP statuses; every error body is {"error", "message"}."""

from __future__ import annotations

import logging
from collections.abc import Callable

import marshmallow
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from shared import domain_errors
from shared.events import errors
from shared.web.identity import ForbiddenError, UnauthorizedError
from shared.web.request_errors import (
    AnswerLostError,
    IdempotencyKeyReusedError,
    JsonTooLargeError,
    RequestInProgressError,
    UnsupportedCharsetError,
)
from shared.web.webhooks import WebhookSignatureError

log = logging.getLogger(__name__)

# (exception class, HTTP status, error code); the first matching row wins.
ERROR_TABLE: tuple[tuple[type[Exception], int, str], ...] = (
    (IdempotencyKeyReusedError, 422, "idempotency_key_reused"),
    (RequestInProgressError, 409, "request_in_progress"),
    (AnswerLostError, 409, "answer_lost"),
    (UnsupportedCharsetError, 415, "unsupported_charset"),
    (JsonTooLargeError, 413, "json_too_large"),
    (marshmallow.ValidationError, 400, "validation_error"),
    (domain_errors.ValidationError, 400, "validation_error"),
    (WebhookSignatureError, 401, "invalid_signature"),
    (UnauthorizedError, 401, "unauthorized"),
    (ForbiddenError, 403, "forbidden"),
    (domain_errors.NotFoundError, 404, "not_found"),
    (domain_errors.CustomerForgottenError, 410, "customer_forgotten"),
    (errors.ConcurrencyError, 409, "conflict"),
    (domain_errors.InvalidTransitionError, 409, "invalid_transition"),
    (domain_errors.DomainError, 409, "domain_error"),
    (errors.OperationalError, 503, "unavailable"),
    (errors.BrokerUnavailableError, 503, "unavailable"),
)


def error_response(status: int, code: str, message: object) -> ResponseReturnValue:
    """A JSON error body with its status."""
    return jsonify({"error": code, "message": message}), status


def register_error_handlers(app: Flask) -> None:
    """Install the error table on `app`."""
    for exc_class, status, code in ERROR_TABLE:
        app.register_error_handler(exc_class, _handler(status, code))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _handler(status: int, code: str) -> Callable[[Exception], ResponseReturnValue]:
    def handle(exc: Exception) -> ResponseReturnValue:
        message = exc.messages if isinstance(exc, marshmallow.ValidationError) else str(exc)
        # A more specific error class names its own code (insufficient_deposit, ...).
        specific = getattr(exc, "code", None)
        return error_response(status, specific if isinstance(specific, str) else code, message)

    return handle


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(exc.code or 500, code, exc.description or exc.name)


def _unexpected(exc: Exception) -> ResponseReturnValue:
    log.exception("unhandled error")
    return error_response(500, "internal_error", "internal error")
