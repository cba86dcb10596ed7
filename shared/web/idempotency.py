"""`Idempotency-Key` on write endpoints: the same key and body get the first answer again and
cause one effect, even when the repeats arrive concurrently; the same key with another body
is refused (422).

Keys are scoped by caller, so a key reused by another customer is a different request and can
never reveal the first caller's answer."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, current_app, g, has_request_context, jsonify, request

from shared.domain_errors import ValidationError
from shared.events.database import translated
from shared.events.store import EventStore, Rider, Transaction
from shared.web.app import current_identity
from shared.web.request_errors import (
    AnswerLostError,
    IdempotencyKeyReusedError,
    RequestInProgressError,
)

F = TypeVar("F", bound=Callable[..., Any])
MAX_KEY_LENGTH = 200
IN_PROGRESS = 0  # status of a reserved key whose request has not answered yet
WAIT_FOR_FIRST_S = 10.0
# A reservation still in progress after this long belongs to a process that died (requests
# answer in milliseconds; the slowest, a PayPal call, within its 30 s timeout).
LEASE_S = 45


def idempotent(view: F) -> F:
    """Run the view once per (caller, key); replay its answer to repeats."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationError(f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} characters")
        # A signed-in caller is authenticated first: the key is theirs alone (a bad token is a
        # 401). Visitors (public endpoints) share one scope: a key reused with another body is
        # refused, with the same body it replays an answer that body would have got anyway.
        if request.headers.get("Authorization"):
            identity = current_identity()
            caller = f"{identity.role}:{identity.subject}"
        else:
            caller = "anonymous"
        scope = f"{caller}:{request.method}:{request.path}"
        fingerprint = hashlib.sha256(request.get_data()).hexdigest()
        store: EventStore = current_app.extensions["cnnect.store"]
        if not _reserve(store, scope, key, fingerprint):
            return _replay(store, scope, key, fingerprint)
        store.add_append_rider(effect_rider)
        store.add_commit_hook(mark_effect)
        g.requested_effect = (scope, key)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            _forget(store, scope, key)  # it failed with no effect: a repeat may run again
            raise
        finally:
            g.pop("requested_effect", None)
        if response.status_code < 500 and response.is_json:
            _remember(store, scope, key, response)
        else:
            _forget(store, scope, key)
        return response

    return cast(F, wrapper)


# Only with the events it marks (`appended`: see shared/events/store.py's Rider).
_MARK_EFFECT = (
    "UPDATE idempotent_requests SET effect_committed = true "
    "WHERE scope = %(effect_scope)s AND key = %(effect_key)s AND EXISTS (SELECT 1 FROM appended)"
)


def effect_rider() -> Rider:
    """A keyed request's mark (see `mark_effect`), for its transaction's first append to
    carry in the append's own statement: the mark then costs no statement of its own."""
    effect = g.get("requested_effect") if has_request_context() else None
    if effect is None:
        return None
    return _MARK_EFFECT, {"effect_scope": effect[0], "effect_key": effect[1]}


def mark_effect(tx: Transaction) -> None:
    """Mark a keyed request's reservation as carried out in the commit of its events: if the
    process dies before the answer is stored, a repeat then knows not to run again. Only
    where no append carried the mark already (`effect_rider`)."""
    if effect_rider in getattr(tx, "riders_asked", ()):
        return  # the first append asked effect_rider, which carried the mark if it applied
    effect = g.get("requested_effect") if has_request_context() else None
    if effect is not None and tx.appended:
        with translated():
            tx.conn.execute(
                "UPDATE idempotent_requests SET effect_committed = true "
                "WHERE scope = %s AND key = %s",
                effect,
                prepare=True,
            )


def _reserve(store: EventStore, scope: str, key: str, fingerprint: str) -> bool:
    # The key's row is taken before the request runs: a concurrent repeat finds it and waits
    # for the first answer instead of causing a second effect. A reservation whose process
    # died before it changed anything (no effect committed, lease over) is taken over, so the
    # key does not stay blocked forever.
    # One statement, committed on its own (the reservation must be visible to a concurrent
    # repeat before the request runs).
    rows = store.query(
        "INSERT INTO idempotent_requests (scope, key, fingerprint, status, body) "
        "VALUES (%s, %s, %s, %s, '{}'::jsonb) ON CONFLICT (scope, key) DO UPDATE "
        "SET created_at = now() WHERE idempotent_requests.status = %s "
        "AND NOT idempotent_requests.effect_committed "
        "AND idempotent_requests.fingerprint = excluded.fingerprint "
        "AND idempotent_requests.created_at < now() - make_interval(secs => %s) "
        "RETURNING 1",
        (scope, key, fingerprint, IN_PROGRESS, IN_PROGRESS, LEASE_S),
    )
    return bool(rows)


def _replay(store: EventStore, scope: str, key: str, fingerprint: str) -> Response:
    deadline = time.monotonic() + WAIT_FOR_FIRST_S
    while True:
        found = store.query(
            "SELECT fingerprint, status, body, effect_committed, "
            "created_at < now() - make_interval(secs => %s) AS lapsed "
            "FROM idempotent_requests WHERE scope = %s AND key = %s",
            (LEASE_S, scope, key),
        )
        stored = found[0] if found else None
        if stored is None:
            raise RequestInProgressError("the first request with this key failed; try again")
        if stored["fingerprint"] != fingerprint:
            raise IdempotencyKeyReusedError(
                "Idempotency-Key was used before with another request body"
            )
        if stored["status"] != IN_PROGRESS:
            response = jsonify(stored["body"])
            response.status_code = stored["status"]
            response.headers["Idempotent-Replayed"] = "true"
            return response
        if stored["lapsed"] and stored["effect_committed"]:
            raise AnswerLostError(
                "the request with this Idempotency-Key was carried out, but its answer was "
                "lost; read the current state"
            )
        if time.monotonic() > deadline:
            raise RequestInProgressError("a request with this Idempotency-Key is in progress")
        time.sleep(0.05)


def _remember(store: EventStore, scope: str, key: str, response: Response) -> None:
    store.query(
        "UPDATE idempotent_requests SET status = %s, body = %s::jsonb "
        "WHERE scope = %s AND key = %s",
        (response.status_code, json.dumps(response.get_json()), scope, key),
    )


def _forget(store: EventStore, scope: str, key: str) -> None:
    store.query(
        "DELETE FROM idempotent_requests WHERE scope = %s AND key = %s AND status = %s",
        (scope, key, IN_PROGRESS),
    )
