"""Our exception hierarchy. Driver errors (psycopg, pika, aio-pika) are translated into these
once, at the adapter, so nothing above it depends on a driver (shaped after PEP 249)."""

from __future__ import annotations


class CnnectError(Exception):
    """Base of every error this project raises on purpose."""


# --- persistence -------------------------------------------------------------------------
class PersistenceError(CnnectError):
    """The database refused or failed an operation."""


class OperationalError(PersistenceError):
    """Transient: the connection dropped, the server restarted, a lock timed out. Retryable."""


class IntegrityError(PersistenceError):
    """A constraint refused the write. Not retryable as such."""


class ProgrammingError(PersistenceError):
    """A bug: bad SQL, a missing table. Never retried."""


class ConcurrencyError(IntegrityError):
    """An append expected a stream version that is no longer current."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int | None) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        actual = "unknown" if actual_version is None else str(actual_version)
        super().__init__(
            f"stream {stream_id!r}: expected version {expected_version}, "
            f"but it is at version {actual}"
        )


class DuplicateMessageError(IntegrityError):
    """The consumer already recorded this message in its inbox: its effects are committed."""


# --- messaging ---------------------------------------------------------------------------
class BrokerError(CnnectError):
    """The message broker failed an operation."""


class BrokerUnavailableError(BrokerError):
    """Transient: the broker cannot be reached now."""


class PublishNotConfirmedError(BrokerError):
    """The broker nacked or returned a message instead of confirming it."""


# --- contracts ---------------------------------------------------------------------------
class ContractError(CnnectError):
    """A message does not honour the integration contract. It goes to the dead-letter queue."""


class UnknownEventTypeError(ContractError):
    """No contract is registered for this event type."""


class FutureSchemaVersionError(ContractError):
    """The event has a schema version newer than this code understands."""


class InvalidEventError(ContractError):
    """The payload or envelope fails validation."""


# --- ordering ----------------------------------------------------------------------------
class NotYetApplicableError(CnnectError):
    """An event arrived before one it depends on: hold it and apply it later."""

    def __init__(self, message: str, ordering_key: str) -> None:
        super().__init__(message)
        self.ordering_key = ordering_key
