"""What the current log line is about: the process, and the correlation id and order of the
request or message being handled (context variables, so each thread and task has its own)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass

HEADER = "X-Correlation-Id"

_correlation_id: ContextVar[str | None] = ContextVar("cnnect_correlation_id", default=None)
_order_id: ContextVar[str | None] = ContextVar("cnnect_order_id", default=None)


@dataclass
class ProcessIdentity:
    """Which service and which kind of process (api, worker, relay, ...) this is."""

    service: str = ""
    kind: str = ""


PROCESS = ProcessIdentity()


def set_process(service: str, kind: str) -> None:
    """Name this process once at start (every log line and metric says it)."""
    PROCESS.service, PROCESS.kind = service, kind


def new_correlation_id() -> str:
    """A fresh correlation id (a UUID, which is what the event envelope carries)."""
    return str(uuid.uuid4())


def parse_correlation_id(value: str | None) -> str | None:
    """A caller's correlation id in canonical form, or None when it is not a UUID.

    Only UUIDs are taken: the id travels in every event envelope (a UUID field) and in log
    lines, so nothing else a client sends can reach either."""
    if not value or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def current_correlation_id() -> str | None:
    """The correlation id of the request or message being handled, if any."""
    return _correlation_id.get()


def correlation_id() -> str:
    """The current correlation id, or a fresh one (for events a command appends)."""
    return _correlation_id.get() or new_correlation_id()


def current_order_id() -> str | None:
    """The order the current request or message is about, when known."""
    return _order_id.get()


# What `enter` replaced, for `leave` to put back.
Scope = tuple[Token[str | None], Token[str | None]]


def enter(correlation: str | None, order_id: str | None = None) -> Scope:
    """From now on, log lines and new events carry `correlation` (and `order_id`), until
    `leave` is given what this returns (a request's hooks, which cannot hold a `with`)."""
    return (_correlation_id.set(correlation), _order_id.set(order_id))


def leave(scope: Scope) -> None:
    """Put back what was there before `enter` returned `scope`."""
    _order_id.reset(scope[1])
    _correlation_id.reset(scope[0])


@contextlib.contextmanager
def correlated(correlation: str | None, order_id: str | None = None) -> Iterator[None]:
    """Within the block, log lines and new events carry `correlation` (and `order_id`)."""
    scope = enter(correlation, order_id)
    try:
        yield
    finally:
        leave(scope)


def bind(correlation: str | None, order_id: str | None = None) -> None:
    """Set the correlation id and order once they are known, inside a `correlated` block
    (which puts back what was there before when it ends)."""
    _correlation_id.set(correlation)
    _order_id.set(order_id)
