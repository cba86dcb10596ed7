"""Errors of the HTTP request itself (not of a business rule)."""

from __future__ import annotations

from shared.domain_errors import DomainError, ValidationError


class IdempotencyKeyReusedError(DomainError):
    """The key was used before with another request body (422)."""

    code = "idempotency_key_reused"


class RequestInProgressError(DomainError):
    """The first request with this key has not answered yet (409)."""

    code = "request_in_progress"


class AnswerLostError(DomainError):
    """The first request with this key was carried out, but its process died before it
    answered: the effect stands, the answer is gone (409); read the current state."""

    code = "answer_lost"


class InvalidJsonError(ValidationError):
    """A body sent as JSON that cannot be read as JSON we accept (400); the message says why
    (shared.web.json_input)."""

    code = "invalid_json"


class UnsupportedCharsetError(DomainError):
    """A JSON body sent in a charset other than UTF-8 (415)."""

    code = "unsupported_charset"


class JsonTooLargeError(DomainError):
    """A JSON body larger than any request needs (413)."""

    code = "json_too_large"
