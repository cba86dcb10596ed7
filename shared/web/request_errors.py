"""Errors of the HTTP request itself (not of a business rule)."""

from __future__ import annotations

from shared.events.errors import DomainError


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
