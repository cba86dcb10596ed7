"""The errors a business rule raises: what the customer asked for is refused, not broken.

They sit apart from the kit's own hierarchy (`shared.events.errors`: persistence, broker,
contract), as the eventsourcing library keeps its domain errors out of its persistence module;
the web layer maps both to HTTP statuses in one table (`shared.web.errors`).
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the command."""

    code = "domain_error"


class NotFoundError(DomainError):
    """The object does not exist (or is not the caller's: we never say which)."""

    code = "not_found"


class InvalidTransitionError(DomainError):
    """The command is impossible in the object's current state."""

    code = "invalid_transition"


class ValidationError(DomainError):
    """The input is malformed."""

    code = "validation_error"

    def __init__(self, message: str, fields: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class CustomerForgottenError(DomainError):
    """The customer was forgotten: their personal data can be neither read nor written."""

    code = "customer_forgotten"
