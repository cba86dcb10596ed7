"""`Idempotency-Key` on write endpoints: a repeated request gets the first answer again.

Keys are scoped by caller, so a key reused by another customer is a different request and can
never reveal the first caller's answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, current_app, jsonify, request

from shared.events.errors import ValidationError
from shared.events.store import EventStore
from shared.web.app import current_identity

F = TypeVar("F", bound=Callable[..., Any])
MAX_KEY_LENGTH = 200


def idempotent(view: F) -> F:
    """Replay the stored answer when the same caller repeats an `Idempotency-Key`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationError(f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} characters")
        # The caller is authenticated first: the key is theirs alone (401 without identity).
        identity = current_identity()
        scope = f"{identity.role}:{identity.subject}:{request.method}:{request.path}"
        fingerprint = hashlib.sha256(request.get_data()).hexdigest()
        store: EventStore = current_app.extensions["cnnect.store"]
        stored = store.transact(
            lambda tx: tx.conn.execute(
                "SELECT fingerprint, status, body FROM idempotent_requests "
                "WHERE scope = %s AND key = %s",
                (scope, key),
            ).fetchone()
        )
        if stored is not None:
            if stored["fingerprint"] != fingerprint:
                raise ValidationError("Idempotency-Key was used before with another request body")
            response = jsonify(stored["body"])
            response.status_code = stored["status"]
            response.headers["Idempotent-Replayed"] = "true"
            return response
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code < 500 and response.is_json:
            _remember(store, scope, key, fingerprint, response)
        return response

    return cast(F, wrapper)


def _remember(
    store: EventStore, scope: str, key: str, fingerprint: str, response: Response
) -> None:
    store.transact(
        lambda tx: tx.conn.execute(
            "INSERT INTO idempotent_requests (scope, key, fingerprint, status, body) "
            "VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING",
            (scope, key, fingerprint, response.status_code, json.dumps(response.get_json())),
        )
    )
